import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamingResampler, resampleWhole as resampleWholeTo } from '../../shared/dsp/resample.js';
import { concat, db, fitTone, randomChunkSizes, resampleChunked, rms, seededRandom, tone } from './helpers.js';

/** The one whole-buffer resampler (shared/dsp/resample.ts), to 16 kHz unless told. */
function resampleWhole(input: Float32Array, inputRateHz: number, outputRateHz = 16000): Float32Array {
  return resampleWholeTo(input, inputRateHz, outputRateHz);
}

/** The steady-state middle of an output, away from the zero-padded edges. */
function middle(x: Float32Array, rateHz: number): Float32Array {
  return x.subarray(Math.round(0.1 * rateHz), x.length - Math.round(0.1 * rateHz));
}

test('identity at 16 kHz: the input itself (no copy), nothing held back', () => {
  const x = tone(440, 16000, 1000);
  const r = new StreamingResampler(16000);
  const y = r.process(x);
  assert.equal(y, x);
  assert.equal(r.flush().length, 0);
  assert.equal(r.delayOutputSamples, 0);
  assert.equal(r.latencyInputSamples, 0);
});

test('output length is ⌈inputSamples · out / in⌉ for common and odd rates', () => {
  for (const rate of [8000, 11025, 22050, 44100, 48000, 12345]) {
    for (const n of [0, 1, 2, 999, 4410]) {
      const y = resampleWhole(new Float32Array(n), rate);
      assert.equal(y.length, Math.ceil((n * 16000) / rate), `${rate} Hz × ${n}`);
    }
  }
});

test('passband tones keep their amplitude (±0.005 dB) and their timing (zero delay)', () => {
  for (const rate of [8000, 11025, 22050, 44100, 48000]) {
    const nyquistOut = Math.min(rate, 16000) / 2;
    for (const f of [100, 1000, 0.85 * nyquistOut]) {
      const x = tone(f, rate, rate, 0.5, 0.3);
      const y = middle(resampleWhole(x, rate), 16000);
      const fit = fitTone(y, f, 16000);
      assert.ok(Math.abs(db(fit.amplitude / 0.5)) < 0.005, `${rate} Hz, ${f} Hz tone: gain ${db(fit.amplitude / 0.5).toFixed(4)} dB`);
      // Zero group delay: output sample n is the input signal at time n / 16000 s.
      const offset = Math.round(0.1 * 16000);
      const expected = tone(f, 16000, y.length + offset, 0.5, 0.3).subarray(offset);
      let maxErr = 0;
      for (let i = 0; i < y.length; i++) maxErr = Math.max(maxErr, Math.abs((y[i] as number) - (expected[i] as number)));
      assert.ok(maxErr < 1e-3, `${rate} Hz, ${f} Hz tone: max error vs ideal ${maxErr}`);
    }
  }
});

test('48 kHz → 16 kHz: a 10 kHz tone (would alias to 6 kHz) is attenuated ≥ 75 dB (design: 80)', () => {
  for (const f of [8500, 10000, 15000, 23000]) {
    const y = middle(resampleWhole(tone(f, 48000, 48000, 0.5), 48000), 16000);
    const attenuationDb = db(rms(y) / (0.5 / Math.SQRT2));
    assert.ok(attenuationDb < -75, `${f} Hz: ${attenuationDb.toFixed(1)} dB`);
  }
});

test('44.1 kHz → 16 kHz: tones above 8 kHz are attenuated ≥ 75 dB (design: 80)', () => {
  for (const f of [8200, 12000, 20000]) {
    const y = middle(resampleWhole(tone(f, 44100, 44100, 0.5), 44100), 16000);
    assert.ok(db(rms(y) / (0.5 / Math.SQRT2)) < -75, `${f} Hz`);
  }
});

test('8 kHz → 16 kHz: images above 4 kHz are attenuated ≥ 75 dB (design: 80)', () => {
  for (const f of [300, 1000, 3000]) {
    const y = middle(resampleWhole(tone(f, 8000, 8000, 0.5), 8000), 16000);
    const fit = fitTone(y, f, 16000);
    // The image sits at 8000 − f; everything but the tone itself is image (or leakage).
    const imageDb = db(fit.residualRms / (0.5 / Math.SQRT2));
    assert.ok(imageDb < -75, `${f} Hz tone: image at ${8000 - f} Hz is ${imageDb.toFixed(1)} dB`);
  }
});

test('DC passes with unit gain on every phase (44.1 kHz: 160 phases)', () => {
  const y = middle(resampleWhole(new Float32Array(44100).fill(0.25), 44100), 16000);
  for (const v of y) assert.ok(Math.abs(v - 0.25) < 1e-6);
});

test('odd rates (interpolated phase table) behave like tabulated ones', () => {
  const rate = 44099; // gcd with 16000 is 1: 16000 phases, interpolated from 2048
  const x = tone(1000, rate, rate, 0.5);
  const y = middle(resampleWhole(x, rate), 16000);
  const fit = fitTone(y, 1000, 16000);
  assert.ok(Math.abs(db(fit.amplitude / 0.5)) < 0.02);
  assert.ok(db(fit.residualRms / (0.5 / Math.SQRT2)) < -70, `residual ${db(fit.residualRms / (0.5 / Math.SQRT2))} dB`);
});

test('chunking-invariant: any chunking gives bit-identical output, flush included', () => {
  const random = seededRandom(42);
  for (const rate of [8000, 22050, 44100, 48000, 12345]) {
    const x = new Float32Array(Math.round(rate * 0.7));
    for (let i = 0; i < x.length; i++) x[i] = random() * 2 - 1;
    const whole = resampleWhole(x, rate);
    for (const maxChunk of [1, 37, 5000]) {
      const chunked = resampleChunked(new StreamingResampler(rate), x, randomChunkSizes(x.length, maxChunk, random));
      assert.deepEqual(chunked, whole, `${rate} Hz, chunks ≤ ${maxChunk}`);
    }
  }
});

test('flush resets: the next stream gives the same output as a fresh resampler', () => {
  const x = tone(700, 22050, 3000);
  const r = new StreamingResampler(22050);
  const first = concat([r.process(x), r.flush()]);
  const second = concat([r.process(x), r.flush()]);
  assert.deepEqual(second, first);
});

test('rejects rates that are not integers in range', () => {
  assert.throws(() => new StreamingResampler(44100.5), /expected inputRateHz an integer/);
  assert.throws(() => new StreamingResampler(16000, 0), /expected outputRateHz an integer/);
});
