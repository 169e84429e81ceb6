import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MFCC_CONFIG, MfccExtractor, computeMfcc } from '../../shared/dsp/mfcc.js';
import {
  dctIIOrthoHalfMatrix,
  dctIIOrthoMatrix,
  hammingWindowPeriodic,
  hzToMelHtk,
  melFilterbankDense,
  melFilterbankSegments,
  melFilterbankSparse,
  melToHzHtk,
  type MelFilterbankSpec,
} from '../../shared/dsp/mel_filterbank.js';
import { RealFft } from '../../shared/dsp/real_fft.js';
import { concat, randomChunkSizes, seededRandom, tone } from './helpers.js';

test('MFCC_CONFIG is the documented contract', () => {
  assert.deepEqual(
    { ...MFCC_CONFIG },
    {
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
    },
  );
  assert.ok(Object.isFrozen(MFCC_CONFIG));
});

test('frame i covers samples [160 i, 160 i + 400): frame counts with no centre padding', () => {
  for (const [n, frames] of [[0, 0], [399, 0], [400, 1], [559, 1], [560, 2], [16000, 98]] as const) {
    assert.equal(computeMfcc(new Float32Array(n)).count, frames, `${n} samples`);
  }
});

test('each frame is computed once, as its last sample arrives (push one sample at a time)', () => {
  const x = tone(300, 16000, 2000, 0.3);
  const whole = computeMfcc(x);
  const m = new MfccExtractor();
  const coeffs: Float32Array[] = [];
  for (let i = 0; i < x.length; i++) {
    const out = m.push(x.subarray(i, i + 1));
    const completes = i + 1 >= 400 && (i + 1 - 400) % 160 === 0;
    assert.equal(out.count, completes ? 1 : 0, `sample ${i}`);
    coeffs.push(out.coeffs);
  }
  assert.equal(m.framesEmitted, whole.count);
  assert.deepEqual(concat(coeffs), whole.coeffs);
});

test('random chunkings give bit-identical frames and energies', () => {
  const random = seededRandom(3);
  const x = new Float32Array(16000 * 2);
  for (let i = 0; i < x.length; i++) x[i] = (random() - 0.5) * Math.sin(i / 900);
  const whole = computeMfcc(x);
  for (const maxChunk of [7, 300, 20000]) {
    const m = new MfccExtractor();
    const coeffs: Float32Array[] = [];
    const energies: Float32Array[] = [];
    let at = 0;
    for (const size of randomChunkSizes(x.length, maxChunk, random)) {
      const out = m.push(x.subarray(at, at + size));
      coeffs.push(out.coeffs);
      energies.push(out.energyDb);
      at += size;
    }
    assert.deepEqual(concat(coeffs), whole.coeffs, `chunks ≤ ${maxChunk}`);
    assert.deepEqual(concat(energies), whole.energyDb);
  }
});

test('energyDb is the raw frame mean square in dBFS', () => {
  const sine = computeMfcc(tone(1000, 16000, 4000, 1));
  // A full-scale sine has mean square 1/2: −3.01 dBFS (frames hold whole periods of 1 kHz).
  for (const e of sine.energyDb) assert.ok(Math.abs(e - 10 * Math.log10(0.5)) < 1e-3, String(e));
  const silence = computeMfcc(new Float32Array(1000));
  for (const e of silence.energyDb) assert.ok(Math.abs(e - -100) < 1e-4);
});

test('digital silence hits the log floor: c0 = √40 · ln(1e-10), the rest 0', () => {
  const out = computeMfcc(new Float32Array(800));
  for (let f = 0; f < out.count; f++) {
    assert.ok(Math.abs((out.coeffs[f * 20] as number) - Math.sqrt(40) * Math.log(1e-10)) < 1e-4);
    for (let c = 1; c < 20; c++) assert.ok(Math.abs(out.coeffs[f * 20 + c] as number) < 1e-4);
  }
});

test('reset() starts a new stream (pre-emphasis memory and frame clock included)', () => {
  const x = tone(440, 16000, 1200, 0.4);
  const m = new MfccExtractor();
  const first = m.push(x);
  m.push(tone(90, 16000, 777));
  m.reset();
  assert.equal(m.framesEmitted, 0);
  assert.deepEqual(m.push(x).coeffs, first.coeffs);
});

test('config overrides are honoured and invalid configs rejected with "expected … got …"', () => {
  const out = computeMfcc(new Float32Array(1000), { numCoeffs: 13 });
  assert.equal(out.coeffs.length, out.count * 13);
  assert.throws(() => new MfccExtractor({ fftSize: 300 }), /expected fftSize a power of two/);
  assert.throws(() => new MfccExtractor({ numCoeffs: 41 }), /expected numCoeffs in 1…40, got 41/);
  assert.throws(() => new MfccExtractor({ highFreqHz: 9000 }), /expected highFreqHz ≤ 8000, got 9000/);
  assert.throws(() => new MfccExtractor({ preEmphasis: 1 }), /expected preEmphasis in \[0, 1\)/);
});

test('mel tables: HTK scale, triangular filters with peak 1, sparse = dense, DCT orthonormal', () => {
  assert.ok(Math.abs(hzToMelHtk(1000) - 1000) < 0.1); // the HTK scale puts 1000 Hz at ≈1000 mel
  assert.ok(Math.abs(melToHzHtk(hzToMelHtk(3210)) - 3210) < 1e-9);
  const spec = { sampleRateHz: 16000, fftSize: 512, numMelBins: 40, lowFreqHz: 20, highFreqHz: 7600 };
  const dense = melFilterbankDense(spec);
  const sparse = melFilterbankSparse(spec);
  dense.forEach((row, m) => {
    const first = sparse.firstBin[m] as number;
    for (let k = 0; k < row.length; k++) {
      const inside = k >= first && k < first + (sparse.length[m] as number);
      const w = inside ? (sparse.weights[(sparse.offset[m] as number) + k - first] as number) : 0;
      assert.equal(w, row[k]);
    }
    assert.ok(Math.max(...row) <= 1 && Math.max(...row) > 0.3, `filter ${m} is not empty`);
  });
  const dct = dctIIOrthoMatrix(40, 40);
  for (let a = 0; a < 40; a++) {
    for (let b = 0; b < 40; b++) {
      let dot = 0;
      for (let n = 0; n < 40; n++) dot += (dct[a * 40 + n] as number) * (dct[b * 40 + n] as number);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12);
    }
  }
});

/** Configs that stress the table layouts: odd sizes, filters narrower than a bin, hop = frame, hop = 1. */
const ODD_CONFIGS = [
  { numMelBins: 13, numCoeffs: 13 },
  { numMelBins: 23, numCoeffs: 12, lowFreqHz: 0, highFreqHz: 8000 },
  { numMelBins: 128, numCoeffs: 7, fftSize: 256, frameSamples: 256, hopSamples: 256 },
  { numMelBins: 2, numCoeffs: 1, frameSamples: 33, hopSamples: 1, fftSize: 64 },
] as const;

test('mel segments hold exactly the dense filterbank: bins of segment j feed only filters j − 1 and j', () => {
  for (const overrides of [{}, ...ODD_CONFIGS]) {
    const spec: MelFilterbankSpec = { ...MFCC_CONFIG, ...overrides };
    const dense = melFilterbankDense(spec);
    const { segmentStart, fallingWeight, risingWeight } = melFilterbankSegments(spec);
    dense.forEach((row, m) => {
      for (let k = 0; k < row.length; k++) {
        let w = 0;
        if (k >= (segmentStart[m] as number) && k < (segmentStart[m + 1] as number)) w = risingWeight[k] as number;
        if (k >= (segmentStart[m + 1] as number) && k < (segmentStart[m + 2] as number)) w = fallingWeight[k] as number;
        assert.equal(w, row[k], `${JSON.stringify(overrides)}: filter ${m}, bin ${k}`);
      }
    });
  }
});

test('DCT half matrix: the folded product equals the dense DCT-II for odd and even sizes', () => {
  const random = seededRandom(5);
  for (const [numCoeffs, numInputs] of [[20, 40], [13, 13], [7, 128], [1, 2], [4, 5]] as const) {
    const dense = dctIIOrthoMatrix(numCoeffs, numInputs);
    const half = dctIIOrthoHalfMatrix(numCoeffs, numInputs);
    const width = Math.ceil(numInputs / 2);
    const x = Float64Array.from({ length: numInputs }, () => random() * 40 - 20);
    for (let k = 0; k < numCoeffs; k++) {
      let want = 0;
      for (let n = 0; n < numInputs; n++) want += (dense[k * numInputs + n] as number) * (x[n] as number);
      let got = 0;
      const sign = k % 2 === 0 ? 1 : -1;
      for (let n = 0; n < width; n++) {
        const mirror = numInputs - 1 - n;
        const pair = mirror === n ? (k % 2 === 0 ? (x[n] as number) : 0) : (x[n] as number) + sign * (x[mirror] as number);
        got += (half[k * width + n] as number) * pair;
      }
      assert.ok(Math.abs(got - want) < 1e-12 * 40 * numInputs, `${numCoeffs}×${numInputs}, c${k}: ${got} vs ${want}`);
    }
  }
});

/** The textbook pipeline with the dense tables, float64 throughout; a reference for odd configs. */
function referenceMfcc(x: Float32Array, overrides: Partial<typeof MFCC_CONFIG>): number[][] {
  const c = { ...MFCC_CONFIG, ...overrides };
  const window = hammingWindowPeriodic(c.frameSamples);
  const mel = melFilterbankDense(c);
  const dct = dctIIOrthoMatrix(c.numCoeffs, c.numMelBins);
  const fft = new RealFft(c.fftSize);
  const power = new Float64Array(c.fftSize / 2 + 1);
  const frames: number[][] = [];
  for (let start = 0; start + c.frameSamples <= x.length; start += c.hopSamples) {
    const frame = new Float64Array(c.fftSize);
    for (let j = 0; j < c.frameSamples; j++) {
      const prev = start + j > 0 ? (x[start + j - 1] as number) : 0;
      frame[j] = ((x[start + j] as number) - c.preEmphasis * prev) * (window[j] as number);
    }
    fft.powerSpectrum(frame, power);
    const logMel = mel.map((row) => Math.log(Math.max(row.reduce((s, w, k) => s + w * (power[k] as number), 0), c.logFloor)));
    frames.push(Array.from({ length: c.numCoeffs }, (_, k) => logMel.reduce((s, v, m) => s + (dct[k * c.numMelBins + m] as number) * v, 0)));
  }
  return frames;
}

test('odd configs match the textbook dense pipeline and stay chunking-invariant', () => {
  const random = seededRandom(9);
  const x = new Float32Array(3000);
  for (let i = 0; i < x.length; i++) x[i] = (random() - 0.5) * (1 + Math.sin(i / 70));
  for (const overrides of ODD_CONFIGS) {
    const label = JSON.stringify(overrides);
    const whole = computeMfcc(x, overrides);
    const want = referenceMfcc(x, overrides);
    assert.equal(whole.count, want.length, label);
    want.forEach((row, f) =>
      row.forEach((v, k) => {
        const got = whole.coeffs[f * overrides.numCoeffs + k] as number;
        assert.ok(Math.abs(got - v) <= 1e-5 * (1 + Math.abs(v)), `${label}: frame ${f}, c${k}: ${got} vs ${v}`);
      }),
    );
    const m = new MfccExtractor(overrides);
    const parts: Float32Array[] = [];
    let at = 0;
    for (const size of randomChunkSizes(x.length, 700, random)) {
      parts.push(m.push(x.subarray(at, at + size)).coeffs);
      at += size;
    }
    assert.deepEqual(concat(parts), whole.coeffs, label);
  }
});
