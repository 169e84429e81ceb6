/**
 * Additive (Bahdanau-style) attention pooling: score_t = v · tanh(W h_t + b), weights =
 * softmax over the pooled steps, context = Σ weight_t h_t. Each score depends on h_t alone,
 * so streaming computes it once per step and keeps (h_t, score_t) in a ring; the head is
 * then a softmax and a weighted sum over the ring.
 */
import * as tf from '@tensorflow/tfjs';

export interface AttentionWeights {
  /** [H, A]. */
  w: tf.Tensor2D;
  /** [A]. */
  b: tf.Tensor1D;
  /** [A, 1]. */
  v: tf.Tensor2D;
}

/** Large negative score for excluded steps; exp() of it underflows to exactly 0. */
export const MASKED_SCORE = -1e9;

/** hs: [N, H] → scores [N, 1]. */
export function attentionScores(hs: tf.Tensor2D, w: AttentionWeights): tf.Tensor2D {
  const keys = tf.tanh(tf.fused.matMul({ a: hs, b: w.w, bias: w.b }));
  return tf.matMul(keys, w.v);
}

/**
 * Pools the last `windowSteps` steps of hs [B, S, H] (restricted to steps where `stepMask`
 * [B, S, 1] is 1, when given) → context [B, H].
 */
export function attentionPool(
  hs: tf.Tensor3D,
  w: AttentionWeights,
  windowSteps: number,
  stepMask?: tf.Tensor3D,
): tf.Tensor2D {
  const [batch, steps, units] = hs.shape;
  const scores = tf.reshape(attentionScores(tf.reshape(hs, [batch * steps, units]), w), [batch, steps]);
  const inWindow = new Float32Array(steps);
  inWindow.fill(1, Math.max(0, steps - windowSteps));
  let keep: tf.Tensor = tf.broadcastTo(tf.tensor2d(inWindow, [1, steps]), [batch, steps]);
  if (stepMask !== undefined) keep = tf.mul(keep, tf.reshape(stepMask, [batch, steps]));
  // where() rather than adding MASKED_SCORE so kept scores are bit-identical to streaming's.
  const masked = tf.where(tf.greater(keep, 0), scores, tf.fill([batch, steps], MASKED_SCORE));
  const weights = tf.softmax(masked);
  return tf.reshape(tf.matMul(tf.reshape(weights, [batch, 1, steps]), hs), [batch, units]);
}

/**
 * What streaming reports at EVERY step: step t pools steps (t − windowSteps, t] of hs
 * [B, S, H], restricted to steps where `stepMask` [B, S, 1] is 1 → contexts [B, S, H].
 * Row t of a padded step is meaningless (callers mask it out of the loss). Costs S² scores
 * per clip, fine for training spans of ≤ 100 steps.
 */
export function attentionPoolEveryStep(
  hs: tf.Tensor3D,
  w: AttentionWeights,
  windowSteps: number,
  stepMask?: tf.Tensor3D,
): tf.Tensor3D {
  const [batch, steps, units] = hs.shape;
  const scores = tf.reshape(attentionScores(tf.reshape(hs, [batch * steps, units]), w), [batch, 1, steps]);
  const band = new Float32Array(steps * steps);
  for (let t = 0; t < steps; t += 1) band.fill(1, t * steps + Math.max(0, t - windowSteps + 1), t * steps + t + 1);
  let keep: tf.Tensor = tf.broadcastTo(tf.tensor3d(band, [1, steps, steps]), [batch, steps, steps]);
  if (stepMask !== undefined) keep = tf.mul(keep, tf.reshape(stepMask, [batch, 1, steps]));
  const all = tf.broadcastTo(scores, [batch, steps, steps]);
  const masked = tf.where(tf.greater(keep, 0), all, tf.fill([batch, steps, steps], MASKED_SCORE));
  return tf.matMul(tf.softmax(masked), hs);
}
