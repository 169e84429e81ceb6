/**
 * Fits the stats head of a trained cnn-attn-lstm (models/architectures/stats_head.ts): a
 * softmax-linear classifier on the utterance statistics of each training clip version — the
 * frames the network is trained on (toExample: final segment, normalised), voiced frames
 * only, summed by the streaming runner's own RunningStats — with L2 weight decay, full batch.
 * Features are standardised for the fit and the standardisation is folded into the weights,
 * so the head reads raw statistics. The network's weights are not touched.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureNorm } from '../meta.js';
import { RunningStats } from '../streaming/running_stats.js';
import { STATS_PER_COEFF } from '../architectures/stats_head.js';
import { toExample, type SpanConfig } from './examples.js';
import type { ClipFeatures } from './features.js';

export interface StatsHeadFitConfig {
  /** L2 penalty on the (standardised) weights, default 1e-3. */
  l2: number;
  /** Full-batch Adam steps, default 300. */
  steps: number;
  /** Adam learning rate, default 0.01. */
  learningRate: number;
}

export const DEFAULT_STATS_HEAD_FIT: StatsHeadFitConfig = { l2: 1e-3, steps: 300, learningRate: 0.01 };

/** The statistics the streaming runner computes at the end of this clip version's span. */
export function clipUtteranceStats(f: ClipFeatures, norm: FeatureNorm, span: SpanConfig): Float64Array {
  const e = toExample(f, 0, norm, span);
  const stats = new RunningStats(f.numCoeffs);
  stats.add(e.x, 0, e.frames, e.voiced, 0);
  return stats.features(new Float64Array(STATS_PER_COEFF * f.numCoeffs));
}

/** Fits weights [D × C] row-major and bias [C] on raw statistics `xs` with labels `ys`. */
export function fitStatsHead(xs: readonly Float64Array[], ys: readonly number[], classes: number, config: StatsHeadFitConfig = DEFAULT_STATS_HEAD_FIT): { w: Float32Array; b: Float32Array } {
  const dim = xs[0]?.length;
  if (dim === undefined || xs.length !== ys.length) throw new Error(`expected as many labels as examples (≥ 1), got ${xs.length} examples, ${ys.length} labels`);
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (const x of xs) for (let j = 0; j < dim; j++) mean[j]! += x[j]! / xs.length;
  for (const x of xs) for (let j = 0; j < dim; j++) sd[j]! += (x[j]! - mean[j]!) ** 2 / xs.length;
  for (let j = 0; j < dim; j++) sd[j] = Math.sqrt(sd[j]!) + 1e-6;
  const standard = new Float32Array(xs.length * dim);
  xs.forEach((x, i) => {
    for (let j = 0; j < dim; j++) standard[i * dim + j] = (x[j]! - mean[j]!) / sd[j]!;
  });
  const w = tf.variable(tf.zeros([dim, classes]));
  const b = tf.variable(tf.zeros([classes]));
  const X = tf.tensor2d(standard, [xs.length, dim]);
  const Y = tf.oneHot(tf.tensor1d(Array.from(ys), 'int32'), classes).toFloat();
  const optimizer = tf.train.adam(config.learningRate);
  try {
    for (let s = 0; s < config.steps; s++) {
      optimizer.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(X, w), b)), tf.mul(config.l2, tf.sum(tf.square(w)))) as tf.Scalar, false, [w, b]);
    }
    const ws = w.dataSync() as Float32Array;
    const bs = b.dataSync() as Float32Array;
    // logits = ((x − mean) / sd)·W + b = x·(W / sd) + (b − Σ_j mean_j / sd_j · W_j).
    const wOut = new Float32Array(dim * classes);
    const bOut = Float32Array.from(bs);
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < classes; k++) {
        wOut[j * classes + k] = ws[j * classes + k]! / sd[j]!;
        bOut[k]! -= (mean[j]! / sd[j]!) * ws[j * classes + k]!;
      }
    }
    return { w: wOut, b: bOut };
  } finally {
    tf.dispose([w, b, X, Y]);
    optimizer.dispose();
  }
}
