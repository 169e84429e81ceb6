/**
 * The streaming resampler's inner loop (polyphase.wat) as a WebAssembly SIMD module, bit
 * for bit the same arithmetic as its JS loop, and ~4× faster, where the runtime has wasm
 * SIMD (Node ≥ 16, current browsers). One instance per thread, made on first use; null where
 * wasm or its SIMD is missing or a page's CSP forbids compiling it, and the resampler then
 * keeps its JS loop.
 *
 * Its memory holds each phase table once (copied on first use, kept for the thread's life:
 * a few rate pairs, ≤ 200 KB each) and, above them, a scratch input and output that every
 * call reuses; a thread runs one call at a time, so the scratch is never shared.
 */
import { POLYPHASE_WASM_BASE64 } from './polyphase_wasm.js';

const PAGE_BYTES = 65536;

type PolyphaseFn = (
  x: number,
  start: number,
  phase: number,
  count: number,
  up: number,
  downWhole: number,
  downFrac: number,
  h: number,
  taps: number,
  out: number,
) => void;

/** What one call computes: `count` outputs, stepping like StreamingResampler.emit. */
export interface PolyphaseRun {
  /** Phase rows, row p at p · taps (the resampler's table). */
  coeffs: Float32Array;
  taps: number;
  /** Input from the first output's first tap on; must hold every tap of every output. */
  input: Float32Array;
  phase: number;
  count: number;
  up: number;
  downWhole: number;
  downFrac: number;
}

const align16 = (bytes: number): number => (bytes + 15) & ~15;

export class PolyphaseKernel {
  /** Byte offset of each table copied so far. */
  private readonly tables = new Map<Float32Array, number>();
  /** First byte above the tables. */
  private tablesEnd = 0;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly polyphase: PolyphaseFn,
  ) {}

  /** Compiles the module; null where this runtime cannot. */
  static create(): PolyphaseKernel | null {
    try {
      const bytes = Uint8Array.from(atob(POLYPHASE_WASM_BASE64), (c) => c.charCodeAt(0));
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      const { memory, polyphase } = instance.exports as { memory: WebAssembly.Memory; polyphase: PolyphaseFn };
      return new PolyphaseKernel(memory, polyphase);
    } catch {
      return null;
    }
  }

  /** Writes the run's outputs into `out[0 … count)`. */
  run(r: PolyphaseRun, out: Float32Array): void {
    const h = this.tableOffset(r.coeffs);
    const x = align16(this.tablesEnd);
    const o = align16(x + r.input.length * 4);
    this.reserve(o + r.count * 4);
    new Float32Array(this.memory.buffer, x, r.input.length).set(r.input);
    this.polyphase(x, 0, r.phase, r.count, r.up, r.downWhole, r.downFrac, h, r.taps, o);
    out.set(new Float32Array(this.memory.buffer, o, r.count));
  }

  private tableOffset(coeffs: Float32Array): number {
    const known = this.tables.get(coeffs);
    if (known !== undefined) return known;
    const at = align16(this.tablesEnd);
    this.reserve(at + coeffs.length * 4);
    new Float32Array(this.memory.buffer, at, coeffs.length).set(coeffs);
    this.tables.set(coeffs, at);
    this.tablesEnd = at + coeffs.length * 4;
    return at;
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
  }
}

let shared: PolyphaseKernel | null | undefined;

/** This thread's kernel, made on first use; null where wasm SIMD is unavailable. */
export function polyphaseKernel(): PolyphaseKernel | null {
  if (shared === undefined) shared = PolyphaseKernel.create();
  return shared;
}
