import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activePower, addNoiseAtSnr, applyAugment, applyGainDb, babblePoolOf, changeSpeed, DEFAULT_AUGMENT, drawAugmentSpec, validateAugmentConfig } from '../../models/train/augment.js';
import { loadFeatures } from '../../models/train/load_features.js';
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

  it('babble off (absent, 0 or no pool) leaves every copy exactly as before; on, it only adds a last draw', () => {
    const pool = ['Actor_02/x.wav', 'Actor_03/y.wav'];
    for (let copy = 0; copy < 20; copy += 1) {
      const before = drawAugmentSpec(DEFAULT_AUGMENT, 7, 'Actor_01/a.wav', copy);
      assert.deepEqual(drawAugmentSpec(DEFAULT_AUGMENT, 7, 'Actor_01/a.wav', copy, pool), before, `copy ${copy}: no babbleProb`);
      assert.deepEqual(drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 0 }, 7, 'Actor_01/a.wav', copy, pool), before, `copy ${copy}: babbleProb 0`);
      assert.deepEqual(drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 1 }, 7, 'Actor_01/a.wav', copy, []), before, `copy ${copy}: empty pool`);
      const { babble, ...rest } = drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 1 }, 7, 'Actor_01/a.wav', copy, pool);
      assert.deepEqual(rest, before, `copy ${copy}: the other draws unchanged`);
      assert.ok(babble !== undefined, `copy ${copy}: babbleProb 1 always babbles`);
      assert.equal(babble.clips.length, 6);
      assert.ok(babble.clips.every((c) => pool.includes(c)), `copy ${copy}: talkers from the pool, got ${babble.clips.join()}`);
      assert.ok(babble.snrDb >= 0 && babble.snrDb <= 20, `copy ${copy}: SNR ${babble.snrDb} within the default 0–20 dB`);
    }
    let babbled = 0;
    for (let copy = 0; copy < 400; copy += 1) if (drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 0.3 }, 1, 'c.wav', copy, pool).babble) babbled += 1;
    assert.ok(babbled > 80 && babbled < 160, `expected ~30 % of 400 copies with babble, got ${babbled}`);
    assert.throws(() => validateAugmentConfig({ ...DEFAULT_AUGMENT, babbleProb: 1.5 }), /babbleProb/);
    assert.throws(() => validateAugmentConfig({ ...DEFAULT_AUGMENT, babbleProb: 0.3, babbleSnrDb: [20, 0] }), /babbleSnrDb/);
  });

  it('babble kept off telephone copies (babbleOnTelephone false): the same copies as r9 except that telephone ones lose their babble', () => {
    const pool = ['Actor_02/x.wav', 'Actor_03/y.wav'];
    let telephones = 0;
    for (let copy = 0; copy < 40; copy += 1) {
      const r9 = drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 1 }, 7, 'Actor_01/a.wav', copy, pool);
      const wide = drawAugmentSpec({ ...DEFAULT_AUGMENT, babbleProb: 1, babbleOnTelephone: false }, 7, 'Actor_01/a.wav', copy, pool);
      const { babble, ...rest } = r9;
      if (r9.telephone) {
        telephones += 1;
        assert.deepEqual(wide, rest, `copy ${copy}: a telephone copy without babble, otherwise r9's`);
      } else {
        assert.deepEqual(wide, r9, `copy ${copy}: a wideband copy exactly as r9 draws it`);
        assert.ok(babble !== undefined, `copy ${copy}: babbleProb 1 babbles the wideband copy`);
      }
    }
    assert.ok(telephones > 5 && telephones < 35, `about half of 40 copies are telephone, got ${telephones}`);
  });

  it('the babble pool is the split\'s other speakers, never the clip\'s own', () => {
    const clips = [
      { relPath: 'Actor_01/a.wav', speaker: '01' },
      { relPath: 'Actor_01/b.wav', speaker: '01' },
      { relPath: 'Actor_02/c.wav', speaker: '02' },
      { relPath: 'x.wav', speaker: null },
    ];
    assert.deepEqual(babblePoolOf(clips, '01'), ['Actor_02/c.wav']);
    assert.deepEqual(babblePoolOf(clips, '02'), ['Actor_01/a.wav', 'Actor_01/b.wav']);
    assert.deepEqual(babblePoolOf(clips, null), []);
  });

  it('babble is mixed at the drawn SNR against the speech level, reproducibly, from the loaded talkers', () => {
    const x = new Float32Array(32_000);
    x.set(tone(300, 1, 0.1), 8000);
    const talkers: Record<string, Float32Array> = { 'A/1.wav': tone(440, 0.7, 0.2), 'B/2.wav': tone(660, 1.3, 0.05) };
    const loaded: string[] = [];
    const load = (relPath: string): Float32Array => {
      loaded.push(relPath);
      return talkers[relPath] as Float32Array;
    };
    const spec = { gainDb: 0, speed: 1, snrDb: null, noiseColor: 'white' as const, telephone: false, noiseSeed: 1, babble: { clips: ['A/1.wav', 'B/2.wav', 'A/1.wav'], snrDb: 10, seed: 4 } };
    const y = applyAugment(x, spec, load);
    assert.deepEqual(applyAugment(x, spec, load), y, 'the same spec gives the same samples');
    assert.deepEqual([...new Set(loaded)].sort(), ['A/1.wav', 'B/2.wav']);
    const babble = y.map((v, i) => v - (x[i] as number));
    const snr = 10 * Math.log10(activePower(x) / activePower(babble));
    assert.ok(Math.abs(snr - 10) < 0.5, `expected 10 dB, got ${snr.toFixed(2)}`);
    assert.throws(() => applyAugment(x, spec), /expected a clip loader/);
  });

  it('loadFeatures gives babble copies from the split\'s other speakers (fixture clips of actors 01 and 02)', () => {
    const dir = new URL('../fixtures/speech/', import.meta.url).pathname;
    const clip = (name: string, label: string) => ({ path: `${dir}${name}`, relPath: name, label, speaker: name.slice(-6, -4) });
    const clips = [clip('03-01-01-01-01-01-01.wav', 'neutral'), clip('03-01-03-01-01-01-02.wav', 'happy'), clip('03-01-05-02-01-01-01.wav', 'angry')];
    const options = { labels: ['neutral', 'happy', 'angry'], seed: 1, cacheDir: null };
    const plain = loadFeatures(clips, { ...options, augment: { ...DEFAULT_AUGMENT, copies: 2 } });
    const babbled = loadFeatures(clips, { ...options, augment: { ...DEFAULT_AUGMENT, copies: 2, babbleProb: 1 } });
    assert.deepEqual(babbled.skipped, []);
    for (const [i, item] of babbled.items.entries()) {
      const before = plain.items[i];
      assert.ok(before !== undefined, `item ${i}`);
      assert.deepEqual(item.versions[0], before.versions[0], `item ${i}: the original is untouched`);
      for (const v of [1, 2]) assert.notDeepEqual(item.versions[v]?.coeffs, before.versions[v]?.coeffs, `item ${i} copy ${v}: babble changed it`);
    }
  });

  it('narrowband: the original is the telephone original evaluation sees, every copy a call built from the clip as recorded', () => {
    const dir = new URL('../fixtures/speech/', import.meta.url).pathname;
    const clips = [{ path: `${dir}03-01-01-01-01-01-01.wav`, relPath: '03-01-01-01-01-01-01.wav', label: 'neutral', speaker: '01' }];
    const options = { labels: ['neutral'], seed: 1, cacheDir: null };
    const narrow = { ...DEFAULT_AUGMENT, copies: 3, telephoneProb: 1, narrowband: true };
    const item = loadFeatures(clips, { ...options, augment: narrow }).items[0];
    const evalTelephone = loadFeatures(clips, { ...options, augment: null, telephone: true }).items[0];
    const wide = loadFeatures(clips, { ...options, augment: { ...narrow, narrowband: false } }).items[0];
    assert.ok(item !== undefined && evalTelephone !== undefined && wide !== undefined);
    assert.deepEqual(item.versions[0], evalTelephone.versions[0], 'original = evaluate --telephone original');
    assert.notDeepEqual(item.versions[0]?.coeffs, wide.versions[0]?.coeffs, 'the wideband recipe keeps its wideband original');
    // Copies are the same draws with or without the flag: degraded once, never twice.
    for (const v of [1, 2, 3]) assert.deepEqual(item.versions[v], wide.versions[v], `copy ${v}`);
    for (let c = 0; c < 3; c += 1) assert.equal(drawAugmentSpec(narrow, 1, clips[0]!.relPath, c).telephone, true, `copy ${c} is a call`);
    assert.throws(() => validateAugmentConfig({ ...narrow, telephoneProb: 0.5 }), /telephoneProb 1 for a narrowband/);
  });
});
