import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMulaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { computeMfcc } from '../../shared/dsp/mfcc.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { VoicedGate } from '../../shared/dsp/vad.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { SPEECH_FIXTURES, gaussian, readFixture, seededRandom } from './helpers.js';

/** The feature chain's voiced flags (default gate) of 16 kHz samples. */
function gate(samples: Float32Array): { voiced: boolean[]; energyDb: Float32Array } {
  const { energyDb, voiced } = extractFeatures(samples, { inputRateHz: 16000 });
  return { voiced: Array.from(voiced, (v) => v === 1), energyDb };
}

/** 16 kHz → 8 kHz → µ-law → 8 kHz → 16 kHz: a telephone line. */
function telephone(samples: Float32Array): Float32Array {
  const narrow = resampleWhole(samples, 16000, 8000);
  return resampleWhole(decodeMulaw(encodeMulaw(narrow)), 8000, 16000);
}

/** White noise at `snrDb` below the mean power of the clip's speech frames. */
function withNoise(samples: Float32Array, snrDb: number, seed: number): Float32Array {
  const { energyDb } = computeMfcc(samples);
  const speech = Array.from(energyDb).filter((e) => e > -50);
  const speechPower = speech.reduce((s, e) => s + 10 ** (e / 10), 0) / speech.length;
  const std = Math.sqrt(speechPower / 10 ** (snrDb / 10));
  const noise = gaussian(seededRandom(seed));
  return samples.map((x) => x + std * noise());
}

/**
 * The clips start with ≥ 0.6 s and end with ≥ 0.5 s of silence (the angry clip also has an
 * audible breath before the speech, which may be gated either way). We check: the first
 * 0.5 s and the last 0.4 s are unvoiced; every frame within 20 dB of the clip's loudest
 * frame is voiced; and voiced frames form few segments (no flicker).
 */
function assertSpeechGated(name: string, voiced: boolean[], reference: Float32Array): void {
  const frames = voiced.length;
  assert.ok(voiced.slice(0, 50).every((v) => !v), `${name}: leading silence unvoiced`);
  assert.ok(voiced.slice(frames - 40).every((v) => !v), `${name}: trailing silence unvoiced`);
  const peak = Math.max(...reference);
  reference.forEach((e, i) => {
    if (e > peak - 20) assert.ok(voiced[i], `${name}: loud frame ${i} (${e.toFixed(1)} dBFS) voiced`);
  });
  const segments = voiced.filter((v, i) => v && !voiced[i - 1]).length;
  assert.ok(segments >= 1 && segments <= 3, `${name}: ${segments} voiced segments`);
}

test('VoicedGate on real RAVDESS clips: silence unvoiced, speech voiced', () => {
  for (const name of SPEECH_FIXTURES) {
    const { samples } = decodeWavToMono(readFixture(`speech/${name}`));
    const { voiced, energyDb } = gate(samples);
    assertSpeechGated(name, voiced, energyDb);
  }
});

test('VoicedGate still works on 8 kHz µ-law telephone speech and at 20 dB SNR white noise', () => {
  SPEECH_FIXTURES.forEach((name, i) => {
    const { samples } = decodeWavToMono(readFixture(`speech/${name}`));
    const clean = computeMfcc(samples).energyDb;
    const tel = gate(telephone(samples));
    assertSpeechGated(`${name} telephone`, tel.voiced, clean.subarray(0, tel.voiced.length));
    const noisy = gate(withNoise(samples, 20, 100 + i));
    assertSpeechGated(`${name} SNR 20 dB`, noisy.voiced, clean);
  });
});

test('VoicedGate gates a talker 20 dB quieter the same way (the absolute floor sits below quiet speech)', () => {
  for (const name of SPEECH_FIXTURES) {
    const { samples } = decodeWavToMono(readFixture(`speech/${name}`));
    const quiet = gate(samples.map((x) => x * 0.1));
    assertSpeechGated(`${name} at −20 dB`, quiet.voiced, computeMfcc(samples).energyDb);
  }
});

test('hysteresis and hang-over: a dip shorter than the hang-over stays voiced', () => {
  const g = new VoicedGate({ hangoverFrames: 5 });
  const energies = [...Array(100).fill(-80), -30, -30, ...Array(5).fill(-80), -30, ...Array(7).fill(-80)];
  const out = energies.map((e) => g.push(e));
  // Each drop keeps exactly hangoverFrames (5) more frames voiced, then releases.
  const expected = [false, false, true, true, ...Array(5).fill(true), true, ...Array(5).fill(true), false, false];
  assert.deepEqual(out.slice(98), expected);
  // Within the hysteresis band (onset −70, release −76) the hang-over does not even start.
  const h = new VoicedGate({ hangoverFrames: 0 });
  const band = [-90, -40, -73, -73, -73, -77].map((e) => h.push(e));
  assert.deepEqual(band, [false, true, true, true, true, false]);
});

test('noise floor: falls at once, rises only as quiet frames leave the window', () => {
  const g = new VoicedGate({ noiseWindowFrames: 10 });
  for (let i = 0; i < 10; i++) g.push(-40);
  assert.equal(g.noiseFloorDb, -40);
  g.push(-70);
  assert.equal(g.noiseFloorDb, -70);
  for (let i = 0; i < 9; i++) g.push(-30);
  assert.equal(g.noiseFloorDb, -70);
  g.push(-30);
  assert.equal(g.noiseFloorDb, -30);
  g.reset();
  assert.ok(Number.isNaN(g.noiseFloorDb));
});

test('VoicedGate config is validated', () => {
  assert.throws(() => new VoicedGate({ hangoverFrames: 1.5 }), /expected integer hangoverFrames/);
  assert.throws(() => new VoicedGate({ absoluteFloorDb: 3 }), /expected absoluteFloorDb in −100…0, got 3/);
});
