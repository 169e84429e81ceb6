import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { causalConv1d } from '../../models/ops/conv1d.js';
import { seededRandom } from '../../models/ops/init.js';
import { maxAbsDiff, useWasm } from './model_fixtures.js';

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const random = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => random() * 2 - 1), shape);
}

describe('causal conv1d (im2col + matMul)', () => {
  before(useWasm);

  for (const [kernel, stride] of [[4, 2], [2, 2], [3, 1], [6, 3], [1, 1]] as const) {
    it(`matches tf.conv1d with explicit causal left padding, kernel ${kernel} stride ${stride}`, () => {
      tf.tidy(() => {
        const x = randomTensor([3, 12 * stride, 5], kernel * 10 + stride) as tf.Tensor3D;
        const filter = randomTensor([kernel, 5, 7], 99) as tf.Tensor3D;
        const bias = randomTensor([7], 7) as tf.Tensor1D;
        const ours = causalConv1d(x, filter, bias, { kernel, stride });
        const padded = tf.pad(x, [[0, 0], [kernel - stride, 0], [0, 0]]);
        const reference = tf.add(tf.conv1d(padded, filter, stride, 'valid'), bias);
        assert.deepEqual(ours.shape, reference.shape);
        const diff = maxAbsDiff(ours.dataSync(), reference.dataSync());
        assert.ok(diff < 1e-5, `max |diff| ${diff}`);
      });
    });
  }

  it('rejects a kernel that is not a multiple of the stride', () => {
    const x = tf.zeros([1, 8, 2]) as tf.Tensor3D;
    const w = tf.zeros([3, 2, 2]) as tf.Tensor3D;
    const b = tf.zeros([2]) as tf.Tensor1D;
    assert.throws(() => causalConv1d(x, w, b, { kernel: 3, stride: 2 }), /expected a positive multiple of stride 2, got 3/);
    tf.dispose([x, w, b]);
  });

  it('trains on wasm: gradients reach the conv weights and the loss decreases', () => {
    assert.equal(tf.getBackend(), 'wasm');
    const x = randomTensor([4, 16, 3], 5) as tf.Tensor3D;
    const target = randomTensor([4, 8, 2], 6) as tf.Tensor3D;
    const filter = tf.variable(randomTensor([4, 3, 2], 8));
    const bias = tf.variable(tf.zeros([2]));
    const before = filter.dataSync().slice();
    const optimizer = tf.train.adam(0.05);
    const loss = (): tf.Scalar =>
      tf.losses.meanSquaredError(target, causalConv1d(x, filter as tf.Variable<tf.Rank.R3>, bias as tf.Variable<tf.Rank.R1>, { kernel: 4, stride: 2 }, 'relu'));
    const first = tf.tidy(() => loss().dataSync()[0]!);
    for (let i = 0; i < 20; i++) tf.tidy(() => { optimizer.minimize(loss, false, [filter, bias]); });
    const last = tf.tidy(() => loss().dataSync()[0]!);
    assert.ok(maxAbsDiff(before, filter.dataSync()) > 1e-3, 'conv weights changed');
    assert.ok(last < first, `loss ${first} → ${last}`);
    tf.dispose([x, target, filter, bias]);
    optimizer.dispose();
  });
});
