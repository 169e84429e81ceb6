/**
 * The stats head's fitter (models/train/stats_head_fit.ts) and the speaker-reference
 * examples built for it (models/train/speaker_norm_fit.ts), on small synthetic data.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { clipPrefixStats, clipUtteranceStats, fitStatsHead, moments, prefixStats } from '../../models/train/stats_head_fit.js';
import { toExample } from '../../models/train/examples.js';
import { channelStats, drawDistinct, speakerNormConfig, speakerNormExamples } from '../../models/train/speaker_norm_fit.js';
import { Prng } from '../../models/train/prng.js';
import { SpeakerReference } from '../../models/streaming/speaker_reference.js';
import { useWasm } from './model_fixtures.js';

/** Two classes far apart in dimension 0, on raw scales far from unit (1000 ± 1 and 0.001 ± …). */
function twoClasses(n: number, seed: number): { xs: Float64Array[]; ys: number[] } {
  const prng = new Prng(seed);
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    xs.push(Float64Array.of(1000 + (y === 1 ? 3 : -3) + prng.normal(), 0.001 * prng.normal(), 5 + prng.normal()));
    ys.push(y);
  }
  return { xs, ys };
}

describe('stats head fitting', () => {
  before(useWasm);

  it('moments gives the population mean and variance per column', () => {
    const m = moments([Float64Array.of(1, 10), Float64Array.of(3, 10)]);
    assert.deepEqual(Array.from(m.mean), [2, 10], 'means');
    assert.deepEqual(Array.from(m.variance), [1, 0], 'variances (divided by n)');
  });

  it('a linear head separates separable classes on raw statistics (standardisation folded into the weights)', () => {
    const { xs, ys } = twoClasses(200, 3);
    const w = fitStatsHead(xs, ys, 2, { hidden: 0, dropout: 0, seed: 1, l2: 1e-3, steps: 200, learningRate: 0.05 });
    assert.equal(w.w1, null, 'linear: no hidden layer');
    const right = xs.filter((x, i) => {
      const z = [0, 1].map((k) => w.b[k]! + x.reduce((s, v, j) => s + v * w.w[j * 2 + k]!, 0));
      return (z[1]! > z[0]! ? 1 : 0) === ys[i];
    }).length;
    assert.ok(right / xs.length > 0.95, `accuracy on raw inputs ${right}/${xs.length}`);
  });

  it('example weights: copies with flipped labels weighted 0 change nothing, and bad weights are refused', () => {
    const { xs, ys } = twoClasses(200, 4);
    const config = { hidden: 0, dropout: 0, seed: 1, l2: 1e-3, steps: 200, learningRate: 0.05 };
    const flipped = ys.map((y) => 1 - y);
    const accuracy = (w: ReturnType<typeof fitStatsHead>): number =>
      xs.filter((x, i) => {
        const z = [0, 1].map((k) => w.b[k]! + x.reduce((s, v, j) => s + v * w.w[j * 2 + k]!, 0));
        return (z[1]! > z[0]! ? 1 : 0) === ys[i];
      }).length / xs.length;
    const ignored = fitStatsHead([...xs, ...xs], [...ys, ...flipped], 2, config, [...ys.map(() => 1), ...ys.map(() => 0)]);
    assert.ok(accuracy(ignored) > 0.95, `flipped copies at weight 0: accuracy ${accuracy(ignored)}`);
    const outweighed = fitStatsHead([...xs, ...xs], [...ys, ...flipped], 2, config, [...ys.map(() => 0.2), ...ys.map(() => 1)]);
    assert.ok(accuracy(outweighed) < 0.05, `flipped copies at weight 1 against 0.2: accuracy ${accuracy(outweighed)}`);
    assert.throws(() => fitStatsHead(xs, ys, 2, config, [1]), /weights: expected 200 weights/);
  });

  it('speaker-reference examples: the plain ones first, then one per draw with a history', () => {
    const prng = new Prng(2);
    const rows = Array.from({ length: 12 }, (_, i) => ({ u: Float64Array.of(prng.normal(), prng.normal()), y: i % 3, speaker: i < 6 ? 'a' : 'b' }));
    const channels = [channelStats(rows)];
    assert.deepEqual([...channels[0]!.bySpeaker.entries()], [['a', [0, 1, 2, 3, 4, 5]], ['b', [6, 7, 8, 9, 10, 11]]], 'grouped by speaker in order');
    const config = speakerNormConfig(channels, 8, 50);
    const plain = [{ x: Float64Array.of(1, 2), y: 0 }];
    const ex = speakerNormExamples(plain, channels, config, 7);
    assert.equal(ex.xs.length, 1 + ex.withHistory, 'plain + the draws with a history');
    assert.equal(ex.ys.length, ex.xs.length, 'one label per example');
    assert.ok(ex.withHistory > 0 && ex.withHistory <= 12 * 4, `draws with a history: ${ex.withHistory}`);
    assert.deepEqual(Array.from(ex.xs[0]!), [1, 2], 'the plain example unchanged');
    assert.deepEqual(drawDistinct([1, 2, 3], 5, new Prng(1)).sort(), [1, 2, 3], 'asking for more than the pool gives the pool');
  });
  it('part-way cuts: whole model steps into the segment, each with a voiced frame, read as the runner reads them', () => {
    const prng = new Prng(5);
    const numCoeffs = 3;
    const count = 120;
    // Silence for 20 frames, speech for 90, silence for 10: one segment from frame 20.
    const voiced = Uint8Array.from({ length: count }, (_, t) => (t >= 20 && t < 110 ? 1 : 0));
    const coeffs = Float32Array.from({ length: count * numCoeffs }, () => prng.normal());
    const f = { count, numCoeffs, coeffs, voiced };
    const norm = { mean: [0, 0, 0], std: [1, 1, 1] };
    const span = { stepFrames: 8, resetAfterSilenceFrames: 50, maxFrames: 800 };
    const e = toExample(f, 0, norm, span);
    assert.deepEqual(Array.from(prefixStats(e.x, e.voiced, e.frames, numCoeffs)), Array.from(clipUtteranceStats(f, norm, span)), 'the whole span is the clip statistic');
    const cuts = clipPrefixStats(f, norm, span, 40, new Prng(9));
    // The span starts at the clip start (no pause of 50 frames before the speech), so cuts of
    // one or two steps (frames 0–15) hold no voiced frame and are dropped.
    assert.ok(cuts.length < 40 && cuts.length > 25, `cuts with a voiced frame: ${cuts.length} of 40`);
    assert.equal(e.frames, 120, 'the span runs to the clip end');
    const candidates = Array.from({ length: e.frames / 8 - 2 }, (_, k) => prefixStats(e.x, e.voiced, (k + 3) * 8, numCoeffs));
    for (const c of cuts) {
      assert.ok(candidates.some((d) => d.every((v, j) => v === c[j])), 'each cut equals the statistics after a whole number (≥ 3) of steps');
    }
    assert.ok(new Set(cuts.map((c) => c[0])).size > 3, 'cuts are spread over the segment');
    const withCount = prefixStats(e.x, e.voiced, 40, numCoeffs, true);
    assert.equal(withCount.length, 4 * numCoeffs + 1, 'the count feature after the statistics');
    assert.deepEqual(Array.from(withCount.subarray(0, 4 * numCoeffs)), Array.from(prefixStats(e.x, e.voiced, 40, numCoeffs)), 'the statistics unchanged');
    assert.equal(withCount[4 * numCoeffs], Math.log1p(20), 'log(1 + voiced frames): frames 20–39 of the first 40 are voiced');
    // The speaker reference re-reads the statistics only, and leaves the count as it is.
    const reference = new SpeakerReference({ priorUtterances: 1, mean: new Array(4 * numCoeffs).fill(0), variance: new Array(4 * numCoeffs).fill(1), minVoicedFrames: 0 });
    reference.addUtterance(Float64Array.from({ length: 4 * numCoeffs + 1 }, (_, j) => j + 5), 50);
    const referenced = reference.apply(Float64Array.from(withCount));
    assert.equal(referenced[4 * numCoeffs], withCount[4 * numCoeffs], 'the count is not re-referenced');
    assert.notEqual(referenced[0], withCount[0], 'the statistics are');
  });
});
