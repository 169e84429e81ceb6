/**
 * The streaming resampler's inner loop (polyphase.wat) as a WebAssembly SIMD module, bit
 * for bit the same arithmetic as its JS loop, and ~4× faster, where the runtime has wasm
 * SIMD (Node ≥ 16, current browsers). One instance per thread, made on first use; null where
 * wasm or its SIMD is missing or a page's CSP forbids compiling it, and the resampler then
 * keeps its JS loop.
 *
 * Its memory holds each phase table once (copied on first use; ≤ 2.5 MB each, and when they
 * would pass TABLE_BYTES_CAP the copies are dropped and made again as needed) and, above
 * them, a scratch input and output that every call reuses, sized for BLOCK_OUTPUTS outputs
 * (a longer run goes block by block). So a thread's wasm memory, which never shrinks, stays
 * under ~9 MB whatever rates and chunk sizes clients send. A thread runs one call at a
 * time, so the scratch is never shared.
 */
import { POLYPHASE_WASM_BASE64 } from './polyphase_wasm.js';

const PAGE_BYTES = 65536;
/** Most bytes of phase tables kept in the module's memory. */
export const TABLE_BYTES_CAP = 8 * 2 ** 20;
/** Outputs per kernel call; a run of more goes in blocks (bounds the scratch). */
export const BLOCK_OUTPUTS = 8192;

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

/**
 * Where the output `steps` outputs later reads: its input offset relative to this one and its
 * phase. Each step advances downWhole inputs and downFrac phases, carrying one input when the
 * phase reaches up — here in closed form (integers, exact in doubles).
 */
function stepped(r: Pick<PolyphaseRun, 'up' | 'downWhole' | 'downFrac'>, phase: number, steps: number): { inputAdvance: number; phase: number } {
  const phases = phase + steps * r.downFrac;
  const carry = Math.floor(phases / r.up);
  return { inputAdvance: steps * r.downWhole + carry, phase: phases - carry * r.up };
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

  /** Bytes of wasm memory this kernel holds (it never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Writes the run's outputs into `out[0 … count)`, BLOCK_OUTPUTS at a time. */
  run(r: PolyphaseRun, out: Float32Array): void {
    const h = this.tableOffset(r.coeffs);
    // Each block: its first output's input offset and phase, stepped as the resampler does.
    let start = 0;
    let phase = r.phase;
    for (let done = 0; done < r.count; ) {
      const n = Math.min(BLOCK_OUTPUTS, r.count - done);
      const inputLength = stepped(r, phase, n - 1).inputAdvance + r.taps;
      const x = align16(this.tablesEnd);
      const o = align16(x + inputLength * 4);
      this.reserve(o + n * 4);
      new Float32Array(this.memory.buffer, x, inputLength).set(r.input.subarray(start, start + inputLength));
      this.polyphase(x, 0, phase, n, r.up, r.downWhole, r.downFrac, h, r.taps, o);
      out.set(new Float32Array(this.memory.buffer, o, n), done);
      done += n;
      // The next block starts one step after this block's last output.
      const next = stepped(r, phase, n);
      start += next.inputAdvance;
      phase = next.phase;
    }
  }

  private tableOffset(coeffs: Float32Array): number {
    const known = this.tables.get(coeffs);
    if (known !== undefined) return known;
    if (align16(this.tablesEnd) + coeffs.length * 4 > TABLE_BYTES_CAP) {
      // Many rate pairs seen: drop every copy; the ones still in use are copied again.
      this.tables.clear();
      this.tablesEnd = 0;
    }
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
