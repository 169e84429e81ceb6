/**
 * Utterance statistics of the voiced frames, in tfjs: per coefficient the mean and standard
 * deviation of the frames, and of the first difference between adjacent voiced frames —
 * 4 × F values per clip, [mean | sd | delta mean | delta sd]. The host version the streaming
 * runner keeps per stream is models/streaming/running_stats.ts; both use STATS_VAR_EPS.
 */
import * as tf from '@tensorflow/tfjs';

/** Added to every variance before the square root (a constant frame has sd √ε, not 0). */
export const STATS_VAR_EPS = 1e-5;

/** [B, K, F] sums and [B, K, 1] counts → [B, K, 2F] = [mean | sd]. */
function meanSd(s1: tf.Tensor3D, s2: tf.Tensor3D, n: tf.Tensor3D): tf.Tensor3D {
  const safeN = tf.maximum(n, 1);
  const mean = tf.div(s1, safeN);
  const variance = tf.relu(tf.sub(tf.div(s2, safeN), tf.square(mean)));
  return tf.concat([mean, tf.sqrt(tf.add(variance, STATS_VAR_EPS))], 2) as tf.Tensor3D;
}

/** Frame weights [B, T, 1]: voiced (1/0) × inside the clip's valid frames. */
function weights(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null): tf.Tensor3D {
  const [batch, frames] = x.shape;
  let w: tf.Tensor3D = voiced ?? tf.ones([batch, frames, 1]);
  if (valid !== null) w = tf.mul(w, valid);
  return w;
}

/**
 * Running sums at the frame positions `at` (or at the end when null): [B, K, 4F].
 * x: [B, T, F]; voiced, valid: [B, T, 1] 0/1 or null (every frame).
 */
function statsAt(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null, at: number[] | null): tf.Tensor3D {
  const [batch, frames, f] = x.shape;
  const w = weights(x, voiced, valid);
  // Delta t is x_t − x_{t−1}, counted when both frames are weighted; aligned to frame t.
  const prevW = tf.concat([tf.zeros([batch, 1, 1]), tf.slice(w, [0, 0, 0], [batch, frames - 1, 1])], 1);
  const prevX = tf.concat([tf.zeros([batch, 1, f]), tf.slice(x, [0, 0, 0], [batch, frames - 1, f])], 1);
  const dw = tf.mul(w, prevW);
  const d = tf.sub(x, prevX);
  const xw = tf.mul(x, w) as tf.Tensor3D;
  const dwd = tf.mul(d, dw);
  const reduce = (t: tf.Tensor3D): tf.Tensor3D =>
    at === null ? (tf.sum(t, 1, true) as tf.Tensor3D) : (tf.gather(tf.cumsum(t, 1), at, 1) as tf.Tensor3D);
  const frameStats = meanSd(reduce(xw), reduce(tf.mul(xw, x) as tf.Tensor3D), reduce(w));
  const deltaStats = meanSd(reduce(dwd as tf.Tensor3D), reduce(tf.mul(dwd, d) as tf.Tensor3D), reduce(dw as tf.Tensor3D));
  return tf.concat([frameStats, deltaStats], 2) as tf.Tensor3D;
}

/** The statistics of each clip's weighted frames: [B, 4F]. */
export function utteranceStats(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null): tf.Tensor2D {
  return tf.squeeze(statsAt(x, voiced, valid, null), [1]) as tf.Tensor2D;
}

/** Voiced (weighted) frames of each clip: [B, 1]. */
export function voicedCount(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null): tf.Tensor2D {
  return tf.sum(weights(x, voiced, valid), 1) as tf.Tensor2D;
}

/** Voiced (weighted) frames so far after every step of `stepFrames` frames: [B, T / stepFrames, 1]. */
export function voicedCountEveryStep(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null, stepFrames: number): tf.Tensor3D {
  const steps = x.shape[1] / stepFrames;
  return tf.gather(tf.cumsum(weights(x, voiced, valid), 1), Array.from({ length: steps }, (_, s) => (s + 1) * stepFrames - 1), 1) as tf.Tensor3D;
}

/** The statistics so far after every step of `stepFrames` frames: [B, T / stepFrames, 4F]. */
export function utteranceStatsEveryStep(x: tf.Tensor3D, voiced: tf.Tensor3D | null, valid: tf.Tensor3D | null, stepFrames: number): tf.Tensor3D {
  const steps = x.shape[1] / stepFrames;
  return statsAt(x, voiced, valid, Array.from({ length: steps }, (_, s) => (s + 1) * stepFrames - 1));
}
