/**
 * The pitch stage (shared/dsp/pitch.ts): golden against an independent reference (scipy's
 * FIR design + YIN in numpy, test/fixtures/golden/make_pitch_golden.py), known tones,
 * chunking invariance, reset, and frame counts equal to the MFCC stage's.
 *
 * Tolerances. Both sides compute in float64 from the same float32 samples; they differ by
 * the order of the sums (~1e-15 relative) and the float32 storage of our results (6e-8
 * relative). A frame whose d' sits within that rounding of the threshold could take the
 * other branch; none of the fixture frames does, so every frame must match: F0 to 1e-4
 * relative, d' to 1e-5.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MfccExtractor } from '../../shared/dsp/mfcc.js';
import { lowPassFir, PITCH_CONFIG, PITCH_FEATURES, PitchTracker } from '../../shared/dsp/pitch.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { fixturePath } from './helpers.js';

interface GoldenCase {
  name: string;
  frames: number;
  f0Hz: number[];
  aperiodicity: number[];
  input?: number[];
  wav?: string;
}

const golden = JSON.parse(readFileSync(fixturePath('golden/pitch_golden.json'), 'utf8')) as { firwin: number[]; cases: GoldenCase[] };

function inputOf(c: GoldenCase): Float32Array {
  if (c.input !== undefined) return Float32Array.from(c.input);
  return decodeWavToMono(new Uint8Array(readFileSync(fixturePath(`golden/${c.wav!}`)))).samples;
}

function harmonicTone(f0Hz: number, samples: number): Float32Array {
  const x = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    let s = 0;
    for (let h = 1; h * f0Hz < 7000; h++) s += Math.sin((2 * Math.PI * h * f0Hz * i) / 16000) / h;
    x[i] = 0.3 * s;
  }
  return x;
}

test('the decimation low-pass equals scipy.signal.firwin', () => {
  const h = lowPassFir(PITCH_CONFIG.firTaps, PITCH_CONFIG.cutoffHz, PITCH_CONFIG.inputRateHz);
  assert.equal(h.length, golden.firwin.length);
  h.forEach((v, k) => assert.ok(Math.abs(v - golden.firwin[k]!) < 1e-12, `tap ${k}: ${v} vs ${golden.firwin[k]}`));
});

for (const c of golden.cases) {
  test(`pitch matches the numpy YIN reference on ${c.name} (${c.frames} frames)`, () => {
    const out = new PitchTracker().push(inputOf(c));
    assert.equal(out.count, c.frames);
    for (let i = 0; i < c.frames; i++) {
      const f0 = out.f0Hz[i]!;
      assert.ok(Math.abs(f0 - c.f0Hz[i]!) <= 1e-4 * c.f0Hz[i]!, `frame ${i}: F0 ${f0} vs ${c.f0Hz[i]}`);
      assert.ok(Math.abs(out.aperiodicity[i]! - c.aperiodicity[i]!) <= 1e-5, `frame ${i}: d' ${out.aperiodicity[i]} vs ${c.aperiodicity[i]}`);
    }
  });
}

test('harmonic tones from 70 to 450 Hz are tracked within 1 % (17 cents; the lag grid is 0.25 ms)', () => {
  for (const f0Hz of [70, 100, 150, 220, 330, 450]) {
    const out = new PitchTracker().push(harmonicTone(f0Hz, 16000));
    for (let i = 10; i < out.count; i++) {
      assert.ok(Math.abs(out.f0Hz[i]! / f0Hz - 1) < 0.01, `${f0Hz} Hz, frame ${i}: ${out.f0Hz[i]}`);
      assert.ok(out.features[i * PITCH_FEATURES + 1]! > 0.95, `${f0Hz} Hz, frame ${i}: periodicity ${out.features[i * PITCH_FEATURES + 1]}`);
      assert.ok(Math.abs(out.features[i * PITCH_FEATURES]! - Math.log2(f0Hz / 100)) < 0.01);
    }
  }
});

test('the held log F0 keeps the last voiced value through noise and starts at 0', () => {
  const tone = harmonicTone(200, 8000);
  const noise = new Float32Array(8000).map((_, i) => 0.2 * Math.sin(i * i * 0.37) * Math.cos(i * 1.91));
  const x = new Float32Array(16000);
  x.set(tone, 0);
  x.set(noise, 8000);
  const out = new PitchTracker().push(x);
  assert.equal(new PitchTracker().push(new Float32Array(4000)).features[0], 0, 'silence: log F0 0');
  const last = out.count - 1;
  assert.ok(out.aperiodicity[last]! > PITCH_CONFIG.voicedMaxAperiodicity, `the last frame is aperiodic (d' ${out.aperiodicity[last]})`);
  assert.ok(Math.abs(out.features[last * PITCH_FEATURES]! - 1) < 0.01, 'held log2(200 / 100) = 1');
});

test('any chunking yields bit-identical frames, as many as the MFCC stage, and reset starts afresh', () => {
  const x = decodeWavToMono(new Uint8Array(readFileSync(fixturePath('speech/03-01-05-02-01-01-01.wav')))).samples;
  const whole = new PitchTracker().push(x);
  assert.equal(whole.count, new MfccExtractor().push(x).count);
  let seed = 1;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const tracker = new PitchTracker();
  for (let round = 0; round < 2; round++) {
    const features: number[] = [];
    for (let at = 0; at < x.length; ) {
      const length = Math.floor(rand() * (round === 0 ? 50 : 3000));
      features.push(...tracker.push(x.subarray(at, at + length)).features);
      at += length;
    }
    assert.deepEqual(Float32Array.from(features), whole.features, `round ${round}`);
    tracker.reset();
  }
});
