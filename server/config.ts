/**
 * Server configuration: one table of fields, each with unit, range and default where it is
 * declared, validated once at start-up with "expected X, got Y". Environment variables and
 * CLI flags map onto the same fields (see `configFromEnvAndArgs` and docs/configuration.md).
 */
import { availableParallelism } from 'node:os';
import {
  DEFAULT_HOP_MS,
  DEFAULT_SMOOTHING,
  MAX_HOP_MS,
  MAX_SMOOTHING,
  MIN_HOP_MS,
} from '../shared/protocol.js';
import { DEFAULT_MODEL_DIR } from '../models/registry.js';
import { DEFAULT_WATCH_CONFIG, validateWatchConfig, WATCH_CONFIG_SOURCES, type WatchConfig } from './config_watch.js';

/**
 * One inference worker per core, at most 8: each worker runs its sessions' DSP and model
 * steps, so workers are what scale with cores (the main thread only serves sockets). The
 * load figures of BENCHMARKS.md were taken this way: 2 workers on 2 cores.
 */
export const DEFAULT_WORKERS = Math.min(8, Math.max(1, availableParallelism()));

export const ENGINE_CHOICES = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export const MODES = ['streaming', 'naive'] as const;
export type ServerMode = (typeof MODES)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const BACKLOG_POLICIES = ['pause', 'reject'] as const;
export type BacklogPolicy = (typeof BACKLOG_POLICIES)[number];

/** The core fields below, plus watching, alerts and telephony (config_watch.ts). */
export interface ServerConfig extends WatchConfig {
  /** TCP port; 0 picks an ephemeral one. 0–65535, default 8080 (env PORT). */
  port: number;
  /** Interface to bind. Default '0.0.0.0' (env HOST). */
  host: string;
  /** Directory of the model to serve (meta.json + weights). Default DEFAULT_MODEL_DIR. */
  modelDir: string;
  /** Inference engine preference, passed to selectEngine. Default 'auto'. */
  engine: EngineChoice;
  /**
   * 'streaming' (default): stateful, cross-stream batched steps. 'naive': the baseline that
   * re-runs the whole window per session per hop, batch 1, no carried state.
   */
  mode: ServerMode;
  /** Inference worker threads; sessions are spread over them. 1–16, default one per core (≤ 8). */
  workers: number;
  /**
   * Most streams (WebSocket sessions + running analyses) served at once. 1–100000, default
   * 1000 (above what 2 cores serve within a 100 ms p95; BENCHMARKS.md): past capacity,
   * latency grows for everyone before this limit turns sessions away.
   */
  maxSessions: number;
  /** Largest accepted WebSocket message, bytes. 1024–64 MiB, default 1 MiB (≈ 32 s of 16 kHz s16 mono). */
  maxMessageBytes: number;
  /** Largest accepted POST /v1/analyze body, bytes. 1024–1 GiB, default 64 MiB. */
  maxAnalyzeBytes: number;
  /**
   * Most un-processed audio a session may have queued, seconds of stream time. A client may
   * send faster than real time (files) until this much is waiting. 0.5–600, default 30.
   */
  maxBacklogSeconds: number;
  /**
   * What happens past `maxBacklogSeconds`: 'pause' (default) stops reading the socket until
   * the backlog halves — TCP pushes back on the sender, nothing is dropped; 'reject' answers
   * `rate_limited` and closes.
   */
  backlogPolicy: BacklogPolicy;
  /** Hop when `start` omits it, ms. 50–5000, default 250. */
  defaultHopMs: number;
  /** Smoothing when `start` omits it, EMA factor. 0–0.99, default 0.5. */
  defaultSmoothing: number;
  /**
   * Accepted API keys; empty (default) disables authentication. From the environment or a
   * flag, a list that is set but holds no key (`""`, `","`, `" "`) is a start-up error, not
   * "auth off": a deployment that meant to set keys must not silently run open.
   */
  apiKeys: string[];
  /** Whether `GET /metrics` needs an API key too (when keys are set). Default false (open to scrapers). */
  metricsRequireKey: boolean;
  /** Accepted `Origin` header values; empty (default) accepts any origin. */
  allowedOrigins: string[];
  /** Least severe log level written. Default 'info'. */
  logLevel: LogLevel;
  /**
   * WebSocket ping interval, ms; every socket is pinged, and one that has not answered by
   * the next ping is dropped. A socket paused by backpressure may hold its pong behind audio
   * not read yet: it gets `pausedPongTimeoutMs` instead, and is dropped after three
   * heartbeats in a row paused with no result sent (session/liveness.ts).
   * 100–600000, default 30000.
   */
  heartbeatMs: number;
  /**
   * How long a socket that backpressure paused since its ping may leave the ping unanswered,
   * ms; past it the client counts as not reading its results (or as queueing far more audio
   * than real time allows) and the session ends with `slow_consumer`. A paced client is
   * never paused. Checked at each heartbeat. 100–3600000, default 300000 (5 min).
   */
  pausedPongTimeoutMs: number;
  /** Time a connection may take to send `start`, ms. 100–600000, default 10000. */
  startTimeoutMs: number;
  /**
   * After `start`, the longest time with no audio received and no result sent before the
   * session is closed with `idle_timeout`, ms (a paused socket is not idle). A live client
   * sends audio every few tens of ms, silence included. 100–3600000, default 60000.
   */
  idleTimeoutMs: number;
  /**
   * Longest session, s of wall time from `start`. At the limit the session is finished as if
   * it had sent `end` (final result, summary), then gets `max_duration` (retryable: reconnect
   * to go on). 1–604800 (a week), default 14400 (4 h).
   */
  maxSessionSeconds: number;
  /**
   * Most bytes the server may have queued for a session's socket and not yet handed to the
   * kernel (ws `bufferedAmount`) before it sends another result; past it the session is
   * closed with `slow_consumer`. Bounds the memory a client that never reads can pin.
   * 16384–67108864, default 262144 (256 KiB ≈ 700 results).
   */
  maxUnsentBytes: number;
  /**
   * Live first: the most stream seconds of audio a session (or an analysis) is processed
   * per second of wall time, after a burst of 1 s. Real-time streams never notice it; a
   * file sent flat out is paced to this multiple, so 20 of them cost what 20 × this many
   * live streams cost instead of every core. Audio waiting for its turn counts in the
   * backlog (see `maxBacklogSeconds`). 1–10000, default 4.
   */
  maxRealTimeMultiple: number;
  /**
   * Most `POST /v1/analyze` requests read or analysed at once; more get `too_many_sessions`
   * before their body is read. Peak upload memory ≈ this × `maxAnalyzeBytes` (× 3 for a
   * 16-bit WAV decoded to float). 1–1024, default 2.
   */
  maxConcurrentAnalyses: number;
  /** On drain, time live sessions get to finish their audio, ms. 0–600000, default 10000. */
  drainGraceMs: number;
  /**
   * On SIGTERM, time /readyz answers 503 while sessions are still admitted, before the drain
   * proper: at least a load balancer's health-check interval × its fall count, so it stops
   * sending sessions here before any is refused (server/drain.ts). 0–600000, default 0.
   */
  drainDelayMs: number;
  /** Most streams in one model call. 1–1024, default 64. */
  maxBatchStreams: number;
  /**
   * Least time between the starts of two model calls of a worker, ms (unless a full batch
   * is waiting): hops arriving meanwhile share the next call, which amortises tfjs's fixed
   * per-call cost at the price of at most this much latency. 0–100, default 5.
   */
  batchWindowMs: number;
  /** Static files served at `/`. Default client/browser/dist. */
  staticDir: string;
}

export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  modelDir: DEFAULT_MODEL_DIR,
  engine: 'auto',
  mode: 'streaming',
  workers: DEFAULT_WORKERS,
  maxSessions: 1000,
  maxMessageBytes: 1024 * 1024,
  maxAnalyzeBytes: 64 * 1024 * 1024,
  maxBacklogSeconds: 30,
  backlogPolicy: 'pause',
  defaultHopMs: DEFAULT_HOP_MS,
  defaultSmoothing: DEFAULT_SMOOTHING,
  apiKeys: [],
  metricsRequireKey: false,
  allowedOrigins: [],
  logLevel: 'info',
  heartbeatMs: 30_000,
  pausedPongTimeoutMs: 300_000,
  startTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxSessionSeconds: 14_400,
  maxUnsentBytes: 256 * 1024,
  maxRealTimeMultiple: 4,
  maxConcurrentAnalyses: 2,
  drainGraceMs: 10_000,
  drainDelayMs: 0,
  maxBatchStreams: 64,
  batchWindowMs: 5,
  staticDir: new URL('../client/browser/dist/', import.meta.url).pathname,
  ...DEFAULT_WATCH_CONFIG,
} satisfies ServerConfig);

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer in ${min}–${max}, got ${String(value)}`);
  }
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected a number in ${min}–${max}, got ${String(value)}`);
  }
}

function checkChoice<T extends string>(name: string, value: string, choices: readonly T[]): void {
  if (!(choices as readonly string[]).includes(value)) {
    throw new RangeError(`${name}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** Defaults overlaid with `partial`, validated. Throws RangeError naming the first bad field. */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...defined };
  checkInt('port', config.port, 0, 65_535);
  if (typeof config.host !== 'string' || config.host === '') {
    throw new RangeError(`host: expected a non-empty string, got ${JSON.stringify(config.host)}`);
  }
  if (typeof config.modelDir !== 'string' || config.modelDir === '') {
    throw new RangeError(`modelDir: expected a directory path, got ${JSON.stringify(config.modelDir)}`);
  }
  checkChoice('engine', config.engine, ENGINE_CHOICES);
  checkChoice('mode', config.mode, MODES);
  checkInt('workers', config.workers, 1, 16);
  checkInt('maxSessions', config.maxSessions, 1, 100_000);
  checkInt('maxMessageBytes', config.maxMessageBytes, 1024, 64 * 1024 * 1024);
  checkInt('maxAnalyzeBytes', config.maxAnalyzeBytes, 1024, 1024 * 1024 * 1024);
  checkNumber('maxBacklogSeconds', config.maxBacklogSeconds, 0.5, 600);
  checkChoice('backlogPolicy', config.backlogPolicy, BACKLOG_POLICIES);
  checkInt('defaultHopMs', config.defaultHopMs, MIN_HOP_MS, MAX_HOP_MS);
  checkNumber('defaultSmoothing', config.defaultSmoothing, 0, MAX_SMOOTHING);
  if (!Array.isArray(config.apiKeys) || config.apiKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw new RangeError('apiKeys: expected a list of non-empty strings');
  }
  if (typeof config.metricsRequireKey !== 'boolean') {
    throw new RangeError(`metricsRequireKey: expected true or false, got ${JSON.stringify(config.metricsRequireKey)}`);
  }
  if (!Array.isArray(config.allowedOrigins)) {
    throw new RangeError('allowedOrigins: expected a list of origins');
  }
  checkChoice('logLevel', config.logLevel, LOG_LEVELS);
  checkInt('heartbeatMs', config.heartbeatMs, 100, 600_000);
  checkInt('pausedPongTimeoutMs', config.pausedPongTimeoutMs, 100, 3_600_000);
  checkInt('startTimeoutMs', config.startTimeoutMs, 100, 600_000);
  checkInt('idleTimeoutMs', config.idleTimeoutMs, 100, 3_600_000);
  checkNumber('maxSessionSeconds', config.maxSessionSeconds, 1, 604_800);
  checkInt('maxUnsentBytes', config.maxUnsentBytes, 16_384, 64 * 1024 * 1024);
  checkNumber('maxRealTimeMultiple', config.maxRealTimeMultiple, 1, 10_000);
  checkInt('maxConcurrentAnalyses', config.maxConcurrentAnalyses, 1, 1024);
  checkInt('drainGraceMs', config.drainGraceMs, 0, 600_000);
  checkInt('drainDelayMs', config.drainDelayMs, 0, 600_000);
  checkInt('maxBatchStreams', config.maxBatchStreams, 1, 1024);
  checkNumber('batchWindowMs', config.batchWindowMs, 0, 100);
  validateWatchConfig(config);
  return config;
}

/** One row of the configuration table: the field, its env variable and its CLI flag. */
interface Source {
  field: keyof ServerConfig;
  env: string;
  flag: string;
  parse: (raw: string) => unknown;
  /** Whether an empty environment value counts as set (parsed) rather than unset. */
  emptyIsSet?: boolean;
}

const asNumber = (raw: string): number => (raw.trim() === '' ? Number.NaN : Number(raw));
const asString = (raw: string): string => raw;
const asList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
/** Fail closed: a key list that is given but holds no key is an error, never "auth off". */
const asKeyList = (raw: string): string[] => {
  const keys = asList(raw);
  if (keys.length === 0) {
    throw new RangeError(`apiKeys: expected at least one non-empty key (unset the variable to disable auth), got ${JSON.stringify(raw)}`);
  }
  return keys;
};
const asBoolean = (raw: string): boolean | string => {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return raw;
};

/** Env and flag names of every field, in the order of docs/configuration.md. */
export const CONFIG_SOURCES: readonly Source[] = [
  { field: 'port', env: 'PORT', flag: '--port', parse: asNumber },
  { field: 'host', env: 'HOST', flag: '--host', parse: asString },
  { field: 'modelDir', env: 'SER_MODEL_DIR', flag: '--model', parse: asString },
  { field: 'engine', env: 'SER_ENGINE', flag: '--engine', parse: asString },
  { field: 'mode', env: 'SER_MODE', flag: '--mode', parse: asString },
  { field: 'workers', env: 'SER_WORKERS', flag: '--workers', parse: asNumber },
  { field: 'maxSessions', env: 'SER_MAX_SESSIONS', flag: '--max-sessions', parse: asNumber },
  { field: 'maxMessageBytes', env: 'SER_MAX_MESSAGE_BYTES', flag: '--max-message-bytes', parse: asNumber },
  { field: 'maxAnalyzeBytes', env: 'SER_MAX_ANALYZE_BYTES', flag: '--max-analyze-bytes', parse: asNumber },
  { field: 'maxBacklogSeconds', env: 'SER_MAX_BACKLOG_SECONDS', flag: '--max-backlog-seconds', parse: asNumber },
  { field: 'backlogPolicy', env: 'SER_BACKLOG_POLICY', flag: '--backlog-policy', parse: asString },
  { field: 'defaultHopMs', env: 'SER_HOP_MS', flag: '--hop-ms', parse: asNumber },
  { field: 'defaultSmoothing', env: 'SER_SMOOTHING', flag: '--smoothing', parse: asNumber },
  { field: 'apiKeys', env: 'SER_API_KEYS', flag: '--api-keys', parse: asKeyList, emptyIsSet: true },
  { field: 'metricsRequireKey', env: 'SER_METRICS_REQUIRE_KEY', flag: '--metrics-require-key', parse: asBoolean },
  { field: 'allowedOrigins', env: 'SER_ALLOWED_ORIGINS', flag: '--allowed-origins', parse: asList },
  { field: 'logLevel', env: 'SER_LOG_LEVEL', flag: '--log-level', parse: asString },
  { field: 'heartbeatMs', env: 'SER_HEARTBEAT_MS', flag: '--heartbeat-ms', parse: asNumber },
  { field: 'pausedPongTimeoutMs', env: 'SER_PAUSED_PONG_TIMEOUT_MS', flag: '--paused-pong-timeout-ms', parse: asNumber },
  { field: 'startTimeoutMs', env: 'SER_START_TIMEOUT_MS', flag: '--start-timeout-ms', parse: asNumber },
  { field: 'idleTimeoutMs', env: 'SER_IDLE_TIMEOUT_MS', flag: '--idle-timeout-ms', parse: asNumber },
  { field: 'maxSessionSeconds', env: 'SER_MAX_SESSION_SECONDS', flag: '--max-session-seconds', parse: asNumber },
  { field: 'maxUnsentBytes', env: 'SER_MAX_UNSENT_BYTES', flag: '--max-unsent-bytes', parse: asNumber },
  { field: 'maxRealTimeMultiple', env: 'SER_MAX_REAL_TIME_MULTIPLE', flag: '--max-real-time-multiple', parse: asNumber },
  { field: 'maxConcurrentAnalyses', env: 'SER_MAX_CONCURRENT_ANALYSES', flag: '--max-concurrent-analyses', parse: asNumber },
  { field: 'drainGraceMs', env: 'SER_DRAIN_GRACE_MS', flag: '--drain-grace-ms', parse: asNumber },
  { field: 'drainDelayMs', env: 'SER_DRAIN_DELAY_MS', flag: '--drain-delay-ms', parse: asNumber },
  { field: 'maxBatchStreams', env: 'SER_MAX_BATCH_STREAMS', flag: '--max-batch-streams', parse: asNumber },
  { field: 'batchWindowMs', env: 'SER_BATCH_WINDOW_MS', flag: '--batch-window-ms', parse: asNumber },
  { field: 'staticDir', env: 'SER_STATIC_DIR', flag: '--static-dir', parse: asString },
  ...WATCH_CONFIG_SOURCES,
];

/**
 * Environment first, then flags (`--port 9000` or `--port=9000`), so a flag overrides the
 * environment. Unknown flags throw: a typo should not silently run with defaults.
 */
export function configFromEnvAndArgs(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): Partial<ServerConfig> {
  const partial: Record<string, unknown> = {};
  for (const source of CONFIG_SOURCES) {
    const raw = env[source.env];
    if (raw !== undefined && (raw !== '' || source.emptyIsSet === true)) partial[source.field] = source.parse(raw);
  }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const source = CONFIG_SOURCES.find((s) => s.flag === flag);
    if (source === undefined) {
      throw new RangeError(`expected one of the flags in docs/configuration.md, got ${JSON.stringify(arg)}`);
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      i += 1;
    }
    if (raw === undefined) throw new RangeError(`${flag}: expected a value, got nothing`);
    partial[source.field] = source.parse(raw);
  }
  return partial as Partial<ServerConfig>;
}
