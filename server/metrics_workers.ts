/**
 * The gauges read from the inference workers at scrape time: live tensors and each worker's
 * memory. Both come from one read of the pool per scrape (`sharedRead`), not one each.
 */
import { Gauge, type Registry } from 'prom-client';

/** What the metrics read of the inference workers (server/workers/batcher.ts PoolStats). */
export interface WorkerStatsView {
  numTensors: number;
  workers: readonly { index: number; heapUsedBytes: number; externalBytes: number; wasmBytes: number }[];
}

/** One in-flight read shared by every caller until it settles. */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

export function workerGauges(registry: Registry, read: (() => Promise<WorkerStatsView>) | undefined): { modelTensors: Gauge; workerMemory: Gauge<'worker' | 'kind'> } {
  const readWorkers = read === undefined ? undefined : sharedRead(read);
  return {
    modelTensors: new Gauge({
      name: 'ser_model_tensors',
      help: 'Live tfjs tensors summed over the inference workers (flat when nothing leaks)',
      registers: [registry],
      async collect() {
        if (readWorkers !== undefined) this.set((await readWorkers()).numTensors);
      },
    }),
    workerMemory: new Gauge({
      name: 'ser_worker_memory_bytes',
      help: 'Memory of each inference worker by kind: heap_used (its V8 heap), external (its ArrayBuffers), wasm (tfjs-wasm linear memory, which grows to a high-water mark and is never returned)',
      labelNames: ['worker', 'kind'],
      registers: [registry],
      async collect() {
        if (readWorkers === undefined) return;
        const { workers } = await readWorkers();
        this.reset();
        for (const w of workers) {
          const worker = String(w.index);
          this.set({ worker, kind: 'heap_used' }, w.heapUsedBytes);
          this.set({ worker, kind: 'external' }, w.externalBytes);
          this.set({ worker, kind: 'wasm' }, w.wasmBytes);
        }
      },
    }),
  };
}
