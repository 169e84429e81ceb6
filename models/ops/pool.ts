/** Non-overlapping max-pooling and masked global average pooling over time. */
import * as tf from '@tensorflow/tfjs';

/** [B, T, C] → [B, T / size, C], max over consecutive blocks of `size` steps. */
export function maxPoolTime(x: tf.Tensor3D, size: number): tf.Tensor3D {
  const [b, t, c] = x.shape;
  if (t % size !== 0) throw new Error(`maxPoolTime: expected a length divisible by ${size}, got ${t}`);
  if (size === 1) return x;
  return tf.max(tf.reshape(x, [b, t / size, size, c]), 2);
}

/** Mean over time of [B, T, C], counting only positions where mask [B, T, 1] is 1. */
export function maskedMeanTime(x: tf.Tensor3D, mask: tf.Tensor3D | null): tf.Tensor2D {
  if (mask === null) return tf.mean(x, 1);
  const total = tf.sum(tf.mul(x, mask), 1);
  return tf.div(total, tf.maximum(tf.sum(mask, 1), 1));
}
