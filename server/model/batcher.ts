/**
 * The main-thread half of cross-stream batching: a pool of inference workers, each owning
 * the stream state of the sessions assigned to it. Sessions call `step(frames, voiced)`;
 * everything posted in one event-loop tick goes to a worker as one message (the worker then
 * merges it into one model call), and results are routed back to each session's promise.
 *
 * Pipeline sessions (`openPipeline`, dspThread 'worker') instead hand the worker their raw
 * audio and get results back: the whole per-session pipeline runs in the worker (shard.ts).
 *
 * A crashed worker is replaced, and then its sessions' handles fail with WorkerFailedError,
 * so that they can re-open on a live worker — the replacement included (session/mono_stream.ts
 * resumes them). Sessions on other workers carry on; new and resumed sessions on the
 * replacement wait for its model to load.
 */
import type { SkippedEngine } from '../../models/engine.js';
import type { StepRule } from '../../models/streaming/step_clock.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { InferenceStream, PipelineHandlers, RemotePipeline, StepOutcome } from '../pipeline/contract.js';
import type { ModelInfo, PipelineOpen, ToWorker, WorkerInit } from './messages.js';
import { WorkerFailedError, WorkerSlot, type PoolHooks } from './slot.js';

export type { InferenceStream, PipelineHandlers, RemotePipeline, StepOutcome } from '../pipeline/contract.js';
export type { PoolHooks } from './slot.js';

/** Pause before respawning a worker that failed to load the model, ms. */
const RESPAWN_DELAY_MS = 5_000;

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

  /** Engines the workers passed over before `engine`, with their reasons. */
  get engineSkipped(): readonly SkippedEngine[] {
    return this.model.engineSkipped;
  }

  /** Sessions currently assigned across workers. */
  get sessionCount(): number {
    return this.slots.reduce((n, s) => n + s.sessions.size, 0);
  }

  /** Opens a session on the least-loaded live worker. */
  open(sessionId: string): InferenceStream {
    const slot = this.leastLoaded();
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
      numCoeffs: this.model.numCoeffs,
      step: (frames, voiced) => {
        if (closed) return Promise.reject(new ProtocolError('internal', 'stream already closed'));
        if (!slot.alive) return Promise.reject(new WorkerFailedError('not running'));
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

  /**
   * Starts a session whose whole pipeline runs on the least-loaded live worker; its results,
   * error or completion arrive through `handlers`.
   */
  openPipeline(open: PipelineOpen, handlers: PipelineHandlers): RemotePipeline {
    const slot = this.leastLoaded();
    const { sessionId } = open;
    slot.sessions.add(sessionId);
    slot.pipelines.set(sessionId, handlers);
    slot.post('pipeline', open);
    let closed = false;
    return {
      push: (chunk) => {
        if (!closed && slot.alive) slot.post('audio', { sessionId, bytes: chunk.bytes, arrivedAtMs: chunk.arrivedAtMs });
      },
      end: () => {
        if (!closed && slot.alive) slot.post('end', sessionId);
      },
      close: () => {
        if (closed) return;
        closed = true;
        slot.sessions.delete(sessionId);
        slot.pipelines.delete(sessionId);
        if (slot.alive) slot.post('close', sessionId);
      },
    };
  }

  private leastLoaded(): WorkerSlot {
    const slot = this.slots
      .filter((s) => s.alive)
      .reduce<WorkerSlot | undefined>((best, s) => (best === undefined || s.sessions.size < best.sessions.size ? s : best), undefined);
    if (slot === undefined) throw new ProtocolError('internal', 'no inference worker is running');
    return slot;
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
    slot.alive = false;
    const index = this.slots.indexOf(slot);
    if (!this.closing && index >= 0) {
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
    // After the respawn, so that the sessions failed here can resume on the replacement.
    slot.fail(reason);
  }

  /** Workers that are running (a replacement counts from its spawn). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  async close(): Promise<void> {
    this.closing = true;
    // All dead before any session hears of it, so none resumes on a worker about to close.
    for (const slot of this.slots) slot.alive = false;
    for (const slot of this.slots) slot.fail('pool closed');
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
