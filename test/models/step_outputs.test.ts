/**
 * forwardSteps (the per-step loss of training) computes, at every step, exactly what the
 * streaming runner reports there: the last step equals forward(), step t equals forward() on
 * the clip's first t + 1 steps (causal), and left padding changes nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel, forward, forwardSteps, hasStepOutputs } from '../../models/architectures/index.js';
import { selectEngine } from '../../models/engine.js';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i += 1) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('per-step outputs (cnn-attn-lstm)', () => {
  before(async () => {
    await selectEngine('wasm');
  });

  it('last step = forward(), step t = forward(first t+1 steps), padding is inert', () => {
    const model = createModel('cnn-attn-lstm', { windowSteps: 6 }, 5);
    const stepFrames = 8;
    const steps = 14;
    const padSteps = 4;
    const before0 = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, steps * stepFrames, 20], 0, 1, 'float32', 7) as tf.Tensor3D;
      const valid = [steps * stepFrames, (steps - padSteps) * stepFrames];
      const all = forwardSteps(model, x, { training: false, validFrames: valid }).arraySync();
      const last = forward(model, x, { training: false, validFrames: valid }).arraySync();
      assert.ok(maxDiff(all[0]![steps - 1]!, last[0]!) < 1e-5);
      assert.ok(maxDiff(all[1]![steps - 1]!, last[1]!) < 1e-5);
      for (const t of [0, 3, 9]) {
        const prefix = tf.slice(x, [0, 0, 0], [1, (t + 1) * stepFrames, 20]) as tf.Tensor3D;
        assert.ok(maxDiff(all[0]![t]!, forward(model, prefix).arraySync()[0]!) < 1e-5, `step ${t}`);
        // Clip 1 is left-padded by padSteps: its step t sits at row padSteps + t.
        const own = tf.slice(x, [1, padSteps * stepFrames, 0], [1, (t + 1) * stepFrames, 20]) as tf.Tensor3D;
        assert.ok(maxDiff(all[1]![padSteps + t]!, forward(model, own).arraySync()[0]!) < 1e-5, `padded step ${t}`);
      }
    });
    assert.equal(tf.memory().numTensors, before0);
    disposeModel(model);
  });

  it('is declared only where an architecture has it', () => {
    assert.equal(hasStepOutputs('cnn-attn-lstm'), true);
    assert.equal(hasStepOutputs('conv1d'), false);
  });
});
