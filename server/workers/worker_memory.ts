/**
 * What one inference worker holds in memory, read inside the worker: its own V8 isolate's
 * heap and external (ArrayBuffer) memory, and the tfjs-wasm module's linear memory. Wasm
 * memory only grows (to the largest batch's high-water mark) and is never handed back, so it
 * shows in the process RSS as a step, not a slope; the soak reads these to tell the two apart.
 */
import { getHeapStatistics } from 'node:v8';
import * as tf from '@tensorflow/tfjs';

export interface WorkerMemory {
  /** V8 heap in use by this isolate, bytes. */
  heapUsedBytes: number;
  /** Memory held outside the heap by this isolate's objects (ArrayBuffers, Buffers), bytes. */
  externalBytes: number;
  /** tfjs-wasm linear memory, bytes; 0 on another engine. */
  wasmBytes: number;
}

/** The wasm backend's linear memory, or 0 when the engine is not wasm (or not started). */
export function wasmMemoryBytes(backend: unknown): number {
  const heap = (backend as { wasm?: { HEAPU8?: Uint8Array } } | null)?.wasm?.HEAPU8;
  return heap === undefined ? 0 : heap.buffer.byteLength;
}

export function workerMemory(): WorkerMemory {
  const heap = getHeapStatistics();
  return { heapUsedBytes: heap.used_heap_size, externalBytes: heap.external_memory, wasmBytes: wasmMemoryBytes(tf.backend()) };
}
