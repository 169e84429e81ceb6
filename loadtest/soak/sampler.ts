/**
 * Samples the server every `periodSeconds` from its /metrics (RSS, heap, tensors, sessions,
 * event-loop lag and result latency over the window) together with the end-to-end latencies
 * the generator measured in the same window. `sampleOf` is pure; `Sampler` owns the timer.
 */
import { histogramDelta, scrapeMetrics, sumOf, type PromSnapshot } from '../prometheus.js';
import { summarizeLatencies } from '../stats.js';
import { hostCpuOf, readCpuTimes, type CpuTimes, type HostCpu } from './host_cpu.js';
import type { MemoryParts, SoakSample } from './types.js';

const MIB = 2 ** 20;

const mib = (snap: PromSnapshot | null, name: string): number | null => {
  const v = snap === null ? null : sumOf(snap, name);
  return v === null ? null : v / MIB;
};

/** RSS's parts from one scrape; null when the server does not export the worker gauge. */
export function memoryPartsOf(snap: PromSnapshot | null): MemoryParts | null {
  if (snap === null) return null;
  const worker = (kind: string): number | null => sumOf(snap, 'ser_worker_memory_bytes', { kind });
  const [workerHeap, workerExternal, wasm] = [worker('heap_used'), worker('external'), worker('wasm')];
  const mainHeap = sumOf(snap, 'nodejs_heap_size_used_bytes');
  const mainExternal = sumOf(snap, 'nodejs_external_memory_bytes');
  if (workerHeap === null || workerExternal === null || wasm === null || mainHeap === null || mainExternal === null) return null;
  return { mainHeapMb: mainHeap / MIB, workerHeapMb: workerHeap / MIB, externalMb: (mainExternal + workerExternal) / MIB, wasmMb: wasm / MIB };
}

/** One sample from the scrape at the window's end (`cur`) and the one at its start (`prev`). */
export function sampleOf(
  tSeconds: number,
  prev: PromSnapshot | null,
  cur: PromSnapshot | null,
  windowLatenciesMs: ArrayLike<number>,
  clientSessionsOpen: number,
  hostCpu: HostCpu | null = null,
): SoakSample {
  const windowed = (name: string): ReturnType<typeof histogramDelta> => (prev !== null && cur !== null ? histogramDelta(prev, cur, name, 1000) : null);
  const lag = windowed('ser_event_loop_lag_seconds');
  const serverLatency = windowed('ser_result_latency_seconds');
  const l = summarizeLatencies(windowLatenciesMs);
  return {
    tSeconds,
    rssMb: mib(cur, 'process_resident_memory_bytes'),
    heapUsedMb: mib(cur, 'nodejs_heap_size_used_bytes'),
    memory: memoryPartsOf(cur),
    tensors: cur === null ? null : sumOf(cur, 'ser_model_tensors'),
    sessionsActive: cur === null ? null : sumOf(cur, 'ser_sessions_active'),
    clientSessionsOpen,
    hostCpu,
    eventLoopLagP99Ms: lag !== null && lag.count > 0 ? lag.p99 : null,
    serverLatencyP95Ms: serverLatency !== null && serverLatency.count > 0 ? serverLatency.p95 : null,
    latency: { count: l.count, p50Ms: l.p50Ms, p95Ms: l.p95Ms, p99Ms: l.p99Ms, maxMs: l.maxMs },
  };
}

/** What the generator reports between samples. */
export interface GeneratorView {
  /** Every latency so far, ms (append-only). */
  latenciesMs: Float64Array;
  sessionsOpen: number;
}

export class Sampler {
  readonly samples: SoakSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private prev: PromSnapshot | null;
  private taken = 0;
  private startedMs = 0;
  private pending: Promise<void> = Promise.resolve();
  private prevCpu: CpuTimes | null = null;

  /** @param baseline the scrape before the churn: sample 0 and the first window's start. */
  constructor(
    private readonly httpBase: string,
    baseline: PromSnapshot | null,
    private readonly generator: () => GeneratorView,
    private readonly onSample: (s: SoakSample) => void = () => undefined,
  ) {
    this.prev = baseline;
  }

  start(periodSeconds: number): void {
    this.startedMs = performance.now();
    this.prevCpu = readCpuTimes();
    this.record(sampleOf(0, null, this.prev, [], 0));
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.take());
    }, periodSeconds * 1000);
  }

  /** Stops the timer and takes a last sample. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.pending;
    await this.take();
  }

  private async take(): Promise<void> {
    const cur = await scrapeMetrics(this.httpBase);
    const view = this.generator();
    const window = view.latenciesMs.subarray(this.taken);
    this.taken = view.latenciesMs.length;
    const cpu = readCpuTimes();
    const host = hostCpuOf(this.prevCpu, cpu);
    this.prevCpu = cpu;
    this.record(sampleOf((performance.now() - this.startedMs) / 1000, this.prev, cur, window, view.sessionsOpen, host));
    if (cur !== null) this.prev = cur;
  }

  private record(s: SoakSample): void {
    this.samples.push(s);
    this.onSample(s);
  }
}
