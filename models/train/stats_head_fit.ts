/**
 * Fits the stats head of a trained cnn-attn-lstm (models/architectures/stats_head.ts): a
 * softmax classifier (linear, or one ReLU layer with dropout) on the utterance statistics of each training clip version — the
 * frames the network is trained on (toExample: final segment, normalised), voiced frames
 * only, summed by the streaming runner's own RunningStats — with L2 weight decay, full batch.
 * Features are standardised for the fit and the standardisation is folded into the weights,
 * so the head reads raw statistics. The network's weights are not touched.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureNorm } from '../meta.js';
import { RunningStats } from '../streaming/running_stats.js';
import { countFeature, STATS_PER_COEFF } from '../architectures/stats_head.js';
import { toExample, type SpanConfig } from './examples.js';
import type { ClipFeatures } from './features.js';
import type { Prng } from './prng.js';

export interface StatsHeadFitConfig {
  /** Hidden ReLU units; 0 = linear (default 0). */
  hidden: number;
  /** Dropout on the hidden units while fitting, default 0.3. */
  dropout: number;
  /** Seed of the hidden layer's initial weights and the dropout masks, default 1. */
  seed: number;
  /** L2 penalty on the (standardised) weights, default 1e-3. */
  l2: number;
  /** Full-batch Adam steps, default 300. */
  steps: number;
  /** Adam learning rate, default 0.01. */
  learningRate: number;
}

export const DEFAULT_STATS_HEAD_FIT: StatsHeadFitConfig = { hidden: 0, dropout: 0.3, seed: 1, l2: 1e-3, steps: 300, learningRate: 0.01 };

export interface StatsHeadWeights {
  /** Hidden layer [D × H] row-major and [H]; null when linear. */
  w1: Float32Array | null;
  b1: Float32Array | null;
  /** Output layer [(H or D) × C] row-major and [C]. */
  w: Float32Array;
  b: Float32Array;
}

/**
 * The statistics the streaming runner computes at the end of this clip version's span, and
 * the count feature after them when `count` (a head with hyper statsCount).
 */
export function clipUtteranceStats(f: ClipFeatures, norm: FeatureNorm, span: SpanConfig, count = false): Float64Array {
  const e = toExample(f, 0, norm, span);
  return prefixStats(e.x, e.voiced, e.frames, f.numCoeffs, count);
}

/** The statistics of the first `frames` rows of a normalised span (what a live hop's head reads), with the count feature when `count`. */
export function prefixStats(x: Float32Array, voiced: Uint8Array, frames: number, numCoeffs: number, count = false): Float64Array {
  const stats = new RunningStats(numCoeffs);
  stats.add(x, 0, frames, voiced, 0);
  const out = stats.features(new Float64Array(STATS_PER_COEFF * numCoeffs + (count ? 1 : 0)));
  if (count) out[out.length - 1] = countFeature(stats.voicedFrames);
  return out;
}

/**
 * The statistics a live stream's head reads part-way through this clip version's segment:
 * `count` cuts after a whole number of model steps, drawn uniformly from the first step to
 * the last (the hops of a clip are spread evenly over it), each with at least one voiced frame.
 */
export function clipPrefixStats(f: ClipFeatures, norm: FeatureNorm, span: SpanConfig, cuts: number, prng: Prng, count = false): Float64Array[] {
  const e = toExample(f, 0, norm, span);
  const steps = e.frames / span.stepFrames;
  const out: Float64Array[] = [];
  for (let k = 0; k < cuts; k++) {
    const frames = prng.int(1, steps) * span.stepFrames;
    if (e.voiced.subarray(0, frames).includes(1)) out.push(prefixStats(e.x, e.voiced, frames, f.numCoeffs, count));
  }
  return out;
}

/**
 * Folds the standardisation into the first layer: ((x − mean) / sd)·W + b = x·(W / sd) +
 * (b − Σ_j mean_j / sd_j · W_j). W is [D × cols] row-major.
 */
function foldStandardisation(w: Float32Array, b: Float32Array, mean: Float64Array, sd: Float64Array, cols: number): { w: Float32Array; b: Float32Array } {
  const wOut = new Float32Array(w.length);
  const bOut = Float32Array.from(b);
  for (let j = 0; j < mean.length; j++) {
    for (let k = 0; k < cols; k++) {
      wOut[j * cols + k] = w[j * cols + k]! / sd[j]!;
      bOut[k]! -= (mean[j]! / sd[j]!) * w[j * cols + k]!;
    }
  }
  return { w: wOut, b: bOut };
}

/** Mean and (population) variance of each statistic over `rows`. */
export function moments(rows: readonly Float64Array[]): { mean: Float64Array; variance: Float64Array } {
  const d = rows[0]?.length ?? 0;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) variance[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  return { mean, variance };
}

/** Fits the head on raw statistics `xs` with labels `ys`, each example's loss weighted by `weights` (default 1 each). */
export function fitStatsHead(xs: readonly Float64Array[], ys: readonly number[], classes: number, config: StatsHeadFitConfig = DEFAULT_STATS_HEAD_FIT, weights?: readonly number[]): StatsHeadWeights {
  if (!Number.isInteger(config.hidden) || config.hidden < 0) throw new Error(`hidden: expected an integer ≥ 0, got ${config.hidden}`);
  const dim = xs[0]?.length;
  if (dim === undefined || xs.length !== ys.length) throw new Error(`expected as many labels as examples (≥ 1), got ${xs.length} examples, ${ys.length} labels`);
  if (weights !== undefined && (weights.length !== xs.length || weights.some((w) => !(w >= 0)))) throw new Error(`weights: expected ${xs.length} weights ≥ 0, got ${weights.length}`);
  const { mean, variance } = moments(xs);
  const sd = Float64Array.from(variance, (v) => Math.sqrt(v) + 1e-6);
  const standard = new Float32Array(xs.length * dim);
  xs.forEach((x, i) => {
    for (let j = 0; j < dim; j++) standard[i * dim + j] = (x[j]! - mean[j]!) / sd[j]!;
  });
  const { hidden } = config;
  const w1 = hidden > 0 ? tf.variable(tf.randomNormal([dim, hidden], 0, Math.sqrt(2 / dim), 'float32', config.seed)) : null;
  const b1 = hidden > 0 ? tf.variable(tf.zeros([hidden])) : null;
  const w = tf.variable(hidden > 0 ? tf.randomNormal([hidden, classes], 0, Math.sqrt(1 / hidden), 'float32', config.seed + 1) : tf.zeros([dim, classes]));
  const b = tf.variable(tf.zeros([classes]));
  const vars = [w, b, ...(w1 !== null && b1 !== null ? [w1, b1] : [])];
  const X = tf.tensor2d(standard, [xs.length, dim]);
  const Y = tf.oneHot(tf.tensor1d(Array.from(ys), 'int32'), classes).toFloat();
  const W = weights === undefined ? null : tf.tensor1d(Array.from(weights));
  const optimizer = tf.train.adam(config.learningRate);
  const logits = (step: number): tf.Tensor2D => {
    if (w1 === null || b1 === null) return tf.add(tf.matMul(X, w), b);
    const h = tf.dropout(tf.relu(tf.add(tf.matMul(X, w1), b1)), config.dropout, undefined, config.seed * 7919 + step);
    return tf.add(tf.matMul(h as tf.Tensor2D, w), b);
  };
  try {
    for (let s = 0; s < config.steps; s++) {
      optimizer.minimize(() => {
        const decay = [w, ...(w1 === null ? [] : [w1])].reduce((acc: tf.Tensor, v) => tf.add(acc, tf.sum(tf.square(v))), tf.scalar(0));
        const loss = W === null ? tf.losses.softmaxCrossEntropy(Y, logits(s)) : tf.losses.softmaxCrossEntropy(Y, logits(s), W);
        return tf.add(loss, tf.mul(config.l2, decay)) as tf.Scalar;
      }, false, vars);
    }
    if (w1 === null || b1 === null) return { w1: null, b1: null, ...foldStandardisation(w.dataSync() as Float32Array, b.dataSync() as Float32Array, mean, sd, classes) };
    const first = foldStandardisation(w1.dataSync() as Float32Array, b1.dataSync() as Float32Array, mean, sd, hidden);
    return { w1: first.w, b1: first.b, w: Float32Array.from(w.dataSync()), b: Float32Array.from(b.dataSync()) };
  } finally {
    tf.dispose([...vars, X, Y, ...(W === null ? [] : [W])]);
    optimizer.dispose();
  }
}
