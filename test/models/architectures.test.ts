import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { flopsPerAudioSecond } from '../../models/architectures/cnn_attn_lstm.js';
import { NETWORK_ARCH_NAMES, createModel, disposeModel, forward, resolveHyper, stepFramesOf, trainableVariables } from '../../models/architectures/index.js';
import { maxAbsDiff, randomFrames, useWasm } from './model_fixtures.js';

const F = 20;

describe('architectures', () => {
  before(useWasm);

  it('the default architecture stays within 1.5 MFLOP per second of audio', () => {
    const flops = flopsPerAudioSecond(resolveHyper('cnn-attn-lstm'));
    assert.ok(flops <= 1.5e6, `${flops} FLOP/s`);
  });

  for (const arch of NETWORK_ARCH_NAMES) {
    it(`${arch}: logits [B, 8]; a left-padded clip equals the clip alone`, () => {
      const model = createModel(arch, {}, 5);
      const step = stepFramesOf(model);
      const shortFrames = 10 * step;
      const longFrames = 24 * step;
      tf.tidy(() => {
        const clip = randomFrames(shortFrames, 1, F, 1.5);
        const other = randomFrames(longFrames, 2, F, 1.5);
        const padded = new Float32Array(longFrames * F);
        padded.set(clip, (longFrames - shortFrames) * F);
        padded.fill(3, 0, F); // garbage in the padding must not matter
        const alone = forward(model, tf.tensor3d(clip, [1, shortFrames, F]), { training: false });
        const batch = tf.tensor3d(Float32Array.of(...padded, ...other), [2, longFrames, F]);
        const both = forward(model, batch, { training: false, validFrames: [shortFrames, longFrames] });
        assert.deepEqual(both.shape, [2, 8]);
        const diff = maxAbsDiff(alone.dataSync(), both.slice([0, 0], [1, 8]).dataSync());
        assert.ok(diff < 1e-5, `max |diff| ${diff}`);
        const full = forward(model, tf.tensor3d(other, [1, longFrames, F]), { training: false });
        assert.ok(maxAbsDiff(full.dataSync(), both.slice([1, 0], [1, 8]).dataSync()) < 1e-5);
      });
      disposeModel(model);
    });
  }

  it('cnn-attn-lstm trains on wasm: every parameter gets a gradient and the loss falls', () => {
    const model = createModel('cnn-attn-lstm', { dropout: 0.1 }, 3);
    const frames = 12 * stepFramesOf(model);
    const x = tf.tensor3d(randomFrames(4 * frames, 9, F, 1.5), [4, frames, F]);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 5, 7], 'int32'), 8);
    const varList = trainableVariables(model);
    const loss = (training: boolean): tf.Scalar =>
      tf.losses.softmaxCrossEntropy(labels, forward(model, x, { training, seed: 4, validFrames: [frames, frames, frames / 2, frames] }));
    const { grads, value } = tf.variableGrads(() => loss(true), varList);
    for (const [name, g] of Object.entries(grads)) {
      assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0, `gradient of ${name}`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    const first = tf.tidy(() => loss(false).dataSync()[0]!);
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 15; i++) tf.tidy(() => { optimizer.minimize(() => loss(true), false, varList); });
    const last = tf.tidy(() => loss(false).dataSync()[0]!);
    assert.ok(last < first, `loss ${first} → ${last}`);
    optimizer.dispose();
    tf.dispose([x, labels]);
    disposeModel(model);
  });

  it('conv1d-lstm updates batch-norm moving statistics only when asked', () => {
    const model = createModel('conv1d-lstm', {}, 2);
    const frames = 8 * stepFramesOf(model);
    const x = tf.tensor3d(randomFrames(2 * frames, 3, F, 2), [2, frames, F]);
    const mean = model.params['bn0.movingMean']!;
    assert.equal(mean.trainable, false);
    tf.tidy(() => forward(model, x, { training: true }));
    assert.ok(mean.dataSync().every((v) => v === 0));
    tf.tidy(() => forward(model, x, { training: true, batchNormMomentum: 0.9 }));
    assert.ok(mean.dataSync().some((v) => v !== 0));
    assert.ok(!trainableVariables(model).includes(mean));
    tf.dispose(x);
    disposeModel(model);
  });

  it('dropout is active only in training and is reproducible with a seed', () => {
    const model = createModel('cnn-attn-lstm', { dropout: 0.5 }, 1);
    const frames = 8 * stepFramesOf(model);
    tf.tidy(() => {
      const x = tf.tensor3d(randomFrames(frames, 4, F, 1.5), [1, frames, F]);
      const a = forward(model, x, { training: true, seed: 7 }).dataSync();
      const b = forward(model, x, { training: true, seed: 7 }).dataSync();
      const c = forward(model, x, { training: false }).dataSync();
      assert.equal(maxAbsDiff(a, b), 0);
      assert.ok(maxAbsDiff(a, c) > 0);
    });
    disposeModel(model);
  });

  it('rejects bad hyper-parameters with "expected X, got Y"', () => {
    assert.throws(() => resolveHyper('cnn-attn-lstm', { convKernels: [3, 4, 4] }), /expected a positive multiple of stride 2, got 3/);
    assert.throws(() => resolveHyper('cnn-attn-lstm', { dropout: 1 }), /expected a rate in \[0, 1\), got 1/);
  });
});
