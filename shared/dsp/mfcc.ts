/**
 * Incremental MFCC extraction: 16 kHz mono samples → one 20-coefficient frame per 10 ms.
 *
 * Frame i covers samples [hop·i, hop·i + frameSamples) of the stream (no centre padding),
 * and is computed exactly once, in the `push` that delivers its last sample. Samples wait
 * in a preallocated ring, so chunking never changes a value: any chunking of a stream
 * yields bit-identical frames.
 *
 * Per frame: continuous pre-emphasis → periodic Hamming window → 512-point real FFT →
 * power spectrum (real_fft.ts) → 40 HTK mel filters → ln(max(·, 1e-10)) → orthonormal DCT-II → c0 … c19.
 * Pre-emphasis runs over the stream, y[n] = x[n] − 0.97·x[n−1] with x[−1] = 0 (as
 * `numpy` code and speechpy do, and unlike Kaldi's per-frame variant), so it is one
 * definition for offline and streaming use. The tables follow torchaudio's conventions
 * (see mel_filterbank.ts) so the golden test can use torchaudio as an independent reference.
 */
import {
  dctIIOrthoMatrix,
  hammingWindowPeriodic,
  melFilterbankSparse,
  type SparseMelFilterbank,
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
  mel: SparseMelFilterbank;
  dct: Float64Array;
  fft: RealFft;
}

const tablesCache = new Map<string, MfccTables>();

function tablesFor(c: MfccConfig): MfccTables {
  const key = JSON.stringify(c);
  let tables = tablesCache.get(key);
  if (!tables) {
    tables = {
      window: hammingWindowPeriodic(c.frameSamples),
      mel: melFilterbankSparse(c),
      dct: dctIIOrthoMatrix(c.numCoeffs, c.numMelBins),
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

export class MfccExtractor {
  readonly config: Readonly<MfccConfig>;
  private readonly tables: MfccTables;
  /** Raw samples; index = absolute sample index & ringMask. Holds a frame plus one sample. */
  private readonly ring: Float32Array;
  private readonly ringMask: number;
  private readonly frame: Float64Array;
  private readonly power: Float64Array;
  private readonly logMel: Float64Array;
  private samplesSeen = 0;
  private emitted = 0;

  constructor(config: Partial<MfccConfig> = {}) {
    const c = { ...MFCC_CONFIG, ...config };
    validateMfccConfig(c);
    this.config = Object.freeze(c);
    this.tables = tablesFor(c);
    let ringSize = 1;
    while (ringSize < c.frameSamples + 1) ringSize *= 2;
    this.ring = new Float32Array(ringSize);
    this.ringMask = ringSize - 1;
    this.frame = new Float64Array(c.fftSize);
    this.power = new Float64Array(c.fftSize / 2 + 1);
    this.logMel = new Float64Array(c.numMelBins);
  }

  /** Frames computed since construction or the last `reset()`. */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Appends samples; returns every frame completed by them (possibly none). */
  push(samples: Float32Array): MfccFrames {
    const { frameSamples, hopSamples, numCoeffs } = this.config;
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
    this.ring.fill(0);
    this.samplesSeen = 0;
    this.emitted = 0;
  }

  private write(samples: Float32Array, from: number, to: number): void {
    const ring = this.ring;
    const mask = this.ringMask;
    let pos = this.samplesSeen;
    for (let i = from; i < to; i++, pos++) ring[pos & mask] = samples[i] as number;
    this.samplesSeen = pos;
  }

  /** Computes the frame starting at absolute sample `start`; returns its energy in dBFS. */
  private computeFrame(start: number, out: Float32Array, outOffset: number): number {
    const { frameSamples, numMelBins, numCoeffs, preEmphasis, logFloor } = this.config;
    const { window, mel, dct, fft } = this.tables;
    const ring = this.ring;
    const mask = this.ringMask;
    const frame = this.frame;
    let prev = start > 0 ? (ring[(start - 1) & mask] as number) : 0;
    let sumSquares = 0;
    for (let j = 0; j < frameSamples; j++) {
      const x = ring[(start + j) & mask] as number;
      sumSquares += x * x;
      frame[j] = (x - preEmphasis * prev) * (window[j] as number);
      prev = x;
    }
    // frame[frameSamples …] stays zero: the FFT's zero padding.
    const power = this.power;
    fft.powerSpectrum(frame, power);
    const logMel = this.logMel;
    const { firstBin, length, offset, weights } = mel;
    for (let m = 0; m < numMelBins; m++) {
      let acc = 0;
      const first = firstBin[m] as number;
      const w0 = offset[m] as number;
      const n = length[m] as number;
      for (let k = 0; k < n; k++) acc += (weights[w0 + k] as number) * (power[first + k] as number);
      logMel[m] = Math.log(acc > logFloor ? acc : logFloor);
    }
    for (let c = 0; c < numCoeffs; c++) {
      let acc = 0;
      const row = c * numMelBins;
      for (let m = 0; m < numMelBins; m++) acc += (dct[row + m] as number) * (logMel[m] as number);
      out[outOffset + c] = acc;
    }
    return 10 * Math.log10(sumSquares / frameSamples + ENERGY_FLOOR);
  }
}

/** Offline MFCC of a whole clip: exactly one `push` on a fresh extractor. */
export function computeMfcc(samples: Float32Array, config?: Partial<MfccConfig>): MfccFrames {
  return new MfccExtractor(config).push(samples);
}
