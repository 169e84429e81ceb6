/** How the CLI shows an error: a line on stderr, and with --json also a JSON line on stdout. */
import { isEmotionStreamError } from '../sdk/node.js';
import { ProtocolError } from '../../shared/error_codes.js';

export interface ErrorReport {
  type: 'error';
  /** A protocol code, `connection_failed` / `connection_lost`, `client_state`, or `bad_input` (a file that cannot be read). */
  code: string;
  message: string;
  retryable: boolean;
  file?: string;
}

export function describeError(err: unknown, file?: string): ErrorReport {
  const base = file !== undefined ? { file } : {};
  if (isEmotionStreamError(err) || err instanceof ProtocolError) {
    return { type: 'error', code: err.code, message: err.message, retryable: err.retryable, ...base };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { type: 'error', code: 'bad_input', message, retryable: false, ...base };
}

export function reportError(err: unknown, options: { json: boolean; file?: string }): ErrorReport {
  const report = describeError(err, options.file);
  if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
  const where = report.file !== undefined ? `${report.file}: ` : '';
  const retry = report.retryable ? ' (retryable)' : '';
  process.stderr.write(`ser: ${where}${report.code}: ${report.message}${retry}\n`);
  return report;
}
