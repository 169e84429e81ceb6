import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskBatch, mixBatch, sampleBeta } from '../../models/train/batch_regularize.js';
import { padBatch, type Example } from '../../models/train/batching.js';
import { Prng } from '../../models/train/prng.js';

const COEFFS = 4;

function example(frames: number, value: number, labelIdx: number): Example {
  return { x: new Float32Array(frames * COEFFS).fill(value), frames, minFrames: frames, labelIdx, voiced: new Uint8Array(frames).fill(1) };
}

test('maskBatch zeroes spans inside the valid frames only, never the padding or beyond', () => {
  const batch = padBatch([example(100, 1, 0), example(60, 2, 1)], COEFFS);
  maskBatch(batch, { timeMasks: 2, maxTimeFrames: 10, featureMasks: 1, maxFeatures: 2 }, new Prng(3));
  const frame = (b: number, t: number): number[] => Array.from(batch.x.subarray((b * 100 + t) * COEFFS, (b * 100 + t + 1) * COEFFS));
  // Clip 1 is left-padded by 40 frames: the padding stays zero, the rest is 2 or masked.
  for (let t = 0; t < 40; t += 1) assert.deepEqual(frame(1, t), [0, 0, 0, 0]);
  let zeros = 0;
  for (let t = 40; t < 100; t += 1) for (const v of frame(1, t)) {
    assert.ok(v === 2 || v === 0);
    if (v === 0) zeros += 1;
  }
  // At most 2 × 10 frames × 4 + 60 frames × 2 coefficients.
  assert.ok(zeros <= 2 * 10 * COEFFS + 60 * 2, `masked ${zeros}`);
  const masked0 = Array.from(batch.x.subarray(0, 100 * COEFFS)).filter((v) => v === 0).length;
  assert.ok(masked0 > 0 && masked0 <= 2 * 10 * COEFFS + 100 * 2, `clip 0: masked ${masked0}`);
});

test('mixBatch blends aligned clip ends, keeps the own label above half, widens valid frames', () => {
  const batch = padBatch([example(100, 1, 0), example(60, 3, 1)], COEFFS);
  const { partner, lambda } = mixBatch(batch, 0.4, new Prng(5));
  assert.deepEqual(Array.from(partner), [1, 0]);
  for (const l of lambda) assert.ok(l >= 0.5 && l <= 1);
  const l0 = lambda[0] as number;
  // Clip 0, last frame: l0·1 + (1−l0)·3; first frame (clip 1 padded there): l0·1.
  assert.ok(Math.abs((batch.x[99 * COEFFS] as number) - (l0 + 3 * (1 - l0))) < 1e-6);
  assert.ok(Math.abs((batch.x[0] as number) - l0) < 1e-6);
  assert.deepEqual(Array.from(batch.validFrames), [100, 100]);
});

test('sampleBeta(α, α) has mean 1/2 and the Beta variance α²/((2α)²(2α+1))', () => {
  const prng = new Prng(11);
  for (const alpha of [0.2, 1, 4]) {
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i += 1) {
      const v = sampleBeta(alpha, prng);
      assert.ok(v >= 0 && v <= 1);
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `alpha ${alpha}: mean ${mean}`);
    const expected = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(variance - expected) < 0.1 * expected, `alpha ${alpha}: variance ${variance} vs ${expected}`);
  }
});
