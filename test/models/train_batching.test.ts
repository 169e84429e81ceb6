import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classWeights, padBatch, planBatches } from '../../models/train/batching.js';
import { learningRateAt } from '../../models/train/train_config.js';
import { toExample, utteranceSpan } from '../../models/train/examples.js';
import { Prng } from '../../models/train/prng.js';

describe('batching', () => {
  it('left-pads every clip to the longest so all end at the last step', () => {
    const a = { x: Float32Array.from([1, 1, 2, 2]), frames: 2, minFrames: 2, labelIdx: 0, voiced: Uint8Array.from([1, 0]) };
    const b = { x: Float32Array.from([3, 3, 4, 4, 5, 5, 6, 6]), frames: 4, minFrames: 4, labelIdx: 1, voiced: Uint8Array.from([1, 1, 0, 1]) };
    const batch = padBatch([a, b], 2);
    assert.equal(batch.maxFrames, 4);
    assert.deepEqual(Array.from(batch.x), [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    assert.deepEqual(Array.from(batch.voiced), [0, 0, 1, 0, 1, 1, 0, 1]);
    assert.deepEqual(Array.from(batch.validFrames), [2, 4]);
    assert.deepEqual(Array.from(batch.labels), [0, 1]);
  });

  it('buckets by length: every index once, batches of similar lengths', () => {
    const lengths = Array.from({ length: 50 }, (_, i) => (i * 37) % 400);
    const batches = planBatches(lengths, 8, new Prng(3));
    assert.deepEqual(batches.flat().sort((x, y) => x - y), lengths.map((_, i) => i));
    for (const b of batches) {
      const ls = b.map((i) => lengths[i] as number);
      assert.ok(Math.max(...ls) - Math.min(...ls) < 120, `bucket spread ${ls.join(',')}`);
    }
    assert.deepEqual(planBatches(lengths, 8), planBatches(lengths, 8), 'deterministic without a PRNG');
  });

  it('inverse-frequency class weights: neutral with half the clips weighs double', () => {
    const labels = [0, 1, 1, 2, 2];
    const w = classWeights(labels, 3);
    assert.ok(Math.abs((w[0] as number) / (w[1] as number) - 2) < 1e-6);
    const mean = labels.reduce((s, y) => s + (w[y] as number), 0) / labels.length;
    assert.ok(Math.abs(mean - 1) < 1e-6, 'the weighted loss keeps the scale of the plain one');
  });

  it('cosine learning rate runs from lr to minLr', () => {
    const c = { learningRate: 0.003, minLearningRate: 0.0002, epochs: 11 };
    assert.equal(learningRateAt(c, 1), 0.003);
    assert.ok(Math.abs(learningRateAt(c, 11) - 0.0002) < 1e-12);
    assert.ok(Math.abs(learningRateAt(c, 6) - 0.0016) < 1e-12);
  });
});

describe('utterance spans (the runner\'s segment rule)', () => {
  const features = (pattern: string) => {
    const voiced = Uint8Array.from(pattern, (ch) => (ch === '#' ? 1 : 0));
    const coeffs = Float32Array.from({ length: voiced.length * 2 }, (_, i) => Math.floor(i / 2));
    return { count: voiced.length, numCoeffs: 2, coeffs, voiced };
  };
  const cfg = { stepFrames: 4, resetAfterSilenceFrames: 5, maxFrames: 800 };

  it('starts at the first voiced frame after a long pause and ends R frames after the last', () => {
    const f = features(`${'.'.repeat(10)}${'#'.repeat(9)}${'.'.repeat(12)}`);
    assert.deepEqual(utteranceSpan(f, cfg), { start: 10, voicedEnd: 19, end: 24 });
    const e = toExample(f, 1, { mean: [0, 0], std: [1, 1] }, cfg);
    assert.equal(e.frames, 12, 'whole steps from the segment start');
    assert.equal(e.minFrames, 12);
    assert.equal(e.x[0], 10, 'first row is frame 10');
  });

  it('keeps the utterance when a click after it is too short for a step', () => {
    const f = features(`${'#'.repeat(8)}${'.'.repeat(10)}##`);
    assert.deepEqual(utteranceSpan(f, cfg), { start: 0, voicedEnd: 8, end: 13 });
  });
});
