/**
 * `ser analyze <file-or-dir>…`: every WAV through the streaming path, as fast as the
 * server keeps up; prints the final distribution and the summary per file. Exits 1 if any
 * file failed (the others are still analysed).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { SummaryMessage } from '../../shared/protocol.js';
import { createNodeClient, fromWav, streamAudio, type EmotionResult } from '../sdk/node.js';
import { bold, distributionLines, summaryLines, styleFor } from './render.js';
import { reportError } from './report_error.js';
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  numberFlag,
  parse,
  resolveToken,
  resolveUrl,
  streamSettings,
} from './options.js';

export const ANALYZE_HELP = `Usage: ser analyze <file-or-dir>… [options]

Analyses WAV files — directories are searched recursively for *.wav — by streaming each
through the server (the same path as live audio, paced by the server's results) and
prints per file its final distribution and summary (duration, voiced time, dominant
emotion, mean distribution, segments). With --json, one line per file:
{"type":"file","file",…,"final":{…},"summary":{…}} or {"type":"error","file",…}.
Exits 1 if any file failed, 2 on bad usage.

Options:
  --concurrency <n>  files streamed at once, 1–16 (default 1)
${COMMON_HELP}

Example:
  npx ser analyze test/fixtures/speech --json
`;

const OPTIONS = { ...COMMON_OPTIONS, concurrency: { type: 'string' } } as const;

interface FileResult {
  file: string;
  final: EmotionResult | null;
  summary: SummaryMessage;
  labels: string[];
}

/** The WAV files named by `paths`: files as given, directories searched recursively, sorted. */
export async function collectWavFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { recursive: true });
    files.push(...entries.filter((e) => e.toLowerCase().endsWith('.wav')).sort().map((e) => join(path, e)));
  }
  return files;
}

async function analyzeOne(file: string, url: string, token: string | undefined, settings: { hopMs?: number; smoothing?: number }): Promise<FileResult> {
  const source = fromWav(new Uint8Array(await readFile(file)));
  const client = createNodeClient({ url, token });
  let final: EmotionResult | null = null;
  let labels: string[] = [];
  const subscription = client.events$.subscribe({
    next: (ev) => {
      if (ev.type === 'ready') labels = ev.model.labels;
      if (ev.type === 'emotion') final = ev;
    },
    error: () => undefined,
  });
  try {
    const summary = await streamAudio(client, source, { pace: 'fast', ...settings });
    return { file, final, summary, labels };
  } finally {
    subscription.unsubscribe();
    client.close();
  }
}

export async function runAnalyze(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(ANALYZE_HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError('expected at least one file or directory');
  const url = resolveUrl(values.url);
  const token = resolveToken(values.token);
  const settings = streamSettings(values);
  const concurrency = numberFlag('concurrency', values.concurrency, 1, 16) ?? 1;
  const json = values.json;
  const style = styleFor(process.stdout);

  let files: string[];
  try {
    files = await collectWavFiles(positionals);
  } catch (err) {
    reportError(err, { json });
    return EXIT_FAILURE;
  }
  if (files.length === 0) {
    reportError(new Error(`no .wav files in ${positionals.join(', ')}`), { json });
    return EXIT_FAILURE;
  }

  const progress = !json && process.stderr.isTTY && files.length > 1 ? new SingleBar({ stream: process.stderr, format: 'analysing {bar} {value}/{total} files' }) : null;
  progress?.start(files.length, 0);
  // Results are printed in input order, each as soon as it and all before it are done.
  const outcomes: (FileResult | { file: string; error: unknown } | undefined)[] = new Array(files.length);
  let printed = 0;
  let failures = 0;
  const flush = (): void => {
    for (let next = outcomes[printed]; next !== undefined; next = outcomes[printed]) {
      printed++;
      if ('error' in next) {
        failures++;
        reportError(next.error, { json, file: next.file });
      } else if (json) {
        process.stdout.write(JSON.stringify({ type: 'file', file: next.file, final: next.final, summary: next.summary }) + '\n');
      } else {
        const lines = [bold(next.file, style)];
        if (next.final) lines.push('final distribution:', ...distributionLines(next.final.probs, next.labels, style));
        lines.push(...summaryLines(next.summary, next.labels, style), '');
        process.stdout.write(lines.join('\n') + '\n');
      }
    }
  };
  let cursor = 0;
  const worker = async (): Promise<void> => {
    for (let i = cursor++; i < files.length; i = cursor++) {
      const file = files[i] as string;
      outcomes[i] = await analyzeOne(file, url, token, settings).catch((error: unknown) => ({ file, error }));
      progress?.increment();
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  progress?.stop();
  return failures > 0 ? EXIT_FAILURE : EXIT_OK;
}
