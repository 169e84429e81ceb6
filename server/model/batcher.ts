/**
 * The main-thread half of cross-stream batching: a pool of inference workers, each owning
 * the stream state of the sessions assigned to it. Sessions call `step(frames, voiced)`;
 * everything posted in one event-loop tick goes to a worker as one message (the worker then
 * merges it into one model call), and results are routed back to each session's promise.
 *
 * A crashed worker fails its in-flight sessions with `internal` and is replaced; sessions on
 * other workers carry on and new sessions wait for the replacement's model to load.
 */
import type { Worker } from 'node:worker_threads';
import type { StepRule } from '../../models/streaming/step_clock.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { FromWorker, HopRequest, ModelInfo, ToWorker, WorkerInit } from './messages.js';
import { packHops, unpackResults } from './pack.js';
import { spawnInferenceWorker } from './spawn.js';

export interface StepOutcome {
  /** The model's distribution after the frames, in label order; null before its first step. */
  probs: Float32Array | null;
  /** Frames of the stream consumed so far, cumulative (stepped, or dropped by a silence reset). */
  framesConsumed: number;
}

/** One session's handle on the model: ordered steps, then close. */
export interface InferenceStream {
  readonly sessionId: string;
  /**
   * The step grid the worker runs this stream on (streaming mode), so the hop stage can
   * answer as soon as no step can complete inside a hop; undefined when every hop re-reads
   * all its frames (naive mode).
   */
  readonly stepRule?: StepRule;
  /** Steps n frames (n × numCoeffs values, n voiced flags); the arrays are copied when sent. */
  step(frames: Float32Array, voiced: Uint8Array): Promise<StepOutcome>;
  /** Releases the session's state in the worker. Idempotent. */
  close(): void;
}

export interface PoolHooks {
  /** After every model call: streams in it and its duration, s. */
  onModelCall?: (streams: number, seconds: number) => void;
  onWorkerRestart?: (index: number, reason: string) => void;
}

/** Pause before respawning a worker that failed to load the model, ms. */
const RESPAWN_DELAY_MS = 5_000;

interface Waiter {
  resolve: (outcome: StepOutcome) => void;
  reject: (err: Error) => void;
}

/** One worker thread and what is in flight on it. */
class WorkerSlot {
  readonly worker: Worker;
  readonly sessions = new Set<string>();
  readonly waiters = new Map<number, Waiter>();
  readonly statsWaiters = new Map<number, (stats: { numTensors: number; sessions: number }) => void>();
  readonly ready: Promise<ModelInfo>;
  private outbox: { opens: string[]; hops: HopRequest[]; closes: string[] } = { opens: [], hops: [], closes: [] };
  private flushScheduled = false;
  alive = true;
  /** Whether the model loaded; a slot that never loaded is respawned only after a pause. */
  loaded = false;

  constructor(init: WorkerInit, hooks: PoolHooks, onExit: (slot: WorkerSlot, reason: string) => void) {
    this.worker = spawnInferenceWorker(init);
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
          case 'results':
            for (const call of message.calls) hooks.onModelCall?.(call.streams, call.seconds);
            for (const result of unpackResults(message.results)) {
              const waiter = this.waiters.get(result.requestId);
              if (waiter === undefined) continue;
              this.waiters.delete(result.requestId);
              if (result.error !== undefined) {
                waiter.reject(new ProtocolError('internal', 'the model failed on this stream'));
              } else {
                waiter.resolve({ probs: result.probs, framesConsumed: result.framesConsumed });
              }
            }
            break;
          case 'stats': {
            const waiter = this.statsWaiters.get(message.requestId);
            this.statsWaiters.delete(message.requestId);
            waiter?.({ numTensors: message.numTensors, sessions: message.sessions });
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

  post(kind: 'open' | 'close', sessionId: string): void;
  post(kind: 'hop', request: HopRequest): void;
  post(kind: 'open' | 'close' | 'hop', value: string | HopRequest): void {
    if (kind === 'open') this.outbox.opens.push(value as string);
    else if (kind === 'close') this.outbox.closes.push(value as string);
    else this.outbox.hops.push(value as HopRequest);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything the sessions post during this tick leaves in one message.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.alive) return;
    const { opens, hops, closes } = this.outbox;
    this.outbox = { opens: [], hops: [], closes: [] };
    const packed = packHops(hops);
    const message: ToWorker = { type: 'work', opens, hops: packed, closes };
    this.worker.postMessage(message, [packed.frames.buffer as ArrayBuffer, packed.voiced.buffer as ArrayBuffer]);
  }

  /** Fails everything in flight; the slot is dead from now on. */
  fail(reason: string): void {
    this.alive = false;
    const err = new ProtocolError('internal', `inference worker failed (${reason})`);
    for (const waiter of this.waiters.values()) waiter.reject(err);
    this.waiters.clear();
    for (const waiter of this.statsWaiters.values()) waiter({ numTensors: 0, sessions: 0 });
    this.statsWaiters.clear();
  }
}

export class InferencePool {
  private readonly slots: WorkerSlot[] = [];
  private nextRequestId = 1;
  private closing = false;

  private constructor(
    private readonly init: WorkerInit,
    private readonly hooks: PoolHooks,
    readonly model: ModelInfo,
  ) {}

  /** Starts `workers` threads and resolves once every one has loaded the model. */
  static async start(init: WorkerInit, workers: number, hooks: PoolHooks = {}): Promise<InferencePool> {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers: expected an integer ≥ 1, got ${workers}`);
    let pool: InferencePool | null = null;
    const pendingSlots: WorkerSlot[] = [];
    const onExit = (slot: WorkerSlot, reason: string): void => pool?.replace(slot, reason);
    for (let i = 0; i < workers; i += 1) pendingSlots.push(new WorkerSlot(init, hooks, onExit));
    let infos: ModelInfo[];
    try {
      infos = await Promise.all(pendingSlots.map((s) => s.ready));
    } catch (err) {
      for (const slot of pendingSlots) {
        slot.alive = false;
        void slot.worker.terminate();
      }
      throw err;
    }
    pool = new InferencePool(init, hooks, infos[0] as ModelInfo);
    pool.slots.push(...pendingSlots);
    return pool;
  }

  get engine(): string {
    return this.model.engine;
  }

  /** Sessions currently assigned across workers. */
  get sessionCount(): number {
    return this.slots.reduce((n, s) => n + s.sessions.size, 0);
  }

  /** Opens a session on the least-loaded live worker. */
  open(sessionId: string): InferenceStream {
    const slot = this.slots
      .filter((s) => s.alive)
      .reduce<WorkerSlot | undefined>((best, s) => (best === undefined || s.sessions.size < best.sessions.size ? s : best), undefined);
    if (slot === undefined) throw new ProtocolError('internal', 'no inference worker is running');
    slot.sessions.add(sessionId);
    slot.post('open', sessionId);
    let closed = false;
    /** This stream's requests awaiting results, dropped on close (the worker drops them too). */
    const inFlight = new Set<number>();
    const stepRule: StepRule | undefined =
      this.init.mode === 'streaming'
        ? { stepFrames: this.model.stepFrames, resetAfterSilenceFrames: this.model.resetAfterSilenceFrames }
        : undefined;
    return {
      sessionId,
      stepRule,
      step: (frames, voiced) => {
        if (closed) return Promise.reject(new ProtocolError('internal', 'stream already closed'));
        if (!slot.alive) return Promise.reject(new ProtocolError('internal', 'inference worker failed'));
        const requestId = this.nextRequestId++;
        inFlight.add(requestId);
        return new Promise<StepOutcome>((resolve, reject) => {
          const settle = (): void => {
            inFlight.delete(requestId);
          };
          slot.waiters.set(requestId, {
            resolve: (outcome) => {
              settle();
              resolve(outcome);
            },
            reject: (err) => {
              settle();
              reject(err);
            },
          });
          slot.post('hop', { sessionId, requestId, frames, voiced });
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        slot.sessions.delete(sessionId);
        // Nobody listens any more; the promises are left unsettled and collected with the stream.
        for (const requestId of inFlight) slot.waiters.delete(requestId);
        inFlight.clear();
        if (slot.alive) slot.post('close', sessionId);
      },
    };
  }

  /** Requests awaiting a worker's answer, all workers (main-thread side). */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.waiters.size, 0);
  }

  /** Live tensors and sessions summed over the workers (for the leak gauge and tests). */
  async stats(): Promise<{ numTensors: number; sessions: number }> {
    const all = await Promise.all(
      this.slots
        .filter((s) => s.alive)
        .map(
          (slot) =>
            new Promise<{ numTensors: number; sessions: number }>((resolve) => {
              const requestId = this.nextRequestId++;
              slot.statsWaiters.set(requestId, resolve);
              slot.worker.postMessage({ type: 'stats', requestId } satisfies ToWorker);
            }),
        ),
    );
    return all.reduce((a, b) => ({ numTensors: a.numTensors + b.numTensors, sessions: a.sessions + b.sessions }), {
      numTensors: 0,
      sessions: 0,
    });
  }

  /** Test hook: kills worker `index` as a crash would, and resolves once its replacement is ready. */
  async crashWorker(index = 0): Promise<void> {
    const slot = this.slots[index];
    if (slot === undefined) throw new RangeError(`index: expected 0–${this.slots.length - 1}, got ${index}`);
    await slot.worker.terminate();
    while (this.slots[index] === slot) await new Promise((resolve) => setImmediate(resolve));
    await this.slots[index]?.ready;
  }

  private replace(slot: WorkerSlot, reason: string): void {
    if (!slot.alive) return; // 'error' and 'exit' both report one crash
    const index = this.slots.indexOf(slot);
    slot.fail(reason);
    if (this.closing || index < 0) return;
    this.hooks.onWorkerRestart?.(index, reason);
    // A worker that crashed after loading is replaced at once; one that could not load the
    // model would fail again the same way, so it is retried after a pause, not in a hot loop.
    const respawn = (): void => {
      if (this.closing || this.slots[index] !== slot) return;
      this.slots[index] = new WorkerSlot(this.init, this.hooks, (s, r) => this.replace(s, r));
    };
    if (slot.loaded) respawn();
    else setTimeout(respawn, RESPAWN_DELAY_MS).unref();
  }

  /** Workers that are running (a replacement counts from its spawn). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const slot of this.slots) slot.fail('pool closed');
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
