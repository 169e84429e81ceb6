/**
 * The stats head's fitter (models/train/stats_head_fit.ts) and the speaker-reference
 * examples built for it (models/train/speaker_norm_fit.ts), on small synthetic data.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fitStatsHead, moments } from '../../models/train/stats_head_fit.js';
import { channelStats, drawDistinct, speakerNormConfig, speakerNormExamples } from '../../models/train/speaker_norm_fit.js';
import { Prng } from '../../models/train/prng.js';
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
});
