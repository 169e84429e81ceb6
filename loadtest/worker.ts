/**
 * Generator worker thread: drives its share of the streams with ONE scheduler loop (a
 * single timer re-armed for the earliest due event across all its sessions; sample counts
 * are the clock), and reports latencies to the main thread as they come. Sessions are
 * created shortly before their start, so a soak's hour of churn costs only what is live.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { createSession, type DrivenSession } from './driven_session.js';
import type { StreamPlan } from './plan.js';
import type { SessionContext } from './session.js';
import { FixedHistogram } from './stats.js';
import type { StreamOutcome, WorkerDone, WorkerInput, WorkerProgress } from './types.js';

/** Longest sleep of the scheduler, ms, so progress reports stay regular. */
const MAX_SLEEP_MS = 50;
/** A session is created this long before its planned start, ms. */
const CREATE_AHEAD_MS = 1000;

/** Growable list of float64 values, handed over and emptied at each report. */
class LatencyLog {
  private values = new Float64Array(4096);
  private length = 0;

  push(v: number): void {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = v;
  }

  /** Values since the previous call (a copy, transferable). */
  takeNew(): Float64Array {
    const out = this.values.slice(0, this.length);
    // Start over: an hour-long soak holds one progress interval here, not the hour.
    this.length = 0;
    return out;
  }
}

export function runWorker(input: WorkerInput, post: (msg: WorkerProgress | WorkerDone, transfer?: ArrayBuffer[]) => void): void {
  const latencies = new LatencyLog();
  const fromHopEnd = new LatencyLog();
  /** 1 where the result of the same index came from a call, else 0. */
  const callFlags = new LatencyLog();
  const lateness = new FixedHistogram(1, 2000);
  const ctx: SessionContext = {
    streamUrl: input.streamUrl,
    pcm: Buffer.from(input.pcm),
    loopSamples: input.loopSamples,
    sampleRateHz: input.sampleRateHz,
    calls:
      input.calls === undefined
        ? null
        : { bytes: Buffer.from(input.calls.pcm), loopSamples: input.calls.loopSamples, sampleRateHz: input.calls.sampleRateHz, encoding: 'mulaw' },
    hopMs: input.hopMs,
    endTimeoutMs: input.endTimeoutMs,
    coverageToleranceMs: input.coverageToleranceMs,
    lateness,
    wake: (dueMs) => schedule(dueMs),
    onLatency: (ms, hopEndMs, call) => {
      latencies.push(ms);
      fromHopEnd.push(hopEndMs);
      callFlags.push(call ? 1 : 0);
    },
  };
  const runStartMs = performance.now();
  const eluStart = performance.eventLoopUtilization();
  const plans = [...input.plans].sort((a, b) => a.startOffsetMs - b.startOffsetMs);
  let created = 0;
  let live: DrivenSession[] = [];
  const dropTimeoutMs = input.dropTimeoutMs ?? input.endTimeoutMs;
  /** Creates the sessions starting before `nowMs` + CREATE_AHEAD_MS; returns when the next one is due to be created. */
  const createDue = (nowMs: number): number => {
    while (created < plans.length) {
      const plan = plans[created] as StreamPlan;
      const createAtMs = runStartMs + plan.startOffsetMs - CREATE_AHEAD_MS;
      if (createAtMs > nowMs) return createAtMs;
      live.push(createSession(plan, ctx, runStartMs, dropTimeoutMs));
      created++;
    }
    return Number.POSITIVE_INFINITY;
  };
  const outcomes: StreamOutcome[] = [];
  let errors = 0;
  let lastProgressMs = runStartMs;

  const progress = (): void => {
    const latenciesMs = latencies.takeNew();
    const fromHopEndMs = fromHopEnd.takeNew();
    const callFlagsNew = callFlags.takeNew();
    const msg: WorkerProgress = {
      type: 'progress',
      workerId: input.workerId,
      latenciesMs,
      fromHopEndMs,
      callFlags: callFlagsNew,
      sessionsOpen: live.filter((s) => s.open).length,
      sessionsDone: outcomes.length,
      errors,
    };
    post(msg, [latenciesMs.buffer as ArrayBuffer, fromHopEndMs.buffer as ArrayBuffer, callFlagsNew.buffer as ArrayBuffer]);
  };

  // One timer for the whole worker, re-armed for the earliest due event.
  let timer: NodeJS.Timeout | null = null;
  let timerDueMs = Number.POSITIVE_INFINITY;
  const schedule = (dueMs: number): void => {
    if (dueMs >= timerDueMs) return;
    if (timer !== null) clearTimeout(timer);
    timerDueMs = dueMs;
    timer = setTimeout(tick, Math.max(0, dueMs - performance.now()));
  };

  const tick = (): void => {
    timer = null;
    timerDueMs = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let nextMs = createDue(now);
    let finished = false;
    for (const session of live) {
      session.pump(now);
      if (session.done) finished = true;
      else nextMs = Math.min(nextMs, session.nextDueMs());
    }
    if (finished) collect();
    if (now - lastProgressMs >= input.progressIntervalMs) {
      lastProgressMs = now;
      progress();
    }
    if (live.length === 0 && created === plans.length) {
      done();
      return;
    }
    schedule(Math.min(nextMs, performance.now() + MAX_SLEEP_MS));
  };

  const collect = (): void => {
    const still: DrivenSession[] = [];
    for (const session of live) {
      const outcome = session.result;
      if (session.done && outcome !== null) {
        outcomes.push(outcome);
        if (outcome.errorCode !== null) errors++;
      } else still.push(session);
    }
    live = still;
  };

  const done = (): void => {
    const latenciesMs = latencies.takeNew();
    const fromHopEndMs = fromHopEnd.takeNew();
    const callFlagsNew = callFlags.takeNew();
    const elu = performance.eventLoopUtilization(eluStart);
    const msg: WorkerDone = {
      type: 'done',
      workerId: input.workerId,
      latenciesMs,
      fromHopEndMs,
      callFlags: callFlagsNew,
      streams: outcomes,
      lateness: { counts: lateness.counts, count: lateness.count, sum: lateness.sum, max: lateness.max },
      eventLoopUtilization: elu.utilization,
    };
    post(msg, [latenciesMs.buffer as ArrayBuffer, fromHopEndMs.buffer as ArrayBuffer, callFlagsNew.buffer as ArrayBuffer]);
  };

  schedule(runStartMs);
}

if (parentPort !== null && workerData !== undefined && (workerData as { kind?: string }).kind === 'loadtest-worker') {
  const port = parentPort;
  runWorker((workerData as { input: WorkerInput }).input, (msg, transfer) => port.postMessage(msg, transfer ?? []));
}
