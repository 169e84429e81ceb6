/**
 * Incremental MFCC extraction: 16 kHz mono samples → one 20-coefficient frame per 10 ms.
 *
 * Frame i covers samples [hop·i, hop·i + frameSamples) of the stream (no centre padding),
 * and is computed exactly once, in the `push` that delivers its last sample. Samples wait
 * in a preallocated buffer and each frame reads the same raw samples whatever the chunks
 * were, so any chunking of a stream yields bit-identical frames.
 *
 * Per frame: continuous pre-emphasis → periodic Hamming window → 512-point real FFT →
 * power spectrum (real_fft.ts) → 40 HTK mel filters → ln(max(·, 1e-10)) → orthonormal DCT-II → c0 … c19.
 * The per-frame code runs for every 10 ms of every stream; it is laid out for
 * instruction-level parallelism: each long sum is split into independent partial sums,
 * since a single accumulator chain waits on every add. The mel stage walks the spectrum
 * once (mel_filterbank.ts: melFilterbankSegments) and the DCT uses its even/odd symmetry
 * (dctIIOrthoHalfMatrix), so only the DCT and the frame energy round differently from the
 * plain sums; the FFT (fft.js) is about half of a frame's time.
 * Pre-emphasis runs over the stream, y[n] = x[n] − 0.97·x[n−1] with x[−1] = 0 (as
 * `numpy` code and speechpy do, and unlike Kaldi's per-frame variant), so it is one
 * definition for offline and streaming use. The tables follow torchaudio's conventions
 * (see mel_filterbank.ts) so the golden test can use torchaudio as an independent reference.
 */
import {
  dctIIOrthoHalfMatrix,
  hammingWindowPeriodic,
  melFilterbankSegments,
  type MelFilterbankSegments,
} from './mel_filterbank.js';
import { RealFft } from './real_fft.js';

export interface MfccConfig {
  /** Input rate, Hz. Default 16000; the mel edges must lie below its Nyquist. */
  sampleRateHz: number;
  /** Samples per analysis frame. Default 400 (25 ms at 16 kHz); 1 … fftSize. */
  frameSamples: number;
  /** Samples between frame starts. Default 160 (10 ms at 16 kHz); 1 … frameSamples. */
  hopSamples: number;
  /** FFT length, a power of two ≥ max(8, frameSamples) (the frame is zero-padded). Default 512. */
  fftSize: number;
  /** Mel filters. Default 40; 1 … 128. */
  numMelBins: number;
  /** Cepstral coefficients kept, c0 included. Default 20; 1 … numMelBins. */
  numCoeffs: number;
  /** Lower edge of the first mel filter, Hz. Default 20; ≥ 0. */
  lowFreqHz: number;
  /** Upper edge of the last mel filter, Hz. Default 7600; ≤ sampleRateHz / 2. */
  highFreqHz: number;
  /** Pre-emphasis coefficient, [0, 1). Default 0.97; 0 disables it. */
  preEmphasis: number;
  /** Floor applied to mel power before the natural log, > 0. Default 1e-10 (→ −23.03). */
  logFloor: number;
}

/** Mean-square floor of `energyDb`, so digital silence reads −100 dBFS instead of −∞. */
const ENERGY_FLOOR = 1e-10;

export const MFCC_CONFIG: Readonly<MfccConfig> = Object.freeze({
  sampleRateHz: 16000,
  frameSamples: 400,
  hopSamples: 160,
  fftSize: 512,
  numMelBins: 40,
  numCoeffs: 20,
  lowFreqHz: 20,
  highFreqHz: 7600,
  preEmphasis: 0.97,
  logFloor: 1e-10,
});

export interface MfccFrames {
  count: number;
  /** count × numCoeffs, row-major. */
  coeffs: Float32Array;
  /** count; frame energy in dBFS, 10·log10(mean square of the raw frame + 1e-10). */
  energyDb: Float32Array;
}

interface MfccTables {
  window: Float64Array;
  mel: MelFilterbankSegments;
  /** [numCoeffs][⌈numMelBins / 2⌉], see dctIIOrthoHalfMatrix. */
  dctHalf: Float64Array;
  fft: RealFft;
}

const tablesCache = new Map<string, MfccTables>();

function tablesFor(c: MfccConfig): MfccTables {
  const key = JSON.stringify(c);
  let tables = tablesCache.get(key);
  if (!tables) {
    tables = {
      window: hammingWindowPeriodic(c.frameSamples),
      mel: melFilterbankSegments(c),
      dctHalf: dctIIOrthoHalfMatrix(c.numCoeffs, c.numMelBins),
      fft: new RealFft(c.fftSize),
    };
    tablesCache.set(key, tables);
  }
  return tables;
}

function check(ok: boolean, expected: string, got: unknown): void {
  if (!ok) throw new RangeError(`MfccConfig: expected ${expected}, got ${String(got)}`);
}

export function validateMfccConfig(c: MfccConfig): void {
  const isInt = Number.isInteger;
  check(isInt(c.sampleRateHz) && c.sampleRateHz > 0, 'sampleRateHz a positive integer', c.sampleRateHz);
  check(isInt(c.fftSize) && c.fftSize >= 8 && (c.fftSize & (c.fftSize - 1)) === 0, 'fftSize a power of two ≥ 8', c.fftSize);
  check(isInt(c.frameSamples) && c.frameSamples >= 1 && c.frameSamples <= c.fftSize, `frameSamples in 1…${c.fftSize}`, c.frameSamples);
  check(isInt(c.hopSamples) && c.hopSamples >= 1 && c.hopSamples <= c.frameSamples, `hopSamples in 1…${c.frameSamples}`, c.hopSamples);
  check(isInt(c.numMelBins) && c.numMelBins >= 1 && c.numMelBins <= 128, 'numMelBins in 1…128', c.numMelBins);
  check(isInt(c.numCoeffs) && c.numCoeffs >= 1 && c.numCoeffs <= c.numMelBins, `numCoeffs in 1…${c.numMelBins}`, c.numCoeffs);
  check(c.lowFreqHz >= 0 && c.lowFreqHz < c.highFreqHz, `lowFreqHz in [0, ${c.highFreqHz})`, c.lowFreqHz);
  check(c.highFreqHz <= c.sampleRateHz / 2, `highFreqHz ≤ ${c.sampleRateHz / 2}`, c.highFreqHz);
  check(c.preEmphasis >= 0 && c.preEmphasis < 1, 'preEmphasis in [0, 1)', c.preEmphasis);
  check(c.logFloor > 0 && Number.isFinite(c.logFloor), 'logFloor > 0', c.logFloor);
}

/**
 * Hops of slack in the sample buffer beyond one frame: the buffer is compacted (the tail
 * still needed moved to the front) about once per this many frames, so the copy costs
 * ~frameSamples / 8 samples per frame while the buffer stays a few kB per stream.
 */
const BUFFER_SLACK_HOPS = 8;

/**
 * Pre-emphasis and window of `frameSamples = window.length` raw samples starting at `at`,
 * into `frame`; `prevSample` is the sample before them (0 at stream start). Returns the
 * sum of squares of the raw samples. The squares go to two partial sums, so the additions
 * form two dependency chains of half the length instead of one.
 */
function preEmphasizeAndWindow(
  samples: Float32Array,
  at: number,
  prevSample: number,
  preEmphasis: number,
  window: Float64Array,
  frame: Float64Array,
): number {
  const n = window.length;
  let prev = prevSample;
  let evenSquares = 0;
  let oddSquares = 0;
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const x0 = samples[at + j] as number;
    const x1 = samples[at + j + 1] as number;
    evenSquares += x0 * x0;
    oddSquares += x1 * x1;
    frame[j] = (x0 - preEmphasis * prev) * (window[j] as number);
    frame[j + 1] = (x1 - preEmphasis * x0) * (window[j + 1] as number);
    prev = x1;
  }
  if (j < n) {
    const x = samples[at + j] as number;
    evenSquares += x * x;
    frame[j] = (x - preEmphasis * prev) * (window[j] as number);
  }
  return evenSquares + oddSquares;
}

/**
 * ln(max(mel power, logFloor)) per filter, from the interleaved half spectrum; the power
 * |X[k]|² is formed on the fly, so no power array is written and read back. Filter sums
 * equal the sparse per-filter sums bit for bit (same terms, same order, plus exact zeros).
 */
function logMelEnergies(spectrum: readonly number[], mel: MelFilterbankSegments, logFloor: number, out: Float64Array): void {
  const { numMelBins, segmentStart, fallingWeight, risingWeight } = mel;
  // Sum of the filter whose falling side the current segment holds (filter j − 1).
  let falling = 0;
  for (let j = 0; j <= numMelBins; j++) {
    let rising = 0;
    const end = segmentStart[j + 1] as number;
    for (let k = segmentStart[j] as number; k < end; k++) {
      const re = spectrum[2 * k] as number;
      const im = spectrum[2 * k + 1] as number;
      const power = re * re + im * im;
      falling += (fallingWeight[k] as number) * power;
      rising += (risingWeight[k] as number) * power;
    }
    if (j > 0) out[j - 1] = Math.log(falling > logFloor ? falling : logFloor);
    falling = rising;
  }
}

/**
 * Orthonormal DCT-II of `input` (length N) → `numCoeffs` values at out[outOffset …], using
 * the half matrix (see dctIIOrthoHalfMatrix): half the multiply-adds of the dense product.
 * `folded` is scratch of length 2·⌈N/2⌉: sums x[n] + x[N−1−n], then differences. Even and
 * odd coefficients are computed in pairs, two independent accumulation chains per pass.
 */
function dctIIOrthoFolded(
  input: Float64Array,
  halfMatrix: Float64Array,
  numCoeffs: number,
  folded: Float64Array,
  out: Float32Array,
  outOffset: number,
): void {
  const n = input.length;
  const half = folded.length >> 1;
  for (let i = 0; i < n >> 1; i++) {
    const a = input[i] as number;
    const b = input[n - 1 - i] as number;
    folded[i] = a + b;
    folded[half + i] = a - b;
  }
  if (n & 1) {
    // The middle input pairs with itself: it counts once in even coefficients, not in odd.
    folded[half - 1] = input[half - 1] as number;
    folded[2 * half - 1] = 0;
  }
  let k = 0;
  for (; k + 1 < numCoeffs; k += 2) {
    const evenRow = k * half;
    const oddRow = evenRow + half;
    let even = 0;
    let odd = 0;
    for (let i = 0; i < half; i++) {
      even += (halfMatrix[evenRow + i] as number) * (folded[i] as number);
      odd += (halfMatrix[oddRow + i] as number) * (folded[half + i] as number);
    }
    out[outOffset + k] = even;
    out[outOffset + k + 1] = odd;
  }
  if (k < numCoeffs) {
    // A last even coefficient when numCoeffs is odd.
    const row = k * half;
    let even = 0;
    for (let i = 0; i < half; i++) even += (halfMatrix[row + i] as number) * (folded[i] as number);
    out[outOffset + k] = even;
  }
}

export class MfccExtractor {
  readonly config: Readonly<MfccConfig>;
  private readonly frameSamples: number;
  private readonly hopSamples: number;
  private readonly numCoeffs: number;
  private readonly preEmphasis: number;
  private readonly logFloor: number;
  private readonly window: Float64Array;
  private readonly mel: MelFilterbankSegments;
  private readonly dctHalf: Float64Array;
  private readonly fft: RealFft;
  /**
   * Raw samples bufferStart … samplesSeen − 1, linear: a frame is one contiguous run, read
   * without index wrapping. Compacted when full; holds a frame, the sample before it
   * (pre-emphasis) and BUFFER_SLACK_HOPS hops.
   */
  private readonly buffer: Float32Array;
  private bufferStart = 0;
  private readonly frame: Float64Array;
  private readonly logMel: Float64Array;
  private readonly folded: Float64Array;
  private samplesSeen = 0;
  private emitted = 0;

  constructor(config: Partial<MfccConfig> = {}) {
    const c = { ...MFCC_CONFIG, ...config };
    validateMfccConfig(c);
    this.config = Object.freeze(c);
    // Hoisted out of config and tables: the per-frame code reads plain own fields.
    this.frameSamples = c.frameSamples;
    this.hopSamples = c.hopSamples;
    this.numCoeffs = c.numCoeffs;
    this.preEmphasis = c.preEmphasis;
    this.logFloor = c.logFloor;
    const tables = tablesFor(c);
    this.window = tables.window;
    this.mel = tables.mel;
    this.dctHalf = tables.dctHalf;
    this.fft = tables.fft;
    this.buffer = new Float32Array(c.frameSamples + 1 + BUFFER_SLACK_HOPS * c.hopSamples);
    this.frame = new Float64Array(c.fftSize);
    this.logMel = new Float64Array(c.numMelBins);
    this.folded = new Float64Array(2 * Math.ceil(c.numMelBins / 2));
  }

  /** Frames computed since construction or the last `reset()`. */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Appends samples; returns every frame completed by them (possibly none). */
  push(samples: Float32Array): MfccFrames {
    const { frameSamples, hopSamples, numCoeffs } = this;
    const total = this.samplesSeen + samples.length;
    const available = total >= frameSamples ? Math.floor((total - frameSamples) / hopSamples) + 1 : 0;
    const count = available - this.emitted;
    const coeffs = new Float32Array(count * numCoeffs);
    const energyDb = new Float32Array(count);
    const base = this.samplesSeen;
    let consumed = 0;
    for (let f = 0; f < count; f++) {
      const frameStart = this.emitted * hopSamples;
      const upTo = frameStart + frameSamples - base;
      this.write(samples, consumed, upTo);
      consumed = upTo;
      energyDb[f] = this.computeFrame(frameStart, coeffs, f * numCoeffs);
      this.emitted++;
    }
    this.write(samples, consumed, samples.length);
    return { count, coeffs, energyDb };
  }

  reset(): void {
    this.bufferStart = 0;
    this.samplesSeen = 0;
    this.emitted = 0;
  }

  /**
   * Appends samples[from … to) to the buffer. `push` never writes past the end of the next
   * frame, and compaction keeps only from that frame's start − 1, so the buffer
   * (≥ frameSamples + 1) always has room after it.
   */
  private write(samples: Float32Array, from: number, to: number): void {
    if (this.samplesSeen + (to - from) - this.bufferStart > this.buffer.length) this.compact();
    const buffer = this.buffer;
    let pos = this.samplesSeen - this.bufferStart;
    for (let i = from; i < to; i++, pos++) buffer[pos] = samples[i] as number;
    this.samplesSeen = pos + this.bufferStart;
  }

  /** Drops samples no future frame reads: all before the next frame's start minus one. */
  private compact(): void {
    const keepFrom = Math.max(0, this.emitted * this.hopSamples - 1);
    this.buffer.copyWithin(0, keepFrom - this.bufferStart, this.samplesSeen - this.bufferStart);
    this.bufferStart = keepFrom;
  }

  /** Computes the frame starting at absolute sample `start`; returns its energy in dBFS. */
  private computeFrame(start: number, out: Float32Array, outOffset: number): number {
    const at = start - this.bufferStart;
    const prevSample = start > 0 ? (this.buffer[at - 1] as number) : 0;
    // frame[frameSamples …] stays zero: the FFT's zero padding.
    const sumSquares = preEmphasizeAndWindow(this.buffer, at, prevSample, this.preEmphasis, this.window, this.frame);
    logMelEnergies(this.fft.halfSpectrum(this.frame), this.mel, this.logFloor, this.logMel);
    dctIIOrthoFolded(this.logMel, this.dctHalf, this.numCoeffs, this.folded, out, outOffset);
    return 10 * Math.log10(sumSquares / this.frameSamples + ENERGY_FLOOR);
  }
}

/** Offline MFCC of a whole clip: exactly one `push` on a fresh extractor. */
export function computeMfcc(samples: Float32Array, config?: Partial<MfccConfig>): MfccFrames {
  return new MfccExtractor(config).push(samples);
}
