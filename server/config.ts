/**
 * Server configuration: one table of fields, each with unit, range and default where it is
 * declared. Validated once at start-up with "expected X, got Y" (config_resolve.ts);
 * environment variables and CLI flags map onto the same fields (config_sources.ts,
 * docs/configuration.md).
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_HOP_MS, DEFAULT_SMOOTHING } from '../shared/protocol.js';
import { DEFAULT_MODEL_DIR, DEFAULT_NARROWBAND_MODEL_DIR } from '../models/registry.js';
import { DEFAULT_WATCH_CONFIG, type WatchConfig } from './config_watch.js';

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
  /**
   * Directory of a model for narrowband streams (input at 8 kHz or less: calls), which then
   * serves them instead of `modelDir`'s; it must share that model's pipeline contract
   * (models/contract.ts). null = `modelDir`'s model serves every stream. Default
   * DEFAULT_NARROWBAND_MODEL_DIR (models/registry.ts).
   */
  narrowbandModelDir: string | null;
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
  narrowbandModelDir: DEFAULT_NARROWBAND_MODEL_DIR,
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
