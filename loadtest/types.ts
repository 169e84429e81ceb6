/**
 * Data exchanged between the generator's threads and written to report.json. Plain data
 * only (structured-clone safe).
 */
import type { StreamPlan } from './plan.js';
import type { LatencySummary, HistogramBins } from './stats.js';
import type { ServerFigures } from './prometheus.js';

/** What a worker needs to drive its share of the streams. */
export interface WorkerInput {
  workerId: number;
  /** WebSocket URL of the stream endpoint (`ws://host:port/v1/stream`). */
  streamUrl: string;
  plans: StreamPlan[];
  pcm: SharedArrayBuffer;
  loopSamples: number;
  sampleRateHz: number;
  /** The call loop (8 kHz μ-law bytes) that plans marked `call` send; absent when none are. */
  calls?: CallLoopInput;
  hopMs: number;
  endTimeoutMs: number;
  coverageToleranceMs: number;
  /** How often the worker reports progress, ms. */
  progressIntervalMs: number;
  /** How long an idle or slow-reader client waits for the server to drop it, ms. Default endTimeoutMs. */
  dropTimeoutMs?: number;
}

/** A μ-law loop shared by the workers' call streams. */
export interface CallLoopInput {
  pcm: SharedArrayBuffer;
  loopSamples: number;
  sampleRateHz: number;
}

/** Generator-side pseudo error codes, next to the protocol's own. */
export type ClientErrorCode =
  | 'connect_failed'
  | 'connect_timeout'
  | 'unexpected_close'
  | 'end_timeout'
  | 'bad_server_message'
  | `http_${number}`;

/** The outcome of one stream. */
export interface StreamOutcome {
  streamId: number;
  /** False when the session never got `ready` (rejected or failed to connect). */
  started: boolean;
  /** First error seen: a protocol code from the server or a ClientErrorCode. */
  errorCode: string | null;
  results: number;
  missingResults: number;
  finalSeen: boolean;
  summarySeen: boolean;
  /** Results whose endMs points at audio the ledger no longer (or never) held. */
  unmatchedResults: number;
  outOfOrder: number;
  audioSentSeconds: number;
  /** Stream time the results covered, seconds. */
  audioCoveredSeconds: number;
  /** `end` sent → summary received, ms (NaN if none). */
  endToSummaryMs: number;
  /** Worst result latency of this stream, ms. */
  maxLatencyMs: number;
  /** Largest gap between a result's hop end and its endMs, ms (see coverage.ts). */
  maxStalenessMs: number;
  /** Set for the soak's careless clients (misbehaving_session.ts) only. */
  behavior?: 'idle' | 'slow_reader';
  /** WebSocket close code seen (careless clients only; 1006 = the connection was cut). */
  closeCode?: number;
  /** Careless clients: the server closed the connection before the client gave up waiting. */
  dropped?: boolean;
}

export interface WorkerProgress {
  type: 'progress';
  workerId: number;
  /** Latencies (ms) of results received since the previous message. */
  latenciesMs: Float64Array;
  /** The same results' latencies from the chunk that completed their hop (NaN: untraceable). */
  fromHopEndMs: Float64Array;
  /** The same results' kind: 1 = from a telephone call, 0 = from a 16 kHz stream. */
  callFlags: Float64Array;
  sessionsOpen: number;
  sessionsDone: number;
  errors: number;
}

export interface LatenessSnapshot {
  counts: Uint32Array;
  count: number;
  sum: number;
  max: number;
}

export interface WorkerDone {
  type: 'done';
  workerId: number;
  latenciesMs: Float64Array;
  fromHopEndMs: Float64Array;
  callFlags: Float64Array;
  streams: StreamOutcome[];
  /** How late chunks were sent against their real-time schedule (1 ms bins). */
  lateness: LatenessSnapshot;
  /** Fraction of the worker's wall time its event loop was busy, 0–1. */
  eventLoopUtilization: number;
}

export type WorkerMessage = WorkerProgress | WorkerDone;

/** One run at a fixed stream count against one server. */
export interface TrialResult {
  /** Server mode label ('streaming', 'naive', or 'external' for a server we did not spawn). */
  mode: string;
  streams: number;
  /** How many of the streams were telephone calls (8 kHz μ-law, `--call-share`); absent: none. */
  calls?: number;
  durationSeconds: number;
  hopMs: number;
  startedAt: string;
  wallSeconds: number;
  latency: LatencySummary;
  /**
   * Latency from the send of the chunk that completed each result's hop: the server's
   * turnaround alone. `latency` − this ≈ how long a result waited on audio it did not use.
   */
  latencyFromHopEnd: LatencySummary;
  /**
   * A mixed load (`calls` > 0) split by kind: the 16 kHz streams' results and the calls'
   * results, each as `latency` and `latencyFromHopEnd`. Absent when there were no calls.
   */
  latencyByKind?: Record<'wideband' | 'calls', { latency: LatencySummary; latencyFromHopEnd: LatencySummary }>;
  histogram: HistogramBins;
  resultsPerSecond: number;
  /** Seconds of audio answered by results per wall second, all streams. */
  audioSecondsPerSecond: number;
  errorsByCode: Record<string, number>;
  sessionsStarted: number;
  sessionsRejected: number;
  sessionsCompleted: number;
  missingResults: number;
  missingFinals: number;
  missingSummaries: number;
  unmatchedResults: number;
  /** Largest (hop end − endMs) of any result, ms: audio a result did not reflect yet. */
  maxResultStalenessMs: number;
  /** Worst stream by p95-irrelevant max latency: its id and max, for chasing outliers. */
  worstStream: { streamId: number; maxLatencyMs: number } | null;
  generator: {
    workers: number;
    /** Average CPU cores the generator process used during the trial. */
    cpuCores: number;
    cpuSeconds: number;
    eventLoopUtilization: number[];
    latenessMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  };
  server: ServerFigures | null;
  /** Server process CPU from /proc (spawned servers only), average cores. */
  serverProcessCpuCores: number | null;
  pass: boolean;
  failReasons: string[];
  warnings: string[];
}

/** The capacity found for one server mode. */
export interface CapacityRecord {
  mode: string;
  p95BudgetMs: number;
  capacityStreams: number;
  /** Smallest count that failed, or null when the search hit `--max-streams` still passing. */
  firstFailingStreams: number | null;
  steps: Array<{ streams: number; pass: boolean }>;
}

/** Everything one `npm run loadtest` invocation measured: report.json. */
export interface LoadtestReport {
  tool: 'ser-loadtest';
  reportVersion: 1;
  createdAt: string;
  /** The arguments as given. */
  argv: string[];
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemoryGb: number;
    /** 1-minute load average when the run began: > 0.5 means something else was running. */
    loadAverage1m: number;
    node: string;
    platform: string;
  };
  options: Record<string, unknown>;
  clips: { dir: string; count: number; loopSeconds: number };
  trials: TrialResult[];
  capacity: CapacityRecord[];
  /** Capacity of the streaming server ÷ capacity of the naive one, when both were searched. */
  comparison: { streamingCapacity: number; naiveCapacity: number; ratio: number | null } | null;
}
