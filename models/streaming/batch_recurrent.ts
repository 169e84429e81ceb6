/**
 * The LSTM and attention scores for a batch of streams, in the plan's sigmoid-only form
 * (see plan.ts). Every stream runs maxSteps steps; callers keep only each stream's own first
 * n_b steps, so shorter streams are unaffected by the extra ones.
 */
import * as tf from '@tensorflow/tfjs';
import type { StreamingPlan } from './plan.js';

export interface RecurrentOutputs {
  /** [S, B, H] LSTM outputs and cell states (time-major), S = maxSteps. */
  hs: Float32Array;
  cs: Float32Array;
  /** [S, B] attention scores (same values as the offline attentionScores). */
  scores: Float32Array;
}

/** features: [S · B, C] last conv layer output, time-major; h0, c0: B × H host state. */
export function runRecurrent(
  plan: StreamingPlan,
  features: tf.Tensor2D,
  batch: number,
  steps: number,
  h0: Float32Array,
  c0: Float32Array,
): RecurrentOutputs {
  const units = plan.units;
  const { lstm, attention } = plan;
  return tf.tidy(() => {
    const xp = tf.fused.matMul({ a: features, b: lstm.wx, bias: lstm.b });
    const inputs = tf.unstack(tf.reshape(xp, [steps, batch, 4 * units]), 0) as tf.Tensor2D[];
    let h: tf.Tensor2D = tf.tensor2d(h0, [batch, units]);
    let c: tf.Tensor2D = tf.tensor2d(c0, [batch, units]);
    const hs: tf.Tensor2D[] = [];
    const cs: tf.Tensor2D[] = [];
    for (const x of inputs) {
      const gates = tf.add(tf.mul(tf.sigmoid(tf.add(x, tf.matMul(h, lstm.wh))), lstm.gateScale), lstm.gateShift);
      const [i, f, o, g] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(f, c), tf.mul(i, g));
      h = tf.mul(o, tf.tanh(c));
      hs.push(h);
      cs.push(c);
    }
    const hsAll = tf.stack(hs, 0);
    const keys = tf.fused.matMul({ a: tf.reshape(hsAll, [steps * batch, units]), b: attention.w, bias: attention.b, activation: 'sigmoid' });
    const scores = tf.matMul(keys, attention.v).dataSync() as Float32Array;
    for (let k = 0; k < scores.length; k++) scores[k]! += attention.scoreShift;
    return { hs: hsAll.dataSync() as Float32Array, cs: tf.stack(cs, 0).dataSync() as Float32Array, scores };
  });
}
