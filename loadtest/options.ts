/**
 * Command-line options of `npm run loadtest`, their defaults, ranges and validation.
 * Every field documents its unit; `parseOptions` fails with "expected X, got Y".
 */
import { parseArgs } from 'node:util';
import { DEFAULT_HOP_MS, MAX_HOP_MS, MIN_HOP_MS } from '../shared/protocol.js';
import { DEFAULT_COVERAGE_TOLERANCE_MS } from './coverage.js';

export type ServerMode = 'streaming' | 'naive';

/** Clips the generator loops when --clips is not given, relative to the repository root. */
export const DEFAULT_CLIPS_DIR = 'test/fixtures/speech';

export interface LoadtestOptions {
  /** Concurrent streams per run; several values make a sweep (`--streams 10,100,500`). Default [10]. */
  streams: number[];
  /** Audio each stream sends, seconds, 1–3600. Default 30. */
  durationSeconds: number;
  /** Server to load (`http://host:port` or `ws://…`); undefined = spawn one (see `spawnServer`). */
  url: string | undefined;
  /** Naive-mode server for `--compare-naive` when not spawning. */
  naiveUrl: string | undefined;
  /** Result hop requested in `start`, ms, 50–5000. Default 250. */
  hopMs: number;
  /** Folder of WAV clips, looped and shared by all streams. Default test/fixtures/speech. */
  clipsDir: string;
  /** Chunk duration range, ms, each stream draws one size in [min, max]; 5–1000. Default 20–100. */
  chunkMs: { min: number; max: number };
  /** Streams start spread uniformly over this many seconds, 0–600. Default 2. */
  rampSeconds: number;
  /** Generator worker threads, 1–16; 0 = auto (1 per 250 streams, at most 4). Default 0. */
  workers: number;
  /** Search for the largest stream count that meets the budget. */
  findCapacity: boolean;
  /** Latency budget of the capacity search, ms. Default 100. */
  p95BudgetMs: number;
  /** First stream count the capacity search tries, ≥ 1. Default 10. */
  startStreams: number;
  /** Upper bound of the capacity search. Default 2000. */
  maxStreams: number;
  /** Capacity search stops when the bracket is within this fraction of the answer, 0.01–0.5. Default 0.1. */
  resolution: number;
  /** Run the same measurement against a naive-mode server too and report the ratio. */
  compareNaive: boolean;
  /** Spawn the server(s) as child processes (implied when `url` is not given). */
  spawnServer: boolean;
  /** Mode of the single spawned server when not comparing. Default 'streaming' (the server's default). */
  mode: ServerMode;
  /** Extra arguments for spawned servers (`--server-arg=--window-seconds=3`, repeatable). */
  serverArgs: string[];
  /** Write V8 CPU profiles of spawned servers into `<out>/profiles`. */
  serverCpuProf: boolean;
  /** Output folder for report.json / report.html. Default loadtest/reports/<timestamp>. */
  outDir: string;
  /** Draw a progress bar (default: when stderr is a terminal). */
  progress: boolean;
  /** Seed of the deterministic per-stream plan (chunk sizes, start offsets, clip offsets). Default 1. */
  seed: number;
  /**
   * Fraction of the streams that are telephone calls (8 kHz μ-law, steep voice band), 0–1,
   * spread evenly; the rest stream 16 kHz pcm_s16le. Default 0. A server with a narrowband
   * model serves the calls with it.
   */
  callShare: number;
  /** How long a stream waits for its final result and summary after `end`, seconds. Default 15. */
  endTimeoutSeconds: number;
  /** Pause between runs so the server settles, seconds. Default 2. */
  cooldownSeconds: number;
  /**
   * A capacity search first loads a freshly spawned server for this long, seconds, at half the
   * start count, and does not count that run: a cold server (JIT, first allocations) reads
   * slower than a warm one, and the search's first trial should not pay for it. 0 = none.
   * Default 5; only with --find-capacity / --compare-naive.
   */
  warmupSeconds: number;
  /** Slack of the missing-result check, ms. Default 30. */
  coverageToleranceMs: number;
}

export const USAGE = `Usage: npm run loadtest -- [options]
  --streams N[,N…]        concurrent streams (a list makes a sweep)      [10]
  --duration S            seconds of audio per stream                    [30]
  --url URL               server to load; omitted = spawn one            [spawn]
  --hop MS                result hop requested in start                  [250]
  --clips DIR             WAV clips, looped                              [test/fixtures/speech]
  --chunk-ms A[-B]        chunk duration (per-stream uniform in A–B)     [20-100]
  --call-share F          fraction of streams sent as 8 kHz μ-law calls  [0]
  --ramp S                spread of stream starts                        [2]
  --workers W             generator threads, 0 = auto                    [0]
  --find-capacity         search the largest N meeting the budget
  --p95-budget-ms MS      budget of the capacity search                  [100]
  --start-streams N       first N of the search                          [10]
  --max-streams N         largest N the search tries                     [2000]
  --resolution F          search precision, fraction of N                [0.1]
  --compare-naive         also measure a naive-mode server, report ratio
  --naive-url URL         naive server (else spawned)
  --spawn-server          spawn the server as a child process
  --mode streaming|naive  mode of the spawned server                     [streaming]
  --server-arg=--FLAG=V   extra flag for spawned servers (repeatable)
  --server-cpu-prof       V8 CPU profiles of spawned servers → <out>/profiles
  --out DIR               report folder                    [loadtest/reports/<time>]
  --[no-]progress         progress bar                                   [if TTY]
  --seed N                plan seed                                      [1]
  --end-timeout S         wait for final+summary after end               [15]
  --cooldown S            pause between runs                             [2]
  --warmup S              uncounted run at half --start-streams before a search [5]
  --coverage-tolerance-ms MS  slack of the missing-result check          [30]`;

/** A numeric flag's value in [min, max] (an integer if asked), or `fallback` when absent. */
export function num(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`--${name}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${raw}`);
  }
  return value;
}

function parseStreams(raw: string | undefined): number[] {
  if (raw === undefined) return [10];
  return raw.split(',').map((part) => num('streams', part.trim(), 0, 1, 100_000, true));
}

/** `A` or `A-B`, ms, 5–1000. */
export function parseChunkMs(raw: string | undefined): { min: number; max: number } {
  if (raw === undefined) return { min: 20, max: 100 };
  const [a, b] = raw.split('-');
  const min = num('chunk-ms', a, 0, 5, 1000, true);
  const max = num('chunk-ms', b ?? a, 0, 5, 1000, true);
  if (max < min) throw new RangeError(`--chunk-ms: expected A ≤ B, got ${raw}`);
  return { min, max };
}

/** Parses `argv` (without node and script). Throws RangeError/TypeError with a readable message. */
export function parseOptions(argv: string[], now = new Date()): LoadtestOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      streams: { type: 'string' },
      duration: { type: 'string' },
      url: { type: 'string' },
      'naive-url': { type: 'string' },
      hop: { type: 'string' },
      clips: { type: 'string' },
      'chunk-ms': { type: 'string' },
      'call-share': { type: 'string' },
      ramp: { type: 'string' },
      workers: { type: 'string' },
      'find-capacity': { type: 'boolean' },
      'p95-budget-ms': { type: 'string' },
      'start-streams': { type: 'string' },
      'max-streams': { type: 'string' },
      resolution: { type: 'string' },
      'compare-naive': { type: 'boolean' },
      'spawn-server': { type: 'boolean' },
      mode: { type: 'string' },
      'server-arg': { type: 'string', multiple: true },
      'server-cpu-prof': { type: 'boolean' },
      out: { type: 'string' },
      progress: { type: 'boolean' },
      seed: { type: 'string' },
      'end-timeout': { type: 'string' },
      cooldown: { type: 'string' },
      warmup: { type: 'string' },
      'coverage-tolerance-ms': { type: 'string' },
    },
  } as const);
  const mode = values.mode ?? 'streaming';
  if (mode !== 'streaming' && mode !== 'naive') throw new RangeError(`--mode: expected streaming or naive, got ${mode}`);
  const url = values.url;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const options: LoadtestOptions = {
    streams: parseStreams(values.streams),
    durationSeconds: num('duration', values.duration, 30, 1, 3600),
    url,
    naiveUrl: values['naive-url'],
    hopMs: num('hop', values.hop, DEFAULT_HOP_MS, MIN_HOP_MS, MAX_HOP_MS, true),
    clipsDir: values.clips ?? DEFAULT_CLIPS_DIR,
    chunkMs: parseChunkMs(values['chunk-ms']),
    callShare: num('call-share', values['call-share'], 0, 0, 1),
    rampSeconds: num('ramp', values.ramp, 2, 0, 600),
    workers: num('workers', values.workers, 0, 0, 16, true),
    findCapacity: values['find-capacity'] ?? false,
    p95BudgetMs: num('p95-budget-ms', values['p95-budget-ms'], 100, 1, 60_000),
    startStreams: num('start-streams', values['start-streams'], 10, 1, 100_000, true),
    maxStreams: num('max-streams', values['max-streams'], 2000, 1, 100_000, true),
    resolution: num('resolution', values.resolution, 0.1, 0.01, 0.5),
    compareNaive: values['compare-naive'] ?? false,
    spawnServer: values['spawn-server'] ?? url === undefined,
    mode,
    serverArgs: values['server-arg'] ?? [],
    serverCpuProf: values['server-cpu-prof'] ?? false,
    outDir: values.out ?? `loadtest/reports/${stamp}`,
    progress: values.progress ?? Boolean(process.stderr.isTTY),
    seed: num('seed', values.seed, 1, 0, 2 ** 31, true),
    endTimeoutSeconds: num('end-timeout', values['end-timeout'], 15, 1, 600),
    cooldownSeconds: num('cooldown', values.cooldown, 2, 0, 600),
    warmupSeconds: num('warmup', values.warmup, 5, 0, 600),
    coverageToleranceMs: num('coverage-tolerance-ms', values['coverage-tolerance-ms'], DEFAULT_COVERAGE_TOLERANCE_MS, 0, 10_000),
  };
  if (options.startStreams > options.maxStreams) {
    throw new RangeError(`--start-streams: expected ≤ --max-streams (${options.maxStreams}), got ${options.startStreams}`);
  }
  if (!options.spawnServer && options.url === undefined) throw new TypeError('--url: expected a URL when --no-spawn-server is given');
  if (options.compareNaive && !options.spawnServer && options.naiveUrl === undefined) {
    throw new TypeError('--compare-naive: expected --naive-url or --spawn-server');
  }
  return options;
}
