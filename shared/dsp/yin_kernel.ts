/**
 * YIN's difference function (yin.wat) as a WebAssembly SIMD module: bit for bit the JS loop
 * of pitch.ts (the same even/odd float64 partial sums, in the two lanes of one vector), about
 * twice as fast. One instance per thread, made on first use; null where wasm or its SIMD is
 * missing or a page's CSP forbids compiling it, and the pitch stage keeps its JS loop.
 *
 * Its one page of memory holds a scratch segment and the output row, which every call reuses:
 * a thread runs one frame at a time, so they are never shared.
 */
import { YIN_WASM_BASE64 } from './yin_wasm.js';

type DifferencesFn = (seg: number, window: number, from: number, to: number, out: number) => void;

/** Most segment samples (float64) the scratch holds: a window plus lags, ≤ 2 kB each side. */
export const MAX_SEGMENT_SAMPLES = 2048;
/** Most lags + 1 the output row holds. */
export const MAX_LAGS = 2048;

export class YinKernel {
  /** The scratch segment: write a frame's samples here, then call `differences`. */
  readonly segment: Float64Array;
  /** d(τ) at index τ after `differences(…, from, to)` for τ in [from, to]. */
  readonly out: Float64Array;

  private constructor(
    memory: WebAssembly.Memory,
    private readonly fn: DifferencesFn,
  ) {
    this.segment = new Float64Array(memory.buffer, 0, MAX_SEGMENT_SAMPLES);
    this.out = new Float64Array(memory.buffer, MAX_SEGMENT_SAMPLES * 8, MAX_LAGS);
  }

  /** Compiles the module; null where this runtime cannot. */
  static create(): YinKernel | null {
    try {
      const bytes = Uint8Array.from(atob(YIN_WASM_BASE64), (c) => c.charCodeAt(0));
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      const { memory, differences } = instance.exports as { memory: WebAssembly.Memory; differences: DifferencesFn };
      return new YinKernel(memory, differences);
    } catch {
      return null;
    }
  }

  /** d(τ) = Σ_{j<window} (s[j] − s[j+τ])² of `segment` into out[τ], τ = from … to. */
  differences(window: number, from: number, to: number): void {
    if (window + to > MAX_SEGMENT_SAMPLES || to >= MAX_LAGS) throw new RangeError(`YinKernel: expected window + lag ≤ ${MAX_SEGMENT_SAMPLES}, got ${window} + ${to}`);
    this.fn(0, window, from, to, MAX_SEGMENT_SAMPLES * 8);
  }
}

let shared: YinKernel | null | undefined;

/** This thread's kernel, made on first use; null where wasm SIMD is unavailable. */
export function yinKernel(): YinKernel | null {
  if (shared === undefined) shared = YinKernel.create();
  return shared;
}
