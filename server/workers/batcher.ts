/**
 * The main-thread half of the inference workers: a pool of worker threads, each running the
 * whole pipeline of the streams assigned to it (decode … result, server/workers/shard.ts)
 * with their model state, and batching their model steps. A stream is opened on the least
 * loaded worker (`openPipeline`): its audio goes there (everything posted to a worker in one
 * event-loop tick as one message, slot.ts) and its results, error or completion come back.
 *
 * A crashed worker is replaced, and then its streams' handles fail with WorkerFailedError,
 * so that they can re-open on a live worker — the replacement included (session/mono_stream.ts
 * resumes them). Streams on other workers carry on; new and resumed streams on the
 * replacement wait for its model to load.
 */
import type { SkippedEngine } from '../../models/engine.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { PipelineHandlers, RemotePipeline } from '../pipeline/contract.js';
import type { ModelInfo, PipelineOpen, ToWorker, WorkerInit, WorkerStats } from './messages.js';
import { WorkerSlot, type PoolHooks } from './slot.js';

export type { PipelineHandlers, RemotePipeline } from '../pipeline/contract.js';
export type { PoolHooks } from './slot.js';

/** Pause before respawning a worker that failed to load the model, ms. */
const RESPAWN_DELAY_MS = 5_000;

/** The pool's figures at one moment: totals over the live workers, and each one's own. */
export interface PoolStats {
  numTensors: number;
  sessions: number;
  workers: (WorkerStats & { index: number })[];
}

export class InferencePool {
  private readonly slots: WorkerSlot[] = [];
  /** Ids of stats requests. */
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

  /** Streams currently assigned across workers. */
  get sessionCount(): number {
    return this.slots.reduce((n, s) => n + s.sessions.size, 0);
  }

  /**
   * Starts a stream whose whole pipeline runs on the least-loaded live worker; its results,
   * error or completion arrive through `handlers`.
   */
  openPipeline(open: PipelineOpen, handlers: PipelineHandlers): RemotePipeline {
    const slot = this.leastLoaded();
    const { sessionId } = open;
    slot.sessions.add(sessionId);
    slot.pipelines.set(sessionId, handlers);
    slot.post('open', open);
    let closed = false;
    return {
      push: (chunk) => {
        if (!closed && slot.alive) slot.post('audio', { sessionId, bytes: chunk.bytes, arrivedAtMs: chunk.arrivedAtMs });
      },
      end: (endedAtMs) => {
        if (!closed && slot.alive) slot.post('end', { sessionId, endedAtMs });
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

  /** Streams awaiting a worker's results (until their error or completion), all workers. */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.pipelines.size, 0);
  }

  /**
   * Live tensors and sessions summed over the workers (for the leak gauge and tests), and
   * each live worker's own figures, by its index in the pool.
   */
  async stats(): Promise<PoolStats> {
    const workers = await Promise.all(
      this.slots.flatMap((slot, index) =>
        slot.alive
          ? [
              new Promise<WorkerStats & { index: number }>((resolve) => {
                const requestId = this.nextRequestId++;
                slot.statsWaiters.set(requestId, (stats) => resolve({ ...stats, index }));
                slot.worker.postMessage({ type: 'stats', requestId } satisfies ToWorker);
              }),
            ]
          : [],
      ),
    );
    return {
      numTensors: workers.reduce((n, w) => n + w.numTensors, 0),
      sessions: workers.reduce((n, w) => n + w.sessions, 0),
      workers,
    };
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
