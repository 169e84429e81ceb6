/**
 * The worker's batch scheduler: hop requests queue per session, and a round takes the oldest
 * request of up to `maxBatchStreams` sessions for one model call, at most one round per
 * batch window unless a full batch is waiting. While a round runs, new messages queue in the
 * port, so the busier the worker, the larger the next batch. A session's requests are
 * stepped strictly in order (its state is sequential); sessions with more queued (a file sent
 * faster than real time) rotate to the back after each round so they cannot starve live
 * streams.
 */
/** What the scheduler queues: anything of one session (a hop of its pipeline, in the worker). */
export interface Queued {
  sessionId: string;
}

/** Batch window per stream served, ms: 160 streams on a worker wait up to 16 ms. */
const ADAPTIVE_WINDOW_MS_PER_STREAM = 0.1;
/** Upper bound of the adaptive batch window, ms (well inside a 100 ms latency budget). */
const ADAPTIVE_WINDOW_MAX_MS = 20;

/**
 * The batch window in streaming mode grows with the streams this worker serves: many
 * streams mean a loaded CPU, where fewer, larger model calls pay tfjs's per-call overhead
 * less often, and a few ms more wait is small beside the queueing it saves. A few streams
 * keep the configured window, so a light load keeps its low latency.
 */
export function adaptiveBatchWindowMs(configuredMs: number, streams: number): number {
  return Math.max(configuredMs, Math.min(ADAPTIVE_WINDOW_MAX_MS, streams * ADAPTIVE_WINDOW_MS_PER_STREAM));
}

/** The clock and the two ways a round is started (replaced in tests). */
export interface SchedulerTimers {
  now(): number;
  /** Runs after the port has delivered every message already queued. */
  immediate(run: () => void): void;
  after(ms: number, run: () => void): void;
}

export const REAL_TIMERS: SchedulerTimers = {
  now: () => performance.now(),
  immediate: (run) => setImmediate(run),
  after: (ms, run) => setTimeout(run, ms),
};

export interface SchedulerOptions<R extends Queued> {
  /** Most sessions per round, ≥ 1. */
  maxBatchStreams: number;
  /** Least time between the starts of two rounds unless a batch is full, ms (read at each scheduling). */
  batchWindowMs(): number;
  /** Runs one round's requests (at most one per session). */
  runRound(taken: R[]): void;
  timers?: SchedulerTimers;
}

export class BatchScheduler<R extends Queued> {
  /** Per session, requests not yet stepped; Map order is the round-robin order. */
  private readonly pending = new Map<string, R[]>();
  private scheduled = false;
  /** timers.now() when the last round started (the batch window counts from it). */
  private lastRoundMs = Number.NEGATIVE_INFINITY;
  private readonly timers: SchedulerTimers;

  constructor(private readonly options: SchedulerOptions<R>) {
    this.timers = options.timers ?? REAL_TIMERS;
  }

  /** Sessions with requests waiting. */
  get sessionsWaiting(): number {
    return this.pending.size;
  }

  /** Queues a request behind its session's earlier ones; `schedule()` starts the round. */
  enqueue(request: R): void {
    const queue = this.pending.get(request.sessionId);
    if (queue === undefined) this.pending.set(request.sessionId, [request]);
    else queue.push(request);
  }

  /** Removes a session's waiting requests and returns them. */
  drop(sessionId: string): R[] {
    const queue = this.pending.get(sessionId) ?? [];
    this.pending.delete(sessionId);
    return queue;
  }

  /** Plans the next round if work waits and none is planned. */
  schedule(): void {
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    // Every model call costs tfjs a fixed overhead (≈ 0.4 ms at batch 1-2, profiled), so
    // hops arriving within the batch window of the last call wait to share the next one;
    // a full batch goes at once. `immediate` runs after the port has delivered every
    // message already queued, so a round sees all the work that arrived in this tick.
    const waitMs = this.lastRoundMs + this.options.batchWindowMs() - this.timers.now();
    if (waitMs <= 0 || this.pending.size >= this.options.maxBatchStreams) this.timers.immediate(this.round);
    else this.timers.after(waitMs, this.round);
  }

  /** The oldest request of each of the first `maxBatchStreams` sessions; those sessions rotate to the back. */
  takeRound(): R[] {
    const taken: R[] = [];
    // Snapshot the keys: re-inserting a session below must not visit it twice in one round
    // (its state may enter a model call only once).
    for (const sessionId of [...this.pending.keys()]) {
      if (taken.length >= this.options.maxBatchStreams) break;
      const queue = this.pending.get(sessionId);
      const request = queue?.shift();
      if (request !== undefined) taken.push(request);
      this.pending.delete(sessionId);
      if (queue !== undefined && queue.length > 0) this.pending.set(sessionId, queue);
    }
    return taken;
  }

  private readonly round = (): void => {
    this.scheduled = false;
    this.lastRoundMs = this.timers.now();
    const taken = this.takeRound();
    if (taken.length > 0) this.options.runRound(taken);
    this.schedule();
  };
}
