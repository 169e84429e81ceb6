/**
 * One inference worker thread as the main thread sees it: what was posted to it this tick
 * (sent as ONE message per event-loop turn: stream opens, audio, ends, closes), the streams
 * awaiting its answers, and its liveness.
 */
import type { Worker } from 'node:worker_threads';
import { ProtocolError } from '../../shared/error_codes.js';
import type { PipelineHandlers } from '../pipeline/contract.js';
import { NO_WORKER_STATS, type FromWorker, type ModelInfo, type PackedAudio, type PipelineEnd, type PipelineOpen, type ToWorker, type WorkerInit, type WorkerStats } from './messages.js';
import { spawnInferenceWorker } from './spawn.js';

export interface PoolHooks {
  /** After every model call: streams in it and its duration, s. */
  onModelCall?: (streams: number, seconds: number) => void;
  /** Audio pushed through the workers' pipelines, s, and the time it took, s. */
  onDsp?: (audioSeconds: number, seconds: number) => void;
  onWorkerRestart?: (index: number, reason: string) => void;
}

/** A stream's inference worker crashed: `internal`, marked so that the stream can resume elsewhere (or sum up). */
export class WorkerFailedError extends ProtocolError {
  constructor(reason: string) {
    super('internal', `inference worker failed (${reason})`);
  }
}

/** One stream's audio message, as posted. */
export interface AudioItem {
  sessionId: string;
  bytes: Uint8Array;
  arrivedAtMs: number;
}

interface Outbox {
  opens: PipelineOpen[];
  audio: AudioItem[];
  ends: PipelineEnd[];
  closes: string[];
}

/**
 * Least time between two work messages to one worker: 0.04 ms per session it serves, at
 * most 5 ms (reached at 125 sessions). Under load the event loop turns over every few
 * socket reads, and a message per turn (≈ 5 audio chunks each at 300 streams) made
 * `postMessage` the main thread's largest item, with a matching cost in the worker;
 * gathering for up to 5 ms instead of 2 cut the server's CPU by ≈ 5 % at 300 streams
 * (BENCHMARKS.md). A few sessions keep a near-zero interval, so a light load adds no
 * latency.
 */
const FLUSH_INTERVAL_MS_PER_SESSION = 0.04;
const MAX_FLUSH_INTERVAL_MS = 5;

const emptyOutbox = (): Outbox => ({ opens: [], audio: [], ends: [], closes: [] });

/** Every audio message of the tick copied back to back into one transferable buffer. */
function packAudio(audio: readonly AudioItem[]): PackedAudio {
  const bytes = new Uint8Array(audio.reduce((n, a) => n + a.bytes.length, 0));
  let offset = 0;
  const items = audio.map((a) => {
    bytes.set(a.bytes, offset);
    offset += a.bytes.length;
    return { sessionId: a.sessionId, byteLength: a.bytes.length, arrivedAtMs: a.arrivedAtMs };
  });
  return { items, bytes };
}

export class WorkerSlot {
  readonly worker: Worker;
  readonly sessions = new Set<string>();
  /** The streams awaiting this worker's results (until their error or completion). */
  readonly pipelines = new Map<string, PipelineHandlers>();
  readonly statsWaiters = new Map<number, (stats: WorkerStats) => void>();
  readonly ready: Promise<ModelInfo>;
  private outbox = emptyOutbox();
  private flushScheduled = false;
  /** performance.now() of the last flush. */
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  alive = true;
  /** Whether the model loaded; a slot that never loaded is respawned only after a pause. */
  loaded = false;

  /** `spawn`: starts the worker thread (a stand-in in tests). */
  constructor(
    init: WorkerInit,
    hooks: PoolHooks,
    onExit: (slot: WorkerSlot, reason: string) => void,
    spawn: (init: WorkerInit) => Worker = spawnInferenceWorker,
  ) {
    this.worker = spawn(init);
    this.ready = new Promise<ModelInfo>((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            this.loaded = true;
            resolve(message.model);
            break;
          case 'init_failed':
            reject(new Error(`inference worker could not load the model: ${message.message}`));
            // Nothing else will happen in this worker; end it so the pool sees an exit.
            void this.worker.terminate();
            break;
          case 'events':
            for (const call of message.calls) hooks.onModelCall?.(call.streams, call.seconds);
            if (message.dsp.audioSeconds > 0) hooks.onDsp?.(message.dsp.audioSeconds, message.dsp.seconds);
            this.onPipelineEvents(message.events);
            break;
          case 'stats': {
            const waiter = this.statsWaiters.get(message.requestId);
            this.statsWaiters.delete(message.requestId);
            const { type: _type, requestId: _id, ...stats } = message;
            waiter?.(stats);
            break;
          }
        }
      });
      this.worker.on('error', (err) => {
        reject(err);
        onExit(this, err.message);
      });
      this.worker.on('exit', (code) => {
        reject(new Error(`inference worker exited with code ${code}`));
        onExit(this, `exit code ${code}`);
      });
    });
    // An unobserved rejection here would crash the process; callers observe `ready`.
    this.ready.catch(() => undefined);
  }

  private onPipelineEvents(events: Extract<FromWorker, { type: 'events' }>['events']): void {
    for (const event of events) {
      const handlers = this.pipelines.get(event.sessionId);
      if (handlers === undefined) continue; // closed meanwhile
      if (event.kind === 'result') {
        handlers.next(event.result);
      } else {
        this.pipelines.delete(event.sessionId);
        if (event.kind === 'error') handlers.error(new ProtocolError(event.code, event.message));
        else handlers.complete();
      }
    }
  }

  post(kind: 'open', open: PipelineOpen): void;
  post(kind: 'audio', audio: AudioItem): void;
  post(kind: 'end', end: PipelineEnd): void;
  post(kind: 'close', sessionId: string): void;
  post(kind: 'open' | 'audio' | 'end' | 'close', value: PipelineOpen | AudioItem | PipelineEnd | string): void {
    const box = this.outbox;
    if (kind === 'open') box.opens.push(value as PipelineOpen);
    else if (kind === 'audio') box.audio.push(value as AudioItem);
    else if (kind === 'end') box.ends.push(value as PipelineEnd);
    else box.closes.push(value as string);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything the sessions post during this tick (or the rest of the interval) leaves in
    // one message.
    const intervalMs = Math.min(MAX_FLUSH_INTERVAL_MS, this.sessions.size * FLUSH_INTERVAL_MS_PER_SESSION);
    const waitMs = this.lastFlushMs + intervalMs - performance.now();
    if (waitMs <= 0) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), waitMs);
  }

  private flush(): void {
    this.flushScheduled = false;
    this.lastFlushMs = performance.now();
    if (!this.alive) return;
    const { opens, audio, ends, closes } = this.outbox;
    this.outbox = emptyOutbox();
    const message: ToWorker = { type: 'work', opens, ends, closes };
    // Only when the tick has audio: transferring even an empty buffer costs a few µs per message.
    if (audio.length === 0) {
      this.worker.postMessage(message);
      return;
    }
    const packed = packAudio(audio);
    message.audio = packed;
    this.worker.postMessage(message, [packed.bytes.buffer as ArrayBuffer]);
  }

  /** Fails everything in flight; the slot is dead from now on. */
  fail(reason: string): void {
    this.alive = false;
    const err = new WorkerFailedError(reason);
    const pipelines = [...this.pipelines.values()];
    this.pipelines.clear();
    for (const handlers of pipelines) handlers.error(err);
    for (const waiter of this.statsWaiters.values()) waiter(NO_WORKER_STATS);
    this.statsWaiters.clear();
  }
}
