/**
 * Tables for the MFCC stage: HTK mel filterbank (dense; sparse; per spectrum segment, the
 * layout the extractor sums with), orthonormal DCT-II matrix (full; half, the extractor's)
 * and Hamming window. Pure functions; the extractor builds them once per config.
 *
 * Conventions are torchaudio's, so the golden reference can use torchaudio directly:
 * - mel scale: HTK, mel = 2595 · log10(1 + f / 700) (Young et al., The HTK Book, §5.4;
 *   `torchaudio.functional.melscale_fbanks(mel_scale='htk')`);
 * - filters: triangles between mel-spaced edges evaluated at the FFT bin frequencies
 *   k · fs / nFft, peak 1, no area normalisation (`norm=None`);
 * - DCT: type II, orthonormal (`torchaudio.functional.create_dct(norm='ortho')`, scipy
 *   `dct(type=2, norm='ortho')`);
 * - window: periodic Hamming, 0.54 − 0.46 · cos(2πn / N) (`torch.hamming_window`, the
 *   default window of torchaudio's Spectrogram when given `torch.hamming_window`).
 */

/** HTK mel-scale constants (The HTK Book, §5.4). */
const HTK_MEL_FACTOR = 2595;
const HTK_MEL_BREAK_HZ = 700;
/** Hamming coefficients (Hamming 1977; the classic 0.54 / 0.46, as torch uses). */
const HAMMING_ALPHA = 0.54;
const HAMMING_BETA = 0.46;

export function hzToMelHtk(hz: number): number {
  return HTK_MEL_FACTOR * Math.log10(1 + hz / HTK_MEL_BREAK_HZ);
}

export function melToHzHtk(mel: number): number {
  return HTK_MEL_BREAK_HZ * (10 ** (mel / HTK_MEL_FACTOR) - 1);
}

export interface MelFilterbankSpec {
  sampleRateHz: number;
  fftSize: number;
  numMelBins: number;
  lowFreqHz: number;
  highFreqHz: number;
}

/** Filter m has non-zero weights on FFT bins firstBin[m] … firstBin[m] + length[m] − 1. */
export interface SparseMelFilterbank {
  numMelBins: number;
  /** FFT bins in the power spectrum, fftSize / 2 + 1. */
  numFftBins: number;
  firstBin: Int32Array;
  length: Int32Array;
  /** Start of filter m's weights in `weights`. */
  offset: Int32Array;
  weights: Float64Array;
}

/** The numMelBins + 2 mel-spaced edges, Hz: filter m rises from edge m, peaks at m + 1, falls to m + 2. */
export function melEdgesHz(spec: MelFilterbankSpec): Float64Array {
  const { numMelBins, lowFreqHz, highFreqHz } = spec;
  const melLow = hzToMelHtk(lowFreqHz);
  const melHigh = hzToMelHtk(highFreqHz);
  const edgesHz = new Float64Array(numMelBins + 2);
  for (let i = 0; i < numMelBins + 2; i++) {
    edgesHz[i] = melToHzHtk(melLow + ((melHigh - melLow) * i) / (numMelBins + 1));
  }
  return edgesHz;
}

/** Centre frequency of FFT bin k, Hz; one expression for every table, so they agree bit for bit. */
function binHz(k: number, spec: MelFilterbankSpec): number {
  return (k * spec.sampleRateHz) / spec.fftSize;
}

/** Dense [numMelBins][numFftBins] filterbank, exactly as torchaudio's melscale_fbanks (transposed). */
export function melFilterbankDense(spec: MelFilterbankSpec): Float64Array[] {
  const numFftBins = spec.fftSize / 2 + 1;
  const edgesHz = melEdgesHz(spec);
  const filters: Float64Array[] = [];
  for (let m = 0; m < spec.numMelBins; m++) {
    const left = edgesHz[m] as number;
    const centre = edgesHz[m + 1] as number;
    const right = edgesHz[m + 2] as number;
    const row = new Float64Array(numFftBins);
    for (let k = 0; k < numFftBins; k++) {
      const f = binHz(k, spec);
      const rising = (f - left) / (centre - left);
      const falling = (right - f) / (right - centre);
      row[k] = Math.max(0, Math.min(rising, falling));
    }
    filters.push(row);
  }
  return filters;
}

export function melFilterbankSparse(spec: MelFilterbankSpec): SparseMelFilterbank {
  const dense = melFilterbankDense(spec);
  const numFftBins = spec.fftSize / 2 + 1;
  const firstBin = new Int32Array(spec.numMelBins);
  const length = new Int32Array(spec.numMelBins);
  const offset = new Int32Array(spec.numMelBins);
  const weights: number[] = [];
  dense.forEach((row, m) => {
    let first = row.findIndex((w) => w > 0);
    let last = numFftBins - 1;
    while (last >= 0 && (row[last] as number) <= 0) last--;
    // A filter narrower than one bin has no weights: it stays empty (and floors in the log).
    if (first < 0) first = last = 0;
    firstBin[m] = first;
    length[m] = (row[first] as number) > 0 ? last - first + 1 : 0;
    offset[m] = weights.length;
    for (let k = first; k < first + (length[m] as number); k++) weights.push(row[k] as number);
  });
  return { numMelBins: spec.numMelBins, numFftBins, firstBin, length, offset, weights: Float64Array.from(weights) };
}

/**
 * The same filterbank laid out for one pass over the spectrum. Adjacent triangles share
 * edges, so the bins in segment j — frequencies in [edge j, edge j + 1) — feed exactly two
 * filters: the falling side of filter j − 1 and the rising side of filter j (weights outside
 * a triangle are 0 exactly, since the sign of a difference is exact in floating point).
 * Walking the segments in order, each filter gathers its bins in increasing k, the order of
 * the sparse form, and the two sums are independent, so they overlap in the CPU.
 */
export interface MelFilterbankSegments {
  numMelBins: number;
  /** numMelBins + 2 entries: segment j holds FFT bins segmentStart[j] … segmentStart[j + 1] − 1. */
  segmentStart: Int32Array;
  /** Per FFT bin: its weight in the filter whose falling side holds it (0 in segment 0). */
  fallingWeight: Float64Array;
  /** Per FFT bin: its weight in the filter whose rising side holds it (0 in the last segment). */
  risingWeight: Float64Array;
}

export function melFilterbankSegments(spec: MelFilterbankSpec): MelFilterbankSegments {
  const { numMelBins } = spec;
  const numFftBins = spec.fftSize / 2 + 1;
  const dense = melFilterbankDense(spec);
  const edgesHz = melEdgesHz(spec);
  const segmentStart = new Int32Array(numMelBins + 2);
  const fallingWeight = new Float64Array(numFftBins);
  const risingWeight = new Float64Array(numFftBins);
  let k = 0;
  for (let j = 0; j < numMelBins + 2; j++) {
    while (k < numFftBins && binHz(k, spec) < (edgesHz[j] as number)) k++;
    segmentStart[j] = k;
  }
  for (let j = 0; j <= numMelBins; j++) {
    for (let b = segmentStart[j] as number; b < (segmentStart[j + 1] as number); b++) {
      fallingWeight[b] = j > 0 ? ((dense[j - 1] as Float64Array)[b] as number) : 0;
      risingWeight[b] = j < numMelBins ? ((dense[j] as Float64Array)[b] as number) : 0;
    }
  }
  return { numMelBins, segmentStart, fallingWeight, risingWeight };
}

/** Orthonormal DCT-II matrix, row-major [numCoeffs][numInputs]. */
export function dctIIOrthoMatrix(numCoeffs: number, numInputs: number): Float64Array {
  const matrix = new Float64Array(numCoeffs * numInputs);
  for (let k = 0; k < numCoeffs; k++) {
    const scale = k === 0 ? Math.sqrt(1 / numInputs) : Math.sqrt(2 / numInputs);
    for (let n = 0; n < numInputs; n++) {
      matrix[k * numInputs + n] = scale * Math.cos((Math.PI / numInputs) * (n + 0.5) * k);
    }
  }
  return matrix;
}

/**
 * The first ⌈numInputs / 2⌉ columns of the orthonormal DCT-II matrix, row-major
 * [numCoeffs][⌈numInputs / 2⌉]. The rest follow by symmetry, D[k][N − 1 − n] = (−1)^k · D[k][n]
 * (cos(πk − θ) = (−1)^k cos θ), so c_k = Σ_n D[k][n] · (x[n] ± x[N − 1 − n]) over half the
 * inputs: + for even k, − for odd k; for odd N the middle input stands alone (D[k][mid] = 0
 * for odd k).
 */
export function dctIIOrthoHalfMatrix(numCoeffs: number, numInputs: number): Float64Array {
  const full = dctIIOrthoMatrix(numCoeffs, numInputs);
  const half = Math.ceil(numInputs / 2);
  const matrix = new Float64Array(numCoeffs * half);
  for (let k = 0; k < numCoeffs; k++) matrix.set(full.subarray(k * numInputs, k * numInputs + half), k * half);
  return matrix;
}

/** Periodic Hamming window of `length` samples. */
export function hammingWindowPeriodic(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) w[n] = HAMMING_ALPHA - HAMMING_BETA * Math.cos((2 * Math.PI * n) / length);
  return w;
}
