/**
 * Golden test: the telephone band limit (shared/dsp/band_pass.ts) against sox's
 * `sinc 300-3400` (test/fixtures/golden/make_band_pass.py, sox 14.4).
 * Tolerance: where sox passes more than −40 dB, within 3 dB (the two designs differ in
 * window and length; edges at −6 dB agree to 0.1 dB); where sox is below −40 dB, ours is too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bandPassFilter, bandPassResponseDb, bandPassTaps } from '../../shared/dsp/band_pass.js';
import { fixturePath, tone } from './helpers.js';

const golden = JSON.parse(readFileSync(fixturePath('golden/band_pass_sox.json'), 'utf8')) as { sampleRateHz: number; responseDb: Record<string, number> };
const design = { lowHz: 300, highHz: 3400, sampleRateHz: golden.sampleRateHz };
const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('telephone band-pass (steep FIR)', () => {
  it('matches sox sinc 300-3400 within 3 dB where it passes, and stops where it stops', () => {
    for (const [hz, soxDb] of Object.entries(golden.responseDb)) {
      const ours = bandPassResponseDb(design, Number(hz));
      if (soxDb > -40) assert.ok(Math.abs(ours - soxDb) <= 3, `${hz} Hz: expected ${soxDb} dB ± 3, got ${ours.toFixed(2)}`);
      else assert.ok(ours < -40, `${hz} Hz: expected below −40 dB like sox (${soxDb}), got ${ours.toFixed(2)}`);
    }
  });

  it('is linear-phase (symmetric taps) and delay-compensated: a passband tone comes out aligned', () => {
    const taps = bandPassTaps(design);
    assert.equal(taps.length % 2, 1);
    for (let i = 0; i < taps.length; i += 1) assert.ok(Math.abs((taps[i] as number) - (taps[taps.length - 1 - i] as number)) < 1e-15);
    const x = tone(1000, 8000, 8000);
    const y = bandPassFilter(x, design);
    assert.equal(y.length, x.length);
    let maxErr = 0;
    for (let i = 1000; i < 7000; i += 1) maxErr = Math.max(maxErr, Math.abs((y[i] as number) - (x[i] as number)));
    assert.ok(maxErr < 1e-3, `expected the 1 kHz tone through unchanged, max error ${maxErr}`);
  });

  it('removes a 150 Hz hum and a 3.7 kHz whistle by more than 60 dB', () => {
    for (const hz of [150, 3700]) {
      const y = bandPassFilter(tone(hz, 8000, 8000), design);
      const db = 20 * Math.log10(rms(y.subarray(1000, 7000)) / rms(tone(hz, 8000, 6000)));
      assert.ok(db < -60, `${hz} Hz: expected < −60 dB, got ${db.toFixed(1)}`);
    }
  });

  it('rejects a band outside (0, Nyquist)', () => {
    assert.throws(() => bandPassTaps({ lowHz: 300, highHz: 4000, sampleRateHz: 8000 }), /expected 0 < lowHz < highHz < 4000/);
  });
});
