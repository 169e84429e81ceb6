/**
 * Command-line options of `npm run soak`, their defaults, ranges and validation (the
 * number parsing is the load test's: "expected X, got Y").
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_HOP_MS, MAX_HOP_MS, MIN_HOP_MS } from '../../shared/protocol.js';
import { num, parseChunkMs } from '../options.js';

export interface SoakOptions {
  /** Length of the churn, minutes, 0.1–1440. Default 60. */
  minutes: number;
  /** Normal streams kept running at once: --streams, or round(--capacity-share × --capacity). Default 10. */
  streams: number;
  /** Server to soak (`http://host:port`); undefined = spawn one. */
  url: string | undefined;
  /** Extra flags for the spawned server (`--server-arg=--idle-timeout-ms=20000`, repeatable). */
  serverArgs: string[];
  /** Length of one normal session, s, uniform in [min, max], 1–3600. Default 10–120. */
  sessionSeconds: { min: number; max: number };
  /** Pause in a slot between sessions, s, 0–60. Default 1. */
  gapSeconds: number;
  /** Clients that stop reading their socket and send flat out, 0–100. Default 2. */
  slowReaders: number;
  /** Clients that send `start`, then nothing, 0–100. Default 2. */
  idleClients: number;
  /** How long a slow or idle client waits for the server to drop it, s, 10–7200. Default 600. */
  dropTimeoutSeconds: number;
  /** Sampling period of the server's figures, s, 1–600. Default 10. */
  sampleSeconds: number;
  /** After the last client: how long the server may take to get back to 0 sessions and its baseline tensors, s. Default 60. */
  settleSeconds: number;
  /** RSS counts as flat while its second-half slope is at most this, MB per minute. Default 1. */
  rssSlopeToleranceMbPerMin: number;
  /** Tensors count as flat while their second-half slope is at most this, tensors per minute. Default 1. */
  tensorSlopeTolerancePerMin: number;
  /** Result hop of the normal sessions, ms. Default 250. */
  hopMs: number;
  clipsDir: string;
  chunkMs: { min: number; max: number };
  /** The slots' first sessions start spread over this many seconds, 0–600. Default 10. */
  rampSeconds: number;
  /** Generator threads, 0 = auto. */
  workers: number;
  seed: number;
  /** Wait for final + summary after `end`, s. Default 15. */
  endTimeoutSeconds: number;
  outDir: string;
  /** Print each sample on stderr. Default true. */
  progress: boolean;
}

export const SOAK_USAGE = `Usage: npm run soak -- [options]
  --minutes M                 length of the churn                          [60]
  --streams N                 normal streams at once                       [10]
  --capacity-share F --capacity N   streams = round(F × N), e.g. 0.8 × the measured capacity
  --url URL                   server to soak; omitted = spawn one          [spawn]
  --server-arg=--FLAG=V       extra flag for the spawned server (repeatable)
  --session-seconds A[-B]     length of one session, uniform in A–B        [10-120]
  --gap-seconds S             pause between a slot's sessions              [1]
  --slow-readers N            clients that stop reading, sending flat out  [2]
  --idle-clients N            clients that start, then stay silent         [2]
  --drop-timeout S            how long those wait to be dropped            [600]
  --sample-seconds S          sampling period of the server's figures      [10]
  --settle-seconds S          wait for 0 sessions and baseline tensors     [60]
  --rss-slope-tolerance-mb-per-min X   flat RSS: 2nd-half floor slope ≤ X  [1]
  --tensor-slope-tolerance-per-min X   flat tensors: 2nd-half slope ≤ X    [1]
  --hop MS  --clips DIR  --chunk-ms A[-B]  --ramp S  --workers W  --seed N  --end-timeout S
  --out DIR                   report folder           [loadtest/reports/soak-<time>]
  --[no-]progress             print each sample on stderr                  [on]`;

function range(name: string, raw: string | undefined, fallback: { min: number; max: number }, lo: number, hi: number): { min: number; max: number } {
  if (raw === undefined) return fallback;
  const [a, b] = raw.split('-');
  const min = num(name, a, 0, lo, hi);
  const max = num(name, b ?? a, 0, lo, hi);
  if (max < min) throw new RangeError(`--${name}: expected A ≤ B, got ${raw}`);
  return { min, max };
}

function streamsOf(v: { streams?: string; 'capacity-share'?: string; capacity?: string }): number {
  const byShare = v['capacity-share'] !== undefined || v.capacity !== undefined;
  if (byShare && v.streams !== undefined) throw new TypeError('--streams: expected either --streams or --capacity-share with --capacity, got both');
  if (!byShare) return num('streams', v.streams, 10, 0, 100_000, true);
  if (v['capacity-share'] === undefined || v.capacity === undefined) {
    throw new TypeError('--capacity-share: expected it together with --capacity');
  }
  const share = num('capacity-share', v['capacity-share'], 0, 0.01, 2);
  const capacity = num('capacity', v.capacity, 0, 1, 100_000, true);
  return Math.max(1, Math.round(share * capacity));
}

/** Parses `argv` (without node and script). Throws RangeError/TypeError with a readable message. */
export function parseSoakOptions(argv: string[], now = new Date()): SoakOptions {
  const stringFlags = [
    'minutes', 'streams', 'capacity-share', 'capacity', 'url', 'session-seconds', 'gap-seconds', 'slow-readers',
    'idle-clients', 'drop-timeout', 'sample-seconds', 'settle-seconds', 'rss-slope-tolerance-mb-per-min',
    'tensor-slope-tolerance-per-min', 'hop', 'clips', 'chunk-ms', 'ramp', 'workers', 'seed', 'end-timeout', 'out',
  ];
  const options: ParseArgsConfig['options'] = {
    'server-arg': { type: 'string', multiple: true },
    progress: { type: 'boolean' },
  };
  for (const name of stringFlags) options[name] = { type: 'string' };
  const v = parseArgs({ args: argv, strict: true, allowNegative: true, options }).values as Record<string, string | boolean | string[] | undefined>;
  const str = (name: string): string | undefined => {
    const value = v[name];
    return typeof value === 'string' ? value : undefined;
  };
  const serverArgs = v['server-arg'];
  return {
    minutes: num('minutes', str('minutes'), 60, 0.1, 1440),
    streams: streamsOf({ streams: str('streams'), 'capacity-share': str('capacity-share'), capacity: str('capacity') }),
    url: str('url'),
    serverArgs: Array.isArray(serverArgs) ? serverArgs : [],
    sessionSeconds: range('session-seconds', str('session-seconds'), { min: 10, max: 120 }, 1, 3600),
    gapSeconds: num('gap-seconds', str('gap-seconds'), 1, 0, 60),
    slowReaders: num('slow-readers', str('slow-readers'), 2, 0, 100, true),
    idleClients: num('idle-clients', str('idle-clients'), 2, 0, 100, true),
    dropTimeoutSeconds: num('drop-timeout', str('drop-timeout'), 600, 10, 7200),
    sampleSeconds: num('sample-seconds', str('sample-seconds'), 10, 1, 600),
    settleSeconds: num('settle-seconds', str('settle-seconds'), 60, 1, 3600),
    rssSlopeToleranceMbPerMin: num('rss-slope-tolerance-mb-per-min', str('rss-slope-tolerance-mb-per-min'), 1, 0, 1e6),
    tensorSlopeTolerancePerMin: num('tensor-slope-tolerance-per-min', str('tensor-slope-tolerance-per-min'), 1, 0, 1e6),
    hopMs: num('hop', str('hop'), DEFAULT_HOP_MS, MIN_HOP_MS, MAX_HOP_MS, true),
    clipsDir: str('clips') ?? 'test/fixtures/speech',
    chunkMs: parseChunkMs(str('chunk-ms')),
    rampSeconds: num('ramp', str('ramp'), 10, 0, 600),
    workers: num('workers', str('workers'), 0, 0, 16, true),
    seed: num('seed', str('seed'), 1, 0, 2 ** 31, true),
    endTimeoutSeconds: num('end-timeout', str('end-timeout'), 15, 1, 600),
    outDir: str('out') ?? `loadtest/reports/soak-${now.toISOString().replace(/[:.]/g, '-')}`,
    progress: typeof v.progress === 'boolean' ? v.progress : true,
  };
}
