import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpeakerReference, validateSpeakerNorm, type SpeakerNormConfig } from '../../models/streaming/speaker_reference.js';

const config = (over: Partial<SpeakerNormConfig> = {}): SpeakerNormConfig => ({ priorUtterances: 2, mean: [0, 10], variance: [1, 4], minVoicedFrames: 5, ...over });

describe('SpeakerReference', () => {
  it('is the identity before the first utterance', () => {
    const r = new SpeakerReference(config());
    const u = Float64Array.of(3, -7);
    assert.deepEqual(Array.from(r.apply(u)), [3, -7], 'no history: the statistics as they are');
    assert.equal(r.utterances, 0, 'nothing added');
  });

  it('ignores segments with too few voiced frames', () => {
    const r = new SpeakerReference(config());
    r.addUtterance(Float64Array.of(5, 5), 4);
    assert.equal(r.utterances, 0, '4 voiced frames < minVoicedFrames 5');
    assert.deepEqual(Array.from(r.apply(Float64Array.of(1, 2))), [1, 2], 'still the identity');
  });

  it('shrinks the speaker toward the global reference by n / (n + n0)', () => {
    const r = new SpeakerReference(config());
    r.addUtterance(Float64Array.of(2, 10), 50);
    r.addUtterance(Float64Array.of(4, 10), 50);
    // Speaker: mean (3, 10), variance (1, 0). n = 2, n0 = 2:
    // ref mean (1.5, 10), ref variance (1, 2); u' = mean_G + sd_G (u − ref mean) / ref sd.
    const out = r.apply(Float64Array.of(3, 12));
    assert.ok(Math.abs(out[0]! - 1.5) < 1e-6, `coefficient 0: 0 + 1 · (3 − 1.5) / 1 = 1.5, got ${out[0]}`);
    assert.ok(Math.abs(out[1]! - (10 + (2 * 2) / Math.sqrt(2))) < 1e-6, `coefficient 1: 10 + 2 · 2 / √2, got ${out[1]}`);
  });

  it('tends to the speaker z-score in the global frame as utterances accumulate', () => {
    const r = new SpeakerReference(config({ priorUtterances: 1e-6 }));
    for (const v of [1, 3, 1, 3]) r.addUtterance(Float64Array.of(v, v), 10);
    const out = r.apply(Float64Array.of(3, 3));
    // Speaker mean 2, sd 1: z = 1 → mean_G + sd_G · 1 = (1, 12).
    assert.ok(Math.abs(out[0]! - 1) < 1e-4 && Math.abs(out[1]! - 12) < 1e-4, `got ${Array.from(out)}`);
  });

  it('follows every utterance added and forgets them on clear() (the map is cached between them)', () => {
    const r = new SpeakerReference(config());
    r.addUtterance(Float64Array.of(2, 10), 50);
    const once = Array.from(r.apply(Float64Array.of(3, 12)));
    assert.deepEqual(Array.from(r.apply(Float64Array.of(3, 12))), once, 'same history, same answer');
    r.addUtterance(Float64Array.of(8, 20), 50);
    assert.notDeepEqual(Array.from(r.apply(Float64Array.of(3, 12))), once, 'a new utterance moves the reference');
    r.clear();
    assert.deepEqual(Array.from(r.apply(Float64Array.of(3, 12))), [3, 12], 'cleared: the identity again');
  });

  it('rejects a malformed configuration', () => {
    assert.throws(() => validateSpeakerNorm(config({ priorUtterances: 0 }), 2), /priorUtterances: expected > 0/);
    assert.throws(() => validateSpeakerNorm(config(), 3), /expected 3 means and variances, got 2 and 2/);
    assert.throws(() => validateSpeakerNorm(config({ variance: [1, -1] }), 2), /variances ≥ 0/);
    assert.throws(() => validateSpeakerNorm(config({ minVoicedFrames: 1.5 }), 2), /minVoicedFrames/);
  });
});
