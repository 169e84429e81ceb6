/**
 * Incremental pitch: one F0 estimate and one periodicity per 10 ms MFCC frame, from YIN
 * (de Cheveigné & Kawahara 2002, steps 1–5) on the stream decimated to 4 kHz.
 *
 * Frame i is computed once, in the push that delivers input sample 160·i + 399 — the push
 * that completes MFCC frame i (mfcc.ts) — so both stages emit the same frame counts for any
 * chunking. Its YIN segment is the `windowSamples + maxLagSamples` decimated samples ending
 * with that frame (≈ 42 ms, the MFCC frame's 25 ms and 17 ms before it; zeros before the
 * stream start). Decimation: a linear-phase low-pass FIR (Hamming-windowed sinc, DC gain 1,
 * as scipy.signal.firwin designs it) evaluated at every 4th input sample, y[m] = Σ h[k]·x[4m − k].
 *
 * Per frame, with s the segment and W the window: d(τ) = Σ_{j<W} (s[j] − s[j+τ])² for
 * τ = 1 … maxLag + 1; the cumulative-mean-normalised d'(τ) = τ·d(τ) / Σ_{k≤τ} d(k) (1 where
 * that sum is 0); τ* = the first τ in [minLag, maxLag] with d' < threshold, walked down to its
 * local minimum, else the global minimum there; a parabola through d'(τ*−1 … τ*+1) refines
 * it (shift clamped to ±½); the per-frame math is yin.ts. F0 = rate / τ; aperiodicity = d'(τ*).
 *
 * Model features (2 columns, appended to the MFCC row when a model asks for them):
 * log2(F0 / 100 Hz) of the last frame whose aperiodicity was below `voicedMaxAperiodicity`
 * (held through unvoiced frames, 0 before the first), and periodicity = 1 − aperiodicity,
 * clamped to [0, 1]. Pure apart from its per-stream state; no Node-only API.
 */

import { Yin, type SquaredDifferences } from './yin.js';
import { MAX_SEGMENT_SAMPLES, yinKernel } from './yin_kernel.js';

export interface PitchConfig {
  /** Input rate, Hz (the MFCC stage's). */
  inputRateHz: number;
  /** Input samples per decimated sample; divides hopSamples and frameSamples. */
  decimation: number;
  /** Taps of the decimation low-pass (odd). */
  firTaps: number;
  /** Cutoff of the decimation low-pass, Hz (below the decimated Nyquist). */
  cutoffHz: number;
  /** Input samples between frames (the MFCC hop). */
  hopSamples: number;
  /** Input samples of a frame (the MFCC frame): frame i ends at hop·i + frameSamples. */
  frameSamples: number;
  /** YIN integration window, decimated samples. */
  windowSamples: number;
  /** Lowest F0 searched, Hz. */
  minF0Hz: number;
  /** Highest F0 searched, Hz. */
  maxF0Hz: number;
  /** YIN's absolute threshold on d'. */
  threshold: number;
  /** A frame whose d'(τ*) is below this updates the held log F0. */
  voicedMaxAperiodicity: number;
}

export const PITCH_CONFIG: Readonly<PitchConfig> = Object.freeze({
  inputRateHz: 16000,
  decimation: 4,
  firTaps: 31,
  cutoffHz: 1800,
  hopSamples: 160,
  frameSamples: 400,
  windowSamples: 100,
  minF0Hz: 60,
  maxF0Hz: 500,
  threshold: 0.15,
  voicedMaxAperiodicity: 0.35,
});

/** Model feature columns this stage adds per frame: held log2(F0 / 100 Hz), periodicity. */
export const PITCH_FEATURES = 2;

/** Reference of the log-F0 column: log2(F0 / F0_REFERENCE_HZ). */
export const F0_REFERENCE_HZ = 100;

export interface PitchFrames {
  count: number;
  /** count raw F0 estimates, Hz (also in unvoiced frames: the YIN minimum). */
  f0Hz: Float32Array;
  /** count values of d'(τ*), ≥ 0. */
  aperiodicity: Float32Array;
  /** count × PITCH_FEATURES model features, row-major. */
  features: Float32Array;
}

/** Hamming-windowed sinc low-pass with DC gain 1 (scipy.signal.firwin(taps, cutoff, fs=rate)). */
export function lowPassFir(taps: number, cutoffHz: number, rateHz: number): Float64Array {
  const h = new Float64Array(taps);
  const fc = cutoffHz / (rateHz / 2);
  const centre = (taps - 1) / 2;
  let sum = 0;
  for (let k = 0; k < taps; k++) {
    const t = k - centre;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * fc * t) / (Math.PI * fc * t);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * k) / (taps - 1));
    h[k] = fc * sinc * hamming;
    sum += h[k]!;
  }
  for (let k = 0; k < taps; k++) h[k]! /= sum;
  return h;
}

function check(ok: boolean, expected: string, got: unknown): void {
  if (!ok) throw new RangeError(`PitchConfig: expected ${expected}, got ${String(got)}`);
}

export function validatePitchConfig(c: PitchConfig): void {
  const isInt = Number.isInteger;
  check(isInt(c.decimation) && c.decimation >= 1, 'decimation a positive integer', c.decimation);
  check(c.hopSamples % c.decimation === 0 && c.frameSamples % c.decimation === 0, `hopSamples and frameSamples multiples of ${c.decimation}`, `${c.hopSamples}, ${c.frameSamples}`);
  check(isInt(c.firTaps) && c.firTaps % 2 === 1, 'firTaps odd', c.firTaps);
  const rate = c.inputRateHz / c.decimation;
  check(c.cutoffHz > 0 && c.cutoffHz < rate / 2, `cutoffHz in (0, ${rate / 2})`, c.cutoffHz);
  check(c.minF0Hz > 0 && c.minF0Hz < c.maxF0Hz && c.maxF0Hz < rate / 4, `0 < minF0Hz < maxF0Hz < ${rate / 4}`, `${c.minF0Hz}, ${c.maxF0Hz}`);
  check(isInt(c.windowSamples) && c.windowSamples >= 2, 'windowSamples an integer ≥ 2', c.windowSamples);
}

/** Per-stream state of the pitch stage: push samples, get the frames they complete. */
export class PitchTracker {
  readonly config: Readonly<PitchConfig>;
  private readonly fir: Float64Array;
  /**
   * Input for the FIR: the firTaps − 1 samples before the current push (zeros before the
   * stream start), then the push's samples; grown when a push is longer than any before.
   */
  private input: Float64Array;
  /** Decimated samples, a ring of `ringSize` (≥ the segment). */
  private readonly decimated: Float64Array;
  private readonly ringSize: number;
  /** The frame's segment: the wasm kernel's scratch when there is one. */
  private readonly segment: Float64Array;
  private readonly yin: Yin;
  /** Input samples seen in this stream. */
  private inputCount = 0;
  /** Decimated samples made. */
  private decimatedCount = 0;
  private heldLogF0 = 0;

  /** `wasm: false` keeps the JS loop (tests compare the two). */
  constructor(config: Partial<PitchConfig> = {}, options: { wasm?: boolean } = {}) {
    const c: PitchConfig = { ...PITCH_CONFIG, ...config };
    validatePitchConfig(c);
    this.config = Object.freeze(c);
    const rate = c.inputRateHz / c.decimation;
    this.fir = lowPassFir(c.firTaps, c.cutoffHz, c.inputRateHz);
    const minLag = Math.max(2, Math.floor(rate / c.maxF0Hz));
    const maxLag = Math.ceil(rate / c.minF0Hz);
    this.input = new Float64Array(c.firTaps - 1 + 4096);
    const segmentSamples = c.windowSamples + maxLag + 1;
    const kernel = options.wasm === false || segmentSamples > MAX_SEGMENT_SAMPLES ? null : yinKernel();
    this.segment = kernel === null ? new Float64Array(segmentSamples) : kernel.segment.subarray(0, segmentSamples);
    const differences: SquaredDifferences | undefined = kernel === null ? undefined : (window, from, to) => {
      kernel.differences(window, from, to);
      return kernel.out;
    };
    this.yin = new Yin(c.windowSamples, minLag, maxLag, c.threshold, differences);
    this.ringSize = segmentSamples;
    this.decimated = new Float64Array(this.ringSize);
  }

  /** Pushes samples at the input rate; returns every frame they complete. */
  push(samples: Float32Array): PitchFrames {
    const { hopSamples, frameSamples, firTaps } = this.config;
    const start = this.inputCount;
    const end = start + samples.length;
    const first = this.framesBefore(start);
    const count = this.framesBefore(end) - first;
    const out: PitchFrames = {
      count,
      f0Hz: new Float32Array(count),
      aperiodicity: new Float32Array(count),
      features: new Float32Array(count * PITCH_FEATURES),
    };
    const history = firTaps - 1;
    if (this.input.length < history + samples.length) {
      const grown = new Float64Array(history + samples.length);
      grown.set(this.input.subarray(0, history));
      this.input = grown;
    }
    this.input.set(samples, history);
    for (let i = 0; i < count; i++) {
      this.decimateUpTo(start, hopSamples * (first + i) + frameSamples);
      this.frame(out, i);
    }
    this.decimateUpTo(start, end);
    this.input.copyWithin(0, samples.length, samples.length + history);
    this.inputCount = end;
    return out;
  }

  reset(): void {
    this.input.fill(0);
    this.decimated.fill(0);
    this.inputCount = 0;
    this.decimatedCount = 0;
    this.heldLogF0 = 0;
  }

  /** Frames complete once `inputSamples` samples have arrived (the MFCC stage's rule). */
  private framesBefore(inputSamples: number): number {
    const { hopSamples, frameSamples } = this.config;
    return inputSamples < frameSamples ? 0 : Math.floor((inputSamples - frameSamples) / hopSamples) + 1;
  }

  /**
   * Makes every decimated sample y[m] = Σ h[k]·x[n − k], n = decimation·m < `endInput`, not
   * made yet; the current push starts at input sample `pushStart` (this.input's firTaps − 1).
   */
  private decimateUpTo(pushStart: number, endInput: number): void {
    const { decimation } = this.config;
    const taps = this.fir.length;
    const offset = taps - 1 - pushStart;
    for (let n = decimation * this.decimatedCount; n < endInput; n += decimation) {
      const newest = n + offset;
      let sum = 0;
      for (let k = 0; k < taps; k++) sum += this.fir[k]! * this.input[newest - k]!;
      this.decimated[this.decimatedCount % this.ringSize] = sum;
      this.decimatedCount++;
    }
  }

  private frame(out: PitchFrames, index: number): void {
    const { inputRateHz, decimation, voicedMaxAperiodicity } = this.config;
    const length = this.segment.length;
    // The segment ends with the newest decimated sample (the frame's last); zeros before the start.
    const first = this.decimatedCount - length;
    const ring = this.ringSize;
    for (let j = 0, m = first; j < length; j++, m++) this.segment[j] = m < 0 ? 0 : this.decimated[m % ring]!;
    this.yin.analyse(this.segment);
    const { lagSamples, aperiodicity } = this.yin;
    const f0Hz = inputRateHz / decimation / lagSamples;
    if (aperiodicity < voicedMaxAperiodicity) this.heldLogF0 = Math.log2(f0Hz / F0_REFERENCE_HZ);
    out.f0Hz[index] = f0Hz;
    out.aperiodicity[index] = aperiodicity;
    out.features[index * PITCH_FEATURES] = this.heldLogF0;
    const periodicity = 1 - aperiodicity;
    out.features[index * PITCH_FEATURES + 1] = periodicity < 0 ? 0 : periodicity > 1 ? 1 : periodicity;
  }
}
