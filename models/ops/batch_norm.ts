/**
 * Batch normalisation over [B, T, C] (statistics per channel over batch and time, padded
 * positions excluded). Training uses batch statistics and may update the moving averages;
 * inference uses the moving averages, so a clip's output does not depend on its batch.
 */
import * as tf from '@tensorflow/tfjs';

/** Variance floor added before the square root. */
export const BATCH_NORM_EPSILON = 1e-3;

export interface BatchNormParams {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** Moving statistics; Variables when they are to be updated during training. */
  movingMean: tf.Tensor1D;
  movingVariance: tf.Tensor1D;
}

export interface BatchNormOptions {
  training: boolean;
  /** [B, T, 1] 0/1 mask of real positions, or null for all. */
  mask: tf.Tensor3D | null;
  /** When set (training only), movingX ← m·movingX + (1 − m)·batchX, in [0, 1). */
  momentum?: number;
}

function assignMoving(target: tf.Tensor1D, batchValue: tf.Tensor1D, momentum: number): void {
  if (!(target instanceof tf.Variable)) {
    throw new Error('batch norm: expected moving statistics as tf.Variable to update them, got a constant tensor');
  }
  const next = tf.tidy(() => tf.add(tf.mul(target, momentum), tf.mul(batchValue, 1 - momentum)));
  target.assign(next);
  next.dispose();
}

export function batchNorm(x: tf.Tensor3D, p: BatchNormParams, options: BatchNormOptions): tf.Tensor3D {
  let mean: tf.Tensor1D;
  let variance: tf.Tensor1D;
  if (options.training) {
    const mask = options.mask;
    const count = mask === null ? x.shape[0] * x.shape[1] : tf.maximum(tf.sum(mask), 1);
    const masked = mask === null ? x : tf.mul(x, mask);
    mean = tf.div(tf.sum(masked, [0, 1]), count);
    const centred = tf.sub(x, mean);
    const sq = tf.square(mask === null ? centred : tf.mul(centred, mask));
    variance = tf.div(tf.sum(sq, [0, 1]), count);
    if (options.momentum !== undefined) {
      assignMoving(p.movingMean, mean, options.momentum);
      assignMoving(p.movingVariance, variance, options.momentum);
    }
  } else {
    mean = p.movingMean;
    variance = p.movingVariance;
  }
  const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON)));
  return tf.add(tf.mul(tf.sub(x, mean), scale), p.beta);
}
