import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activePower, addNoiseAtSnr, applyAugment, applyGainDb, changeSpeed, DEFAULT_AUGMENT, drawAugmentSpec } from '../../models/train/augment.js';
import { Prng } from '../../models/train/prng.js';
import { telephoneDegrade, telephoneMulaw8k } from '../../models/train/telephone.js';

function tone(freqHz: number, seconds: number, amplitude = 0.3, rateHz = 16000): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rateHz) }, (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz));
}

const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('augmentation', () => {
  it('draws the same spec for the same (seed, clip, copy) and different ones otherwise', () => {
    assert.deepEqual(drawAugmentSpec(DEFAULT_AUGMENT, 1, 'a.wav', 0), drawAugmentSpec(DEFAULT_AUGMENT, 1, 'a.wav', 0));
    assert.notDeepEqual(drawAugmentSpec(DEFAULT_AUGMENT, 1, 'a.wav', 0), drawAugmentSpec(DEFAULT_AUGMENT, 1, 'a.wav', 1));
    const spec = drawAugmentSpec(DEFAULT_AUGMENT, 3, 'b.wav', 2);
    assert.ok(spec.gainDb >= -20 && spec.gainDb <= 10);
    assert.ok(spec.speed === 1 || (spec.speed >= 0.9 && spec.speed <= 1.1));
  });

  it('speed 1.1 shortens by 1/1.1 and keeps the waveform shape', () => {
    const x = tone(200, 1);
    const y = changeSpeed(x, 1.1);
    assert.ok(Math.abs(y.length - x.length / 1.1) <= 1);
    assert.ok(Math.abs(rms(y) - rms(x)) < 0.01);
    assert.equal(changeSpeed(x, 0.9).length, Math.floor((x.length - 1) / 0.9) + 1);
  });

  it('gain scales by 10^(dB/20) and clips to [-1, 1]', () => {
    const x = tone(200, 0.1, 0.1);
    assert.ok(Math.abs(rms(applyGainDb(x, 6)) / rms(x) - 10 ** (6 / 20)) < 1e-3);
    assert.ok(applyGainDb(tone(200, 0.1, 0.9), 12).every((v) => Math.abs(v) <= 1));
  });

  it('adds noise at the requested SNR relative to the active (speech) level', () => {
    const x = new Float32Array(32000);
    x.set(tone(300, 1), 8000); // speech in the middle, silence around it
    const y = addNoiseAtSnr(x, 20, 'white', new Prng(5));
    const noise = y.map((v, i) => v - (x[i] as number));
    const snr = 10 * Math.log10(activePower(x) / (rms(noise) ** 2));
    assert.ok(Math.abs(snr - 20) < 0.5, `expected 20 dB, got ${snr}`);
  });

  it('telephone: 8 kHz mu-law bytes, band-limited to 300-3400 Hz, back at 16 kHz', () => {
    const bytes = telephoneMulaw8k(tone(1000, 1));
    assert.ok(Math.abs(bytes.length - 8000) <= 64);
    const inBand = rms(telephoneDegrade(tone(1000, 1)).subarray(2000, 14000));
    const low = rms(telephoneDegrade(tone(80, 1)).subarray(2000, 14000));
    const high = rms(telephoneDegrade(tone(6000, 1)).subarray(2000, 14000));
    assert.ok(inBand > 0.15, `1 kHz should pass, got rms ${inBand}`);
    assert.ok(low < 0.03, `80 Hz should be cut, got rms ${low}`);
    assert.ok(high < 0.01, `6 kHz should be cut, got rms ${high}`);
  });

  it('applyAugment is deterministic for a spec', () => {
    const x = tone(250, 0.5);
    const spec = { gainDb: -3, speed: 1.05, snrDb: 15, noiseColor: 'pink' as const, telephone: true, noiseSeed: 9 };
    assert.deepEqual(applyAugment(x, spec), applyAugment(x, spec));
  });
});
