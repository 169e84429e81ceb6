import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveTempered } from '../../models/eval/calibrate.js';
import { fitTemperature, meanNll, tempered } from '../../models/eval/temperature.js';
import { loadModel } from '../../models/io.js';
import { createRandomModel } from '../../models/random_model.js';
import { predictOffline } from '../../models/streaming/offline.js';
import { Prng } from '../../models/train/prng.js';

function softmax(z: readonly number[], t = 1): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp((v - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('tempered keeps the ranking, is the identity at T = 1 and flattens for T > 1', () => {
  const p = [0.7, 0.2, 0.1];
  assert.deepEqual(Array.from(tempered(p, 1)).map((v) => v.toFixed(12)), p.map((v) => v.toFixed(12)));
  const flat = tempered(p, 2);
  assert.ok((flat[0] as number) > (flat[1] as number) && (flat[1] as number) > (flat[2] as number));
  assert.ok((flat[0] as number) < 0.7);
  // softmax(log p / T) by hand.
  const expected = softmax(p.map(Math.log), 2);
  flat.forEach((v, k) => assert.ok(Math.abs(v - (expected[k] as number)) < 1e-12));
});

test('fitTemperature recovers the temperature of an over-confident model', () => {
  // Answers drawn from softmax(z / 2.5) while the model reports softmax(z): T ≈ 2.5 fixes it.
  const prng = new Prng(9);
  const probs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 6000; i += 1) {
    const z = Array.from({ length: 8 }, () => 4 * prng.normal());
    const truth = softmax(z, 2.5);
    let u = prng.next();
    let label = 0;
    while (label < 7 && u > (truth[label] as number)) u -= truth[label++] as number;
    probs.push(softmax(z));
    labels.push(label);
  }
  const t = fitTemperature(probs, labels);
  assert.ok(Math.abs(t - 2.5) < 0.2, `fitted ${t}`);
  assert.ok(meanNll(probs, labels, t) < meanNll(probs, labels, 1));
});

test('saveTempered divides the served logits by T: offline probabilities equal tempered ones', async () => {
  const { dir } = await createRandomModel('cnn-attn-lstm', 3);
  const out = await mkdtemp(join(tmpdir(), 'ser-tempered-'));
  try {
    const model = await loadModel(dir);
    const frames = 160;
    const prng = new Prng(4);
    const x = Float32Array.from({ length: frames * 20 }, () => 10 * prng.normal());
    const voiced = new Uint8Array(frames).fill(1);
    const before = predictOffline(model, x, voiced);
    await saveTempered(model, out, 0.5, 'test');
    model.dispose();
    const calibrated = await loadModel(out);
    try {
      assert.equal(calibrated.meta.calibration?.temperature, 0.5);
      const after = predictOffline(calibrated, x, voiced);
      const expected = tempered(before, 0.5);
      after.forEach((v, k) => assert.ok(Math.abs(v - (expected[k] as number)) < 1e-4, `class ${k}: ${v} vs ${expected[k]}`));
    } finally {
      calibrated.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
});
