/**
 * Runs one load level on generator worker threads: splits the stream plans among them,
 * gathers their progress and outcomes, and measures the generator's own CPU.
 */
import { Worker } from 'node:worker_threads';
import type { StreamPlan } from './plan.js';
import { FixedHistogram } from './stats.js';
import type { CallLoopInput, StreamOutcome, WorkerInput, WorkerMessage } from './types.js';

export interface PoolConfig {
  streamUrl: string;
  plans: StreamPlan[];
  pcm: SharedArrayBuffer;
  loopSamples: number;
  sampleRateHz: number;
  /** The call loop, when some plans are calls. */
  calls?: CallLoopInput;
  hopMs: number;
  endTimeoutMs: number;
  coverageToleranceMs: number;
  /** How long idle / slow-reader clients wait to be dropped, ms (soak only). */
  dropTimeoutMs?: number;
  /** Worker threads, ≥ 1. */
  workers: number;
}

export interface LiveProgress {
  results: number;
  sessionsOpen: number;
  sessionsDone: number;
  errors: number;
  /** All latencies so far (ms), shared with the caller, do not modify. */
  latenciesMs: Float64Array;
}

export interface PoolResult {
  latenciesMs: Float64Array;
  fromHopEndMs: Float64Array;
  /** 1 where the result of the same index came from a call, else 0. */
  callFlags: Float64Array;
  streams: StreamOutcome[];
  lateness: FixedHistogram;
  eventLoopUtilization: number[];
  wallSeconds: number;
  cpuSeconds: number;
}

/** Worker count when the user leaves it to us: one per 250 streams, 1–4. */
export function autoWorkers(streams: number): number {
  return Math.max(1, Math.min(4, Math.ceil(streams / 250)));
}

/**
 * Starts the worker module. Under tsx the worker's own `--import tsx` does not apply to its
 * entry file (Node 20), so a tiny ESM bootstrap registers tsx first, then imports it.
 */
function startWorker(input: WorkerInput): Worker {
  const entry = new URL('./worker.ts', import.meta.url);
  const workerData = { kind: 'loadtest-worker', input };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

class Float64Log {
  values = new Float64Array(16_384);
  length = 0;
  append(chunk: Float64Array): void {
    if (this.length + chunk.length > this.values.length) {
      const next = new Float64Array(Math.max(this.values.length * 2, this.length + chunk.length));
      next.set(this.values.subarray(0, this.length));
      this.values = next;
    }
    this.values.set(chunk, this.length);
    this.length += chunk.length;
  }
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

export async function runPool(config: PoolConfig, onProgress?: (p: LiveProgress) => void): Promise<PoolResult> {
  const workerCount = Math.max(1, Math.min(config.workers, config.plans.length));
  const shares: StreamPlan[][] = Array.from({ length: workerCount }, () => []);
  config.plans.forEach((plan, i) => shares[i % workerCount]?.push(plan));
  const latencies = new Float64Log();
  const fromHopEnd = new Float64Log();
  const callFlags = new Float64Log();
  const lateness = new FixedHistogram(1, 2000);
  const streams: StreamOutcome[] = [];
  const elu: number[] = new Array<number>(workerCount).fill(0);
  const live = shares.map(() => ({ open: 0, done: 0, errors: 0 }));
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();

  await Promise.all(
    shares.map(
      (plans, workerId) =>
        new Promise<void>((resolve, reject) => {
          const worker = startWorker({
            workerId,
            streamUrl: config.streamUrl,
            plans,
            pcm: config.pcm,
            loopSamples: config.loopSamples,
            sampleRateHz: config.sampleRateHz,
            ...(config.calls === undefined ? {} : { calls: config.calls }),
            hopMs: config.hopMs,
            endTimeoutMs: config.endTimeoutMs,
            coverageToleranceMs: config.coverageToleranceMs,
            progressIntervalMs: 250,
            dropTimeoutMs: config.dropTimeoutMs,
          });
          let finished = false;
          worker.on('message', (msg: WorkerMessage) => {
            latencies.append(msg.latenciesMs);
            fromHopEnd.append(msg.fromHopEndMs);
            callFlags.append(msg.callFlags);
            const counts = live[workerId];
            if (msg.type === 'progress' && counts !== undefined) {
              counts.open = msg.sessionsOpen;
              counts.done = msg.sessionsDone;
              counts.errors = msg.errors;
            } else if (msg.type === 'done') {
              finished = true;
              streams.push(...msg.streams);
              lateness.merge(msg.lateness);
              elu[workerId] = msg.eventLoopUtilization;
              if (counts !== undefined) {
                counts.open = 0;
                counts.done = msg.streams.length;
                counts.errors = msg.streams.filter((s) => s.errorCode !== null).length;
              }
              void worker.terminate().then(() => resolve());
            }
            onProgress?.({
              results: latencies.length,
              sessionsOpen: live.reduce((n, c) => n + c.open, 0),
              sessionsDone: live.reduce((n, c) => n + c.done, 0),
              errors: live.reduce((n, c) => n + c.errors, 0),
              latenciesMs: latencies.view(),
            });
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (!finished) reject(new Error(`generator worker ${workerId} exited with code ${code} before finishing`));
          });
        }),
    ),
  );
  const cpu = process.cpuUsage(cpuStart);
  streams.sort((a, b) => a.streamId - b.streamId);
  return {
    latenciesMs: latencies.view(),
    fromHopEndMs: fromHopEnd.view(),
    callFlags: callFlags.view(),
    streams,
    lateness,
    eventLoopUtilization: elu,
    wallSeconds: (performance.now() - wallStart) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
