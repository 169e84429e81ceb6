/**
 * Clip features → model examples, cut the way the streaming runner cuts a stream
 * (models/streaming/segment.ts, shared): the final segment starts at the first voiced frame
 * after a pause of ≥ `resetAfterSilenceFrames` (or the clip start) and ends after that many
 * unvoiced frames past the last voiced one, where the runner starts dropping frames and
 * holds its last result; the model sees whole steps from the segment start.
 * Frames are normalised with the training split's statistics.
 */
import { DEFAULT_SPAN_FRAMES, type FeatureNorm, type ModelMeta } from '../meta.js';
import { lastSegmentRange } from '../streaming/segment.js';
import type { Example } from './batching.js';
import type { ClipFeatures } from './features.js';
import type { Prng } from './prng.js';

export interface SpanConfig {
  /** Feature frames per model step; spans are whole steps from the segment start. */
  stepFrames: number;
  /** The runner's reset rule (meta.resetAfterSilenceFrames), frames ≥ 1. */
  resetAfterSilenceFrames: number;
  /** The runner's segment cap (meta.maxSegmentFrames); absent: none. */
  maxSegmentFrames?: number;
  /** Longest span, frames (the end is kept), default 800 (8 s). */
  maxFrames: number;
}

/** The span rule a trained model was trained with (its meta), for cutting more clips the same way. */
export function spanOfMeta(meta: Pick<ModelMeta, 'stepFrames' | 'resetAfterSilenceFrames' | 'maxSegmentFrames' | 'training'>): SpanConfig {
  const maxFrames = (meta.training?.['span'] as { maxFrames?: number } | undefined)?.maxFrames ?? DEFAULT_SPAN_FRAMES;
  return { stepFrames: meta.stepFrames, resetAfterSilenceFrames: meta.resetAfterSilenceFrames, ...(meta.maxSegmentFrames === undefined ? {} : { maxSegmentFrames: meta.maxSegmentFrames }), maxFrames };
}

export interface Span {
  /** First frame of the final segment. */
  start: number;
  /** One past the last voiced frame. */
  voicedEnd: number;
  /** One past the frame at which the runner would reset (or the clip end). */
  end: number;
}

/**
 * The last segment of the clip that holds at least one whole step, as the runner cuts it
 * (lastSegmentRange): a final blip too short for a step (a click after the utterance)
 * leaves the runner's last result where the utterance put it, so the utterance is used.
 */
export function utteranceSpan(f: ClipFeatures, cfg: SpanConfig): Span {
  let voiced = f.voiced.subarray(0, f.count);
  let range = lastSegmentRange(voiced, cfg);
  while (range.end - range.start < cfg.stepFrames && range.start > 0) {
    voiced = voiced.subarray(0, range.start);
    range = lastSegmentRange(voiced, cfg);
  }
  const end = Math.max(range.end, Math.min(f.count, range.start + cfg.stepFrames));
  const start = Math.max(range.start, end - cfg.maxFrames);
  let voicedEnd = start;
  for (let i = end - 1; i >= start; i -= 1) {
    if (f.voiced[i] === 1) {
      voicedEnd = i + 1;
      break;
    }
  }
  return { start, voicedEnd, end };
}

/** Per-coefficient mean and std over the given clips' spans (the training split only). */
export function computeNormStats(features: readonly ClipFeatures[], cfg: SpanConfig): FeatureNorm {
  const numCoeffs = features[0]?.numCoeffs;
  if (numCoeffs === undefined) throw new Error('expected at least one clip for normalisation stats, got 0');
  const sum = new Float64Array(numCoeffs);
  const sumSq = new Float64Array(numCoeffs);
  let n = 0;
  for (const f of features) {
    const { start, end } = utteranceSpan(f, cfg);
    for (let t = start; t < end; t += 1) {
      for (let c = 0; c < numCoeffs; c += 1) {
        const v = f.coeffs[t * numCoeffs + c] as number;
        sum[c] = (sum[c] as number) + v;
        sumSq[c] = (sumSq[c] as number) + v * v;
      }
    }
    n += end - start;
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(s / n - (mean[c] as number) ** 2, 1e-8)));
  return { mean, std };
}

/**
 * The normalised example of one clip version: `frames` whole steps of the span, and
 * `minFrames` the whole steps that still cover every voiced frame (training draws a length
 * in between, since a live stream's last result may come before the full trailing silence).
 */
export function toExample(f: ClipFeatures, labelIdx: number, norm: FeatureNorm, cfg: SpanConfig): Example {
  const { start, voicedEnd, end } = utteranceSpan(f, cfg);
  const s = cfg.stepFrames;
  const frames = Math.max(s, Math.floor((end - start) / s) * s);
  const minFrames = Math.min(frames, Math.max(s, Math.ceil((voicedEnd - start) / s) * s));
  const nc = f.numCoeffs;
  const x = new Float32Array(frames * nc);
  const voiced = new Uint8Array(frames);
  const rows = Math.min(frames, f.count - start);
  voiced.set(f.voiced.subarray(start, start + rows));
  for (let t = 0; t < rows; t += 1) {
    for (let c = 0; c < nc; c += 1) {
      x[t * nc + c] = ((f.coeffs[(start + t) * nc + c] as number) - (norm.mean[c] as number)) / (norm.std[c] as number);
    }
  }
  return { x, frames, minFrames, labelIdx, voiced };
}

/** A copy of `e` cut to a random whole-step length in [minFrames, frames] (a view, no copy of x). */
export function randomTrailing(e: Example, stepFrames: number, prng: Prng): Example {
  const lo = e.minFrames / stepFrames;
  const hi = e.frames / stepFrames;
  const frames = prng.int(lo, hi) * stepFrames;
  const nc = e.x.length / e.frames;
  const cut: Example = { x: e.x.subarray(0, frames * nc), frames, minFrames: Math.min(e.minFrames, frames), labelIdx: e.labelIdx, voiced: e.voiced.subarray(0, frames) };
  if (e.soft !== undefined) cut.soft = e.soft;
  return cut;
}
