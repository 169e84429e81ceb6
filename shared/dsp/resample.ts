/**
 * Streaming band-limited resampler, any integer rate → 16 kHz (or any other integer rate).
 *
 * Rational polyphase windowed-sinc interpolation: with L/M = outputRate/inputRate in lowest
 * terms, output sample n sits at input time t = n·M/L, and
 *   y[n] = Σ_k x[k] · h(t − k),  h(τ) = (2f_c/f_in)·sinc(2f_c·τ/f_in)·kaiser(τ)
 * over the 2·halfTaps input samples around t. The filter is zero-phase and every output
 * sample is aligned with its own input time, so the output has NO group delay
 * (`delayOutputSamples` = 0): output sample n is stream time n / outputRateHz exactly.
 * The price is latency: output n is emitted once input sample ⌊t⌋ + halfTaps has arrived
 * (`latencyInputSamples`). The stream is zero-padded before its first sample and, on
 * `flush()`, after its last, which yields ⌈inputSamples · L / M⌉ outputs in all.
 *
 * Each output is one fixed dot product over the same input values whatever the chunking,
 * so the output is bit-identical for any chunking of the input. Where every phase is
 * tabulated (all the rates clients send), the dot products run in WebAssembly SIMD
 * (polyphase_kernel.ts), bit-identical to the JS loop below and ~4× faster; the JS loop
 * serves where wasm SIMD is missing and for interpolated tables.
 */
import { kaiserBeta, kaiserWindow } from './kaiser.js';
import { polyphaseKernel, type PolyphaseKernel } from './polyphase_kernel.js';

/** Stopband attenuation of the Kaiser design, dB (Kaiser 1974; β from Oppenheim & Schafer eq. 7.62). */
export const STOPBAND_ATTENUATION_DB = 80;
/**
 * Band edges as fractions of the lower of the two Nyquist frequencies: flat (ripple
 * < 0.001 dB) up to 0.90, −6 dB at 0.95 (the cutoff; 7600 Hz for 16 kHz output, the MFCC's
 * top mel edge), ≥ 80 dB down from 1.00, so nothing above 8 kHz aliases into a 16 kHz output.
 */
export const PASSBAND_EDGE = 0.9;
export const STOPBAND_EDGE = 1.0;
/**
 * Above this many polyphase phases (odd rates such as 44 099 Hz give L = 16 000), store this
 * many phases and interpolate the kernel linearly between neighbours instead of tabulating
 * every phase: the error of that is far below the 80 dB stopband (~1e-7 per tap).
 */
const MAX_TABULATED_PHASES = 2048;

interface PolyphaseTable {
  /** Phases stored (L, or MAX_TABULATED_PHASES when interpolating). */
  phases: number;
  /** Taps per phase = 2 · halfTaps. */
  taps: number;
  halfTaps: number;
  /** (phases + 1) × taps, row-major; row `phases` repeats row 0 shifted by one tap. */
  coeffs: Float32Array;
}

/**
 * Tables of the rate pairs used lately, least recently used first. Bounded: a client may
 * declare any rate from 8 to 48 kHz, and an odd one's table is up to ~2.5 MB, so a client
 * cycling through rates must not grow this (a stream keeps its own table either way).
 */
const tableCache = new Map<string, PolyphaseTable>();
export const MAX_CACHED_TABLES = 16;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Builds (or reuses) the polyphase kernel for a rate pair; pure and deterministic. */
export function polyphaseTable(inputRateHz: number, outputRateHz: number): PolyphaseTable {
  const key = `${inputRateHz}:${outputRateHz}`;
  const cached = tableCache.get(key);
  if (cached) {
    tableCache.delete(key);
    tableCache.set(key, cached);
    return cached;
  }
  const up = outputRateHz / gcd(inputRateHz, outputRateHz);
  const nyquistHz = Math.min(inputRateHz, outputRateHz) / 2;
  const cutoffHz = ((PASSBAND_EDGE + STOPBAND_EDGE) / 2) * nyquistHz;
  const transitionHz = (STOPBAND_EDGE - PASSBAND_EDGE) * nyquistHz;
  // Kaiser's length estimate N = (A − 7.95) / (2.285 · Δω), Δω in rad/sample at the input rate.
  const lengthInputSamples = (STOPBAND_ATTENUATION_DB - 7.95) / (2.285 * ((2 * Math.PI * transitionHz) / inputRateHz));
  const halfWidth = lengthInputSamples / 2;
  const halfTaps = Math.ceil(halfWidth);
  const taps = 2 * halfTaps;
  const phases = Math.min(up, MAX_TABULATED_PHASES);
  const beta = kaiserBeta(STOPBAND_ATTENUATION_DB);
  const scale = (2 * cutoffHz) / inputRateHz;
  const coeffs = new Float32Array((phases + 1) * taps);
  const row = new Float64Array(taps);
  for (let p = 0; p <= phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Tap k multiplies input sample ⌊t⌋ − halfTaps + 1 + k, at distance τ from t.
      const tau = frac + halfTaps - 1 - k;
      const v = scale * sinc(scale * tau) * kaiserWindow(tau / halfWidth, beta);
      row[k] = v;
      sum += v;
    }
    // Unit DC gain on every phase, so a constant input gives a constant output.
    for (let k = 0; k < taps; k++) coeffs[p * taps + k] = (row[k] as number) / sum;
  }
  const table: PolyphaseTable = { phases, taps, halfTaps, coeffs };
  tableCache.set(key, table);
  if (tableCache.size > MAX_CACHED_TABLES) tableCache.delete(tableCache.keys().next().value as string);
  return table;
}

/**
 * Σ x[xAt + k]·h[hAt + k], k < taps (taps even). Four independent partial sums let the CPU
 * overlap the multiply-adds (~1.5× faster in V8); the order is fixed, so results stay
 * deterministic and chunking-invariant.
 */
function dot(x: Float32Array, xAt: number, h: Float32Array, hAt: number, taps: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < taps; k += 4) {
    s0 += (x[xAt + k] as number) * (h[hAt + k] as number);
    s1 += (x[xAt + k + 1] as number) * (h[hAt + k + 1] as number);
    s2 += (x[xAt + k + 2] as number) * (h[hAt + k + 2] as number);
    s3 += (x[xAt + k + 3] as number) * (h[hAt + k + 3] as number);
  }
  for (; k < taps; k++) s0 += (x[xAt + k] as number) * (h[hAt + k] as number);
  return s0 + s1 + (s2 + s3);
}

export interface ResamplerOptions {
  /** Use the WebAssembly SIMD kernel where the runtime has it (default true; false: the JS loop). */
  wasm?: boolean;
}

export class StreamingResampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  /** Output samples per `down` input samples (L/M in lowest terms). */
  private readonly up: number;
  private readonly down: number;
  private readonly table: PolyphaseTable | null;
  /** The SIMD kernel for a fully tabulated table, else null (the JS loop). */
  private readonly kernel: PolyphaseKernel | null;
  /** Input history; buffer[0] is absolute input sample `bufferStart`. */
  private buffer: Float32Array;
  private bufferLength = 0;
  private bufferStart = 0;
  /** Absolute input samples received. */
  private inputCount = 0;
  /** Next output's integer input position ⌊n·M/L⌋ and phase (n·M) mod L. */
  private nextIndex = 0;
  private nextPhase = 0;

  constructor(inputRateHz: number, outputRateHz = 16000, options: ResamplerOptions = {}) {
    for (const [name, v] of [['inputRateHz', inputRateHz], ['outputRateHz', outputRateHz]] as const) {
      if (!Number.isInteger(v) || v < 1000 || v > 384000) {
        throw new RangeError(`expected ${name} an integer in 1000–384000, got ${v}`);
      }
    }
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    const g = gcd(inputRateHz, outputRateHz);
    this.up = outputRateHz / g;
    this.down = inputRateHz / g;
    this.table = inputRateHz === outputRateHz ? null : polyphaseTable(inputRateHz, outputRateHz);
    this.kernel = this.table !== null && this.table.phases === this.up && options.wasm !== false ? polyphaseKernel() : null;
    this.buffer = new Float32Array(this.table ? Math.max(4096, 4 * this.table.taps) : 0);
    this.reset();
  }

  /** Output samples by which the output lags stream time: 0, the filter is zero-phase. */
  get delayOutputSamples(): number {
    return 0;
  }

  /** Input samples that must follow an input instant before its output can be emitted. */
  get latencyInputSamples(): number {
    return this.table ? this.table.halfTaps : 0;
  }

  /** Filter taps per output sample (the cost of one output, in multiply-adds). */
  get tapsPerOutput(): number {
    return this.table ? this.table.taps : 0;
  }

  /**
   * Resamples the next chunk; returns every output sample now complete. When the rates
   * match, the input itself comes back (no copy: at 16 kHz in, this stage runs on every
   * chunk of every stream), so callers must not write into what they passed or got back.
   */
  process(input: Float32Array): Float32Array {
    if (!this.table) return input;
    this.append(input);
    return this.emit(this.inputCount);
  }

  /**
   * Emits every remaining output (the stream is zero-padded past its end) and resets, so
   * the resampler can start a new stream.
   */
  flush(): Float32Array {
    if (!this.table) return new Float32Array(0);
    const end = this.inputCount;
    this.append(new Float32Array(this.table.halfTaps + 1));
    const out = this.emit(end + this.table.halfTaps + 1, end);
    this.reset();
    return out;
  }

  reset(): void {
    const halfTaps = this.table ? this.table.halfTaps : 0;
    // Zero history before the first sample: output 0 reads inputs −halfTaps+1 … halfTaps.
    this.buffer.fill(0);
    this.bufferStart = -halfTaps;
    this.bufferLength = halfTaps;
    this.inputCount = 0;
    this.nextIndex = 0;
    this.nextPhase = 0;
  }

  private append(input: Float32Array): void {
    const table = this.table as PolyphaseTable;
    // Drop history no future output reads, then grow only if a huge chunk needs it.
    const keepFrom = this.nextIndex - table.halfTaps + 1;
    const drop = Math.min(Math.max(0, keepFrom - this.bufferStart), this.bufferLength);
    if (drop > 0) {
      this.buffer.copyWithin(0, drop, this.bufferLength);
      this.bufferLength -= drop;
      this.bufferStart += drop;
    }
    const needed = this.bufferLength + input.length;
    if (needed > this.buffer.length) {
      const grown = new Float32Array(Math.max(needed, 2 * this.buffer.length));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(input, this.bufferLength);
    this.bufferLength += input.length;
    this.inputCount += input.length;
  }

  /**
   * Computes outputs whose taps all lie below `available` (absolute input count) and whose
   * position is below `limit` (the true end of the stream when flushing).
   */
  private emit(available: number, limit = Number.POSITIVE_INFINITY): Float32Array {
    const table = this.table as PolyphaseTable;
    const { taps, halfTaps, coeffs, phases } = table;
    const up = this.up;
    const downWhole = Math.floor(this.down / up);
    const downFrac = this.down % up;
    // Count first (cheap integer stepping) so the result is allocated once at its size.
    let count = 0;
    let endIndex = this.nextIndex;
    let endPhase = this.nextPhase;
    for (; endIndex + halfTaps < available && endIndex < limit; count++) {
      endIndex += downWhole;
      endPhase += downFrac;
      if (endPhase >= up) {
        endPhase -= up;
        endIndex++;
      }
    }
    const out = new Float32Array(count);
    const buffer = this.buffer;
    if (this.kernel !== null && count > 0) {
      const first = this.nextIndex - halfTaps + 1 - this.bufferStart;
      const input = buffer.subarray(first, this.bufferLength);
      this.kernel.run({ coeffs, taps, input, phase: this.nextPhase, count, up, downWhole, downFrac }, out);
      this.nextIndex = endIndex;
      this.nextPhase = endPhase;
      return out;
    }
    const exact = phases === up;
    let index = this.nextIndex;
    let phase = this.nextPhase;
    for (let n = 0; n < count; n++) {
      const start = index - halfTaps + 1 - this.bufferStart;
      if (exact) {
        out[n] = dot(buffer, start, coeffs, phase * taps, taps);
      } else {
        const pos = (phase * phases) / up;
        const lower = Math.floor(pos);
        const weight = pos - lower;
        const rowA = lower * taps;
        const rowB = rowA + taps;
        const accA = dot(buffer, start, coeffs, rowA, taps);
        const accB = dot(buffer, start, coeffs, rowB, taps);
        out[n] = accA + weight * (accB - accA);
      }
      index += downWhole;
      phase += downFrac;
      if (phase >= up) {
        phase -= up;
        index++;
      }
    }
    this.nextIndex = index;
    this.nextPhase = phase;
    return out;
  }
}

/**
 * A whole buffer through the streaming resampler (process + flush): what a stream of the
 * same samples yields, in one array. Returns the input itself when the rates are equal.
 */
export function resampleWhole(samples: Float32Array, inputRateHz: number, outputRateHz: number): Float32Array {
  if (inputRateHz === outputRateHz) return samples;
  const resampler = new StreamingResampler(inputRateHz, outputRateHz);
  const head = resampler.process(samples);
  const tail = resampler.flush();
  if (tail.length === 0) return head;
  const out = new Float32Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}
