/**
 * Every Prometheus metric the server exports, in one place (prom-client). Each server
 * instance owns its own Registry, so several servers in one process (tests) never collide.
 * Names follow Prometheus conventions: prefix `ser_`, base units, `_total` on counters.
 * docs/metrics.md lists them with their meaning.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../shared/error_codes.js';
import { startLagProbe } from './metrics_lag.js';
import { RealTimeFactorWindow } from './metrics_rtf.js';
import { workerGauges, type WorkerStatsView } from './metrics_workers.js';

/** How a session ended: the `outcome` label of ser_sessions_total. */
export type SessionOutcome = 'completed' | 'error' | 'client_closed' | 'shutdown';

/**
 * Which limit ended a connection: the `kind` label of ser_timeouts_total. `start`: no start
 * within startTimeoutMs; `idle`: idle_timeout; `max_duration`: open past maxSessionSeconds;
 * `heartbeat`: a missed pong; `stalled`: paused by backpressure for 3 heartbeats with no
 * result sent; `slow_consumer`: unsent bytes past maxUnsentBytes, or a paused socket that left
 * a ping unanswered for pausedPongTimeoutMs.
 */
export type TimeoutKind = 'start' | 'idle' | 'max_duration' | 'heartbeat' | 'stalled' | 'slow_consumer';

/** Real-time factor window: processing seconds over audio seconds of the last this-many seconds. */
const RTF_WINDOW_SECONDS = 10;
/** Event-loop lag probe period, ms: short enough to see a 20 ms stall, cheap enough to ignore. */
const LAG_PROBE_MS = 10;

/** Buckets for per-hop latency: hops are ≥ 50 ms apart, so resolve 1 ms … 10 s. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SHORT_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const LAG_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2];

export interface ServerMetrics {
  registry: Registry;
  sessionsActive: Gauge;
  sessionsMax: Gauge;
  draining: Gauge;
  sessionsTotal: Counter<'outcome'>;
  audioReceivedSeconds: Counter;
  audioReceivedBytes: Counter;
  resultsSent: Counter;
  resultLatency: Histogram;
  inferenceBatchSize: Histogram;
  inferenceDuration: Histogram;
  featureExtractionDuration: Histogram;
  realTimeFactor: Gauge;
  errors: Counter<'code'>;
  backlogBytes: Gauge;
  backlogPauses: Counter;
  audioDiscardedBytes: Counter;
  sessionsPaused: Gauge;
  eventLoopLag: Histogram;
  modelTensors: Gauge;
  workerMemory: Gauge<'worker' | 'kind'>;
  workerRestarts: Counter;
  workerCrashStreams: Counter<'outcome'>;
  audioLostSeconds: Counter;
  analyzeRequests: Counter<'status'>;
  analyzeDuration: Histogram;
  analyzeInFlight: Gauge;
  timeouts: Counter<'kind'>;
  audioPacedSeconds: Counter;
  watchersActive: Gauge;
  watchersDropped: Counter<'reason'>;
  alerts: Counter<'state'>;
  /** Records processing time against audio time for the real-time factor. */
  recordProcessing(audioSeconds: number, processingSeconds: number): void;
  countError(code: ErrorCode): void;
  /** Stops the probes (timers) so the process can exit. */
  stop(): void;
}

export interface MetricsInfo {
  modelId: string;
  /** The model serving streams at 8 kHz or less instead (server/workers/band.ts); absent or null = none. */
  narrowbandModelId?: string | null;
  engine: string;
  /** Engines passed over before `engine` (models/engine.ts skippedEngines), one ser_engine_skipped series each. */
  engineSkipped?: readonly { engine: string; reason: string }[];
  mode: string;
  /** The configured maxSessions, exported so alerts can compare ser_sessions_active with it. */
  maxSessions?: number;
  /** The inference workers' tensors and memory, read at scrape time (once per scrape). */
  workerStats?: () => Promise<WorkerStatsView>;
}

export function createMetrics(info: MetricsInfo): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const modelInfo = new Gauge({
    name: 'ser_model_info',
    help: 'The model being served (value 1), with its id, inference engine and mode',
    labelNames: ['model_id', 'engine', 'mode'],
    registers: [registry],
  });
  modelInfo.set({ model_id: info.modelId, engine: info.engine, mode: info.mode }, 1);
  const narrowbandInfo = new Gauge({
    name: 'ser_narrowband_model_info',
    help: 'The model serving streams at 8 kHz or less instead of ser_model_info\'s (value 1), with its id; absent when none is loaded',
    labelNames: ['model_id'],
    registers: [registry],
  });
  if (info.narrowbandModelId !== undefined && info.narrowbandModelId !== null) narrowbandInfo.set({ model_id: info.narrowbandModelId }, 1);
  // An info-style gauge (value 1 per engine passed over) rather than a counter: selection
  // happens once per worker start, and the question it answers is "why not the GPU?".
  const engineSkipped = new Gauge({
    name: 'ser_engine_skipped',
    help: 'Inference engines tried and passed over before the one serving (value 1), by engine and reason (not_installed, no_adapter, init_failed, self_test_failed)',
    labelNames: ['engine', 'reason'],
    registers: [registry],
  });
  for (const skip of info.engineSkipped ?? []) engineSkipped.set({ engine: skip.engine, reason: skip.reason }, 1);

  const rtf = new RealTimeFactorWindow(RTF_WINDOW_SECONDS, Date.now());

  const metrics: ServerMetrics = {
    registry,
    sessionsActive: new Gauge({
      name: 'ser_sessions_active',
      help: 'Streams being served now (WebSocket sessions and running analyses)',
      registers: [registry],
    }),
    sessionsMax: new Gauge({
      name: 'ser_sessions_max',
      help: 'The configured maxSessions: beyond it new streams get too_many_sessions and /readyz answers 503 full',
      registers: [registry],
    }),
    draining: new Gauge({
      name: 'ser_draining',
      help: '1 from the start of a drain (SIGTERM; /readyz 503) until exit, else 0',
      registers: [registry],
    }),
    sessionsTotal: new Counter({
      name: 'ser_sessions_total',
      help: 'Streams ended, by outcome (completed, error, client_closed, shutdown)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    audioReceivedSeconds: new Counter({
      name: 'ser_audio_received_seconds_total',
      help: 'Seconds of audio received (stream time, all sessions)',
      registers: [registry],
    }),
    audioReceivedBytes: new Counter({
      name: 'ser_audio_received_bytes_total',
      help: 'Bytes of audio received',
      registers: [registry],
    }),
    resultsSent: new Counter({
      name: 'ser_results_sent_total',
      help: 'Emotion results sent (one per hop per session)',
      registers: [registry],
    }),
    resultLatency: new Histogram({
      name: 'ser_result_latency_seconds',
      help: 'From the arrival of the audio that completed a hop to the result being sent',
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    inferenceBatchSize: new Histogram({
      name: 'ser_inference_batch_size',
      help: 'Streams in one model call',
      buckets: BATCH_BUCKETS,
      registers: [registry],
    }),
    inferenceDuration: new Histogram({
      name: 'ser_inference_duration_seconds',
      help: 'Duration of one model call (in the inference worker)',
      buckets: SHORT_BUCKETS_S,
      registers: [registry],
    }),
    featureExtractionDuration: new Histogram({
      name: 'ser_feature_extraction_seconds',
      help: 'Decode + resample + MFCC + VAD + hop time per batch of audio an inference worker received in one message (every stream\'s audio of one main-thread turn), measured in the worker',
      buckets: SHORT_BUCKETS_S,
      registers: [registry],
    }),
    realTimeFactor: new Gauge({
      name: 'ser_real_time_factor',
      help: `Processing seconds (features + inference) per second of audio over the last ${RTF_WINDOW_SECONDS} s; < 1 keeps up`,
      registers: [registry],
      collect() {
        this.set(rtf.value(Date.now()));
      },
    }),
    errors: new Counter({
      name: 'ser_errors_total',
      help: 'Errors sent to clients (WebSocket and HTTP), by protocol error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    backlogBytes: new Gauge({
      name: 'ser_backlog_bytes',
      help: 'Audio received but not yet answered by a result, bytes in the clients\' encodings, all sessions',
      registers: [registry],
    }),
    backlogPauses: new Counter({
      name: 'ser_backlog_pauses_total',
      help: 'Times a session\'s socket reading was paused because its backlog hit maxBacklogSeconds',
      registers: [registry],
    }),
    audioDiscardedBytes: new Counter({
      name: 'ser_audio_discarded_bytes_total',
      help: 'Audio bytes refused because they arrived after the stream ended (after end, or during a drain)',
      registers: [registry],
    }),
    sessionsPaused: new Gauge({
      name: 'ser_sessions_paused',
      help: 'Sessions whose socket reading is paused by backpressure now',
      registers: [registry],
    }),
    eventLoopLag: new Histogram({
      name: 'ser_event_loop_lag_seconds',
      help: `Main event-loop lag: delay of a ${LAG_PROBE_MS} ms timer beyond its due time`,
      buckets: LAG_BUCKETS_S,
      registers: [registry],
    }),
    ...workerGauges(registry, info.workerStats),
    workerRestarts: new Counter({
      name: 'ser_worker_restarts_total',
      help: 'Inference workers restarted after a crash',
      registers: [registry],
    }),
    workerCrashStreams: new Counter({
      name: 'ser_worker_crash_streams_total',
      help: 'Streams (a session, one channel of a separate session, or an analysis) whose inference worker crashed, by outcome: resumed on another worker, or ended (final result, summary, internal error) because none could take it',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    audioLostSeconds: new Counter({
      name: 'ser_audio_lost_seconds_total',
      help: 'Seconds of audio inside a crashed inference worker that no result covers (never analysed)',
      registers: [registry],
    }),
    analyzeRequests: new Counter({
      name: 'ser_analyze_requests_total',
      help: 'POST /v1/analyze requests, by HTTP status',
      labelNames: ['status'],
      registers: [registry],
    }),
    analyzeDuration: new Histogram({
      name: 'ser_analyze_duration_seconds',
      help: 'POST /v1/analyze that completed: from its header read to the answer built, the rest of the upload included (the body is read as the analysis takes it); kept apart from the live-stream latency, which a whole file would swamp',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    analyzeInFlight: new Gauge({
      name: 'ser_analyze_in_flight',
      help: 'POST /v1/analyze requests admitted and not yet answered (body being read or audio being analysed)',
      registers: [registry],
    }),
    timeouts: new Counter({
      name: 'ser_timeouts_total',
      help: 'Connections ended by a liveness limit, by kind (start, idle, max_duration, heartbeat, stalled, slow_consumer)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    audioPacedSeconds: new Counter({
      name: 'ser_audio_paced_seconds_total',
      help: 'Stream seconds of audio that waited for their session\'s real-time budget (maxRealTimeMultiple) before processing',
      registers: [registry],
    }),
    watchersActive: new Gauge({
      name: 'ser_watchers_active',
      help: 'Watchers subscribed now (GET /v1/sessions/{id}/events)',
      registers: [registry],
    }),
    watchersDropped: new Counter({
      name: 'ser_watchers_dropped_total',
      help: 'Watchers dropped by the server, by reason (slow_consumer: too much unsent)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'ser_alerts_total',
      help: 'Alert messages sent, by state (raised, cleared)',
      labelNames: ['state'],
      registers: [registry],
    }),
    recordProcessing(audioSeconds, processingSeconds) {
      rtf.record(audioSeconds, processingSeconds, Date.now());
    },
    countError(code) {
      metrics.errors.inc({ code });
    },
    stop() {
      stopLagProbe();
    },
  };

  if (info.maxSessions !== undefined) metrics.sessionsMax.set(info.maxSessions);
  metrics.draining.set(0);

  const stopLagProbe = startLagProbe(LAG_PROBE_MS, (lagSeconds) => metrics.eventLoopLag.observe(lagSeconds));

  return metrics;
}
