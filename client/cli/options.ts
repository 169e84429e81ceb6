/** Options every `ser` command shares: server URL, token, output mode, stream settings. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_HOP_MS, DEFAULT_SMOOTHING, MAX_HOP_MS, MAX_SMOOTHING, MIN_HOP_MS, STREAM_PATH } from '../../shared/protocol.js';

/** The server's default port (server/config.ts `DEFAULT_CONFIG.port`). */
export const DEFAULT_PORT = 8080;
export const DEFAULT_URL = `ws://127.0.0.1:${DEFAULT_PORT}${STREAM_PATH}`;

/** Exit codes: 0 success; 1 a file, the connection or the server failed; 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const COMMON_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  'hop-ms': { type: 'string' },
  smoothing: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `  --url <url>        stream endpoint (default $SER_URL or ${DEFAULT_URL});
                     http://host:port is accepted and means ws://host:port${STREAM_PATH}
  --token <key>      API key when the server requires one (default $SER_TOKEN)
  --json             JSON lines on stdout instead of the human view
  --hop-ms <ms>      ms between results, ${MIN_HOP_MS}–${MAX_HOP_MS} (server default ${DEFAULT_HOP_MS})
  --smoothing <x>    EMA factor of successive results, 0–${MAX_SMOOTHING} (server default ${DEFAULT_SMOOTHING})
  -h, --help         this help`;

/** parseArgs, with its errors turned into UsageError. */
export function parse<O extends ParseArgsConfig['options']>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** --url, else $SER_URL, else the default; http(s) → ws(s), a bare host:port gets the stream path. */
export function resolveUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.SER_URL ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url: expected a ws://, wss://, http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`--url: expected ws, wss, http or https, got ${url.protocol}`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = STREAM_PATH;
  return url.toString();
}

export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.SER_TOKEN || undefined);
}

/** A number flag in [min, max], or undefined when absent. */
export function numberFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name}: expected a number in ${min}–${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The stream settings common to both commands, for `start`. */
export function streamSettings(values: { 'hop-ms'?: string; smoothing?: string }): { hopMs?: number; smoothing?: number } {
  const hopMs = numberFlag('hop-ms', values['hop-ms'], MIN_HOP_MS, MAX_HOP_MS);
  const smoothing = numberFlag('smoothing', values.smoothing, 0, MAX_SMOOTHING);
  return { ...(hopMs !== undefined ? { hopMs } : {}), ...(smoothing !== undefined ? { smoothing } : {}) };
}
