/**
 * predictOffline: a whole clip at once through the architecture's forward(). Applies the
 * same utterance rule as streaming (only the segment the clip ends in counts, without the
 * frames dropped in a long trailing pause), the same step grid (whole steps from the
 * segment start; a trailing partial step is ignored) and the same span (span.ts: for window
 * architectures, the newest training span of those steps) and the same statistics window
 * (stats_window.ts: the stats head reads the newest frames only), so for every architecture
 * it equals the final stepBatch result on the same frames.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, stepFramesOf } from '../architectures/index.js';
import { normalizeFrames, windowSpanFrames } from '../meta.js';
import type { StreamableModel } from './plan.js';
import { RunningStats } from './running_stats.js';
import { segmentRanges, segmentRuleOf } from './segment.js';
import { SpeakerReference } from './speaker_reference.js';
import { statsWindowStart } from './stats_window.js';
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
  const segments = segmentRanges(voiced, segmentRuleOf(meta));
  const { start, end } = segments[segments.length - 1]!;
  const stepFrames = stepFramesOf(model);
  const stepsEnd = start + Math.floor((end - start) / stepFrames) * stepFrames;
  const first = Math.max(start, stepsEnd - resultSpanFrames(model));
  const used = stepsEnd - first;
  const classes = meta.labels.length;
  if (used === 0) return new Float32Array(classes).fill(1 / classes);
  const x = normalizeFrames(frames.subarray(first * f, stepsEnd * f), meta.norm);
  const statsWindow = windowSpanFrames(meta);
  const statsAffine = speakerAffine(model, frames, voiced, segments.slice(0, -1), stepFrames, statsWindow);
  // The stats head reads the voiced flags only: frames before its window count as unvoiced
  // (a copy only for a segment longer than the window).
  const beforeWindow = start + statsWindowStart(stepsEnd - start, statsWindow) - first;
  const statsVoiced = beforeWindow > 0 ? voiced.slice(first, stepsEnd).fill(0, 0, beforeWindow) : voiced.subarray(first, stepsEnd);
  return tf.tidy(() => {
    const logits = forward(model, tf.tensor3d(x, [1, used, f]), { training: false, voiced: statsVoiced, ...(statsAffine === null ? {} : { statsAffine }) });
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}

/**
 * The speaker reference a stream holds when the final segment starts (meta.speakerNorm):
 * each earlier segment's statistics over its stepped frames (whole steps from its start; a
 * partial step is dropped with the segment's tail; the newest `statsWindow` at most), as the
 * streaming runner sums them.
 */
function speakerAffine(
  model: StreamableModel,
  frames: Float32Array,
  voiced: Uint8Array,
  earlier: readonly { start: number; end: number }[],
  stepFrames: number,
  statsWindow: number,
): ReturnType<SpeakerReference['affine']> {
  const { meta } = model;
  if (meta.speakerNorm === undefined || earlier.length === 0) return null;
  const f = meta.featureConfig.numCoeffs;
  const reference = new SpeakerReference(meta.speakerNorm);
  for (const seg of earlier) {
    const stepped = Math.floor((seg.end - seg.start) / stepFrames) * stepFrames;
    if (stepped === 0) continue;
    const stats = new RunningStats(f, null, statsWindow);
    stats.add(normalizeFrames(frames.subarray(seg.start * f, (seg.start + stepped) * f), meta.norm), 0, stepped, voiced, seg.start);
    if (stats.voicedFrames > 0) reference.addUtterance(stats.features(new Float64Array(meta.speakerNorm.mean.length)), stats.voicedFrames);
  }
  return reference.affine();
}
