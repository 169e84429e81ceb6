/**
 * predictOffline: a whole clip at once through the architecture's forward(). Applies the
 * same utterance rule as streaming (only the segment the clip ends in counts, without the
 * frames dropped in a long trailing pause), the same step grid (whole steps from the
 * segment start; a trailing partial step is ignored) and the same span (span.ts: for window
 * architectures, the newest training span of those steps), so for every architecture it
 * equals the final stepBatch result on the same frames.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, stepFramesOf } from '../architectures/index.js';
import { normalizeFrames } from '../meta.js';
import type { StreamableModel } from './plan.js';
import { lastSegmentRange } from './segment.js';
import { resultSpanFrames } from './span.js';

/**
 * frames: n × numCoeffs raw MFCC; voiced: n flags. Returns class probabilities; a uniform
 * distribution when the final segment holds no complete step (e.g. a silent clip), where
 * stepBatch would report null.
 */
export function predictOffline(model: StreamableModel, frames: Float32Array, voiced: Uint8Array): Float32Array {
  const { meta } = model;
  const f = meta.featureConfig.numCoeffs;
  const n = voiced.length;
  if (frames.length !== n * f) {
    throw new Error(`predictOffline: expected frames of ${n} × ${f} = ${n * f} values, got ${frames.length}`);
  }
  const { start, end } = lastSegmentRange(voiced, meta.resetAfterSilenceFrames);
  const stepFrames = stepFramesOf(model);
  const stepsEnd = start + Math.floor((end - start) / stepFrames) * stepFrames;
  const first = Math.max(start, stepsEnd - resultSpanFrames(model));
  const used = stepsEnd - first;
  const classes = meta.labels.length;
  if (used === 0) return new Float32Array(classes).fill(1 / classes);
  const x = normalizeFrames(frames.subarray(first * f, stepsEnd * f), meta.norm);
  return tf.tidy(() => {
    const logits = forward(model, tf.tensor3d(x, [1, used, f]), { training: false, voiced: voiced.subarray(first, stepsEnd) });
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}
