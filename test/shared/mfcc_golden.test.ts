/**
 * Golden test: MfccExtractor against torchaudio 0.13 (test/fixtures/golden/make_golden.py).
 *
 * Tolerances. Both sides compute in float64 from the same float32 samples, so they differ
 * by FFT rounding (~1e-12) plus the float32 storage of the results (relative 6e-8, i.e.
 * ≤ 1e-5 on |c0| ≈ 150). We allow |Δ| ≤ 1e-4 + 1e-5·|c| per coefficient and 1e-4 dB per
 * energy, which is ~1e-4 of the coefficients' own scale (c1…c19 span tens of units).
 * Log floors: where a mel band's power is below 1e-10 both sides clamp to ln(1e-10) before
 * the DCT (digital silence gives c0 = √40·ln(1e-10) = −145.6 and c1… = 0 exactly); the clamp
 * is continuous, so a band just around the floor can only differ by the rounding above —
 * `tiny_tone` (1e-4 amplitude) puts most bands at or near the floor to exercise that.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { computeMfcc, MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { melFilterbankDense } from '../../shared/dsp/mel_filterbank.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { fixturePath } from './helpers.js';

interface GoldenCase {
  name: string;
  input: string;
  samples: number;
  frames: number;
  mfcc: string;
  energyDb: string;
}

interface Manifest {
  config: Record<string, number>;
  cases: GoldenCase[];
  melFbanks: { file: string; shape: [number, number] };
}

const ABS_TOL = 1e-4;
const REL_TOL = 1e-5;
const ENERGY_TOL_DB = 1e-4;

function readF32(name: string): Float32Array {
  const bytes = readFileSync(fixturePath(`golden/${name}`));
  // Copy into an aligned buffer; the files are little-endian like every supported platform.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

const manifest = JSON.parse(readFileSync(fixturePath('golden/manifest.json'), 'utf8')) as Manifest;

test('golden fixtures were made with our MFCC_CONFIG', () => {
  for (const [key, value] of Object.entries(manifest.config)) {
    assert.equal(MFCC_CONFIG[key as keyof typeof MFCC_CONFIG], value, key);
  }
});

test('mel filterbank equals torchaudio melscale_fbanks(norm=None, mel_scale="htk")', () => {
  const [numFreqs, numMels] = manifest.melFbanks.shape;
  const reference = readF32(manifest.melFbanks.file);
  const ours = melFilterbankDense(MFCC_CONFIG);
  for (let m = 0; m < numMels; m++) {
    for (let k = 0; k < numFreqs; k++) {
      const want = reference[k * numMels + m] as number;
      const got = (ours[m] as Float64Array)[k] as number;
      // Built in float64 on both sides, stored as float32: agree to float32 rounding (≤ 6e-8).
      assert.ok(Math.abs(got - want) < 1e-7, `filter ${m}, bin ${k}: ${got} vs ${want}`);
    }
  }
});

for (const c of manifest.cases) {
  test(`MFCC matches torchaudio on ${c.name} (${c.frames} frames)`, (t) => {
    const samples = c.input.endsWith('.wav') ? decodeWavToMono(readFileSync(fixturePath(`golden/${c.input}`))).samples : readF32(c.input);
    assert.equal(samples.length, c.samples);
    const ours = computeMfcc(samples);
    assert.equal(ours.count, c.frames);
    const wantCoeffs = readF32(c.mfcc);
    const wantEnergy = readF32(c.energyDb);
    let worst = 0;
    for (let i = 0; i < wantCoeffs.length; i++) {
      const want = wantCoeffs[i] as number;
      const diff = Math.abs((ours.coeffs[i] as number) - want);
      worst = Math.max(worst, diff / (ABS_TOL + REL_TOL * Math.abs(want)));
      assert.ok(diff <= ABS_TOL + REL_TOL * Math.abs(want), `frame ${Math.floor(i / 20)}, c${i % 20}: ${ours.coeffs[i]} vs ${want}`);
    }
    for (let f = 0; f < c.frames; f++) {
      const diff = Math.abs((ours.energyDb[f] as number) - (wantEnergy[f] as number));
      assert.ok(diff <= ENERGY_TOL_DB, `frame ${f} energy: ${ours.energyDb[f]} vs ${wantEnergy[f]}`);
    }
    assert.ok(worst <= 1, `worst error / tolerance = ${worst}`);
    t.diagnostic(`worst |Δ| / tolerance = ${worst.toExponential(2)}`);
  });
}
