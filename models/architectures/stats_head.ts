/**
 * The optional stats head of cnn-attn-lstm (hyper `statsHead: 1`): a small classifier on the
 * utterance statistics of the voiced frames (models/ops/utterance_stats.ts) — linear, or with
 * one ReLU layer of `statsHidden` units (`stats.w1`, `stats.b1`) — whose logits (`stats.w`,
 * `stats.b`) are added to the network's: a product of the two experts' distributions. It is
 * fitted apart from the network, on the same training clips (`npm run fit-stats-head`),
 * because a separately trained model on utterance statistics errs differently from the
 * network. Models without the hyper-parameter have no head (every model before it).
 * With hyper `statsCount: 1` the head also reads how much it has heard: log(1 + the voiced
 * frames its statistics cover), one more input after the 4 × F statistics — so a live hop
 * on a fraction of a second of speech can be read differently from a whole utterance.
 * With hyper `netRampFrames: R` (> 0) the network's logits are weighed by min(1, n / R), n the
 * voiced frames the statistics cover: the network is trained on whole utterances only and
 * answers the first second of one near chance, while the head was fitted on part-way cuts
 * too, so early hops lean on the head and the network comes in as speech accumulates.
 */
import * as tf from '@tensorflow/tfjs';
import { constant, glorot } from '../ops/init.js';
import { utteranceStats, utteranceStatsEveryStep, voicedCount, voicedCountEveryStep } from '../ops/utterance_stats.js';
import { maskAt } from './common.js';
import { hyperInt, param, type ForwardOptions, type Hyper, type ModelLike, type ParamSpec } from './types.js';

/** Statistics per coefficient: mean, sd, delta mean, delta sd. */
export const STATS_PER_COEFF = 4;

/** Arithmetic per frame and coefficient of the running sums: delta, 2 sums, 2 squares-and-sums. */
export const STATS_SUM_FLOPS_PER_COEFF = 7;

export function hasStatsHead(hyper: Hyper): boolean {
  return hyper['statsHead'] !== undefined && hyperInt(hyper, 'statsHead') === 1;
}

/** Does the head read the voiced-frame count (hyper `statsCount: 1`)? */
export function hasStatsCount(hyper: Hyper): boolean {
  return hyper['statsCount'] !== undefined && hyperInt(hyper, 'statsCount') === 1;
}

/** The head's inputs: 4 × F statistics, and the count feature when it reads one. */
export function statsInputsOf(hyper: Hyper): number {
  return STATS_PER_COEFF * hyperInt(hyper, 'numCoeffs') + (hasStatsCount(hyper) ? 1 : 0);
}

/** The count feature of statistics over `voicedFrames` voiced frames. */
export function countFeature(voicedFrames: number): number {
  return Math.log1p(voicedFrames);
}

/** Voiced frames over which the network's logits ramp in (hyper `netRampFrames`); 0 = no ramp. */
export function netRampFramesOf(hyper: Hyper): number {
  return hyper['netRampFrames'] === undefined ? 0 : hyperInt(hyper, 'netRampFrames');
}

/** The network's weight after `voicedFrames` voiced frames under a ramp of `rampFrames` (0: none). */
export function netWeight(voicedFrames: number, rampFrames: number): number {
  return rampFrames > 0 ? Math.min(1, voicedFrames / rampFrames) : 1;
}

/** Hidden units of the stats head; 0 = linear. */
export function statsHiddenOf(hyper: Hyper): number {
  return hyper['statsHidden'] === undefined ? 0 : hyperInt(hyper, 'statsHidden');
}

export function validateStatsHead(hyper: Hyper): void {
  if (hyper['statsHead'] !== undefined) {
    const v = hyperInt(hyper, 'statsHead');
    if (v !== 0 && v !== 1) throw new Error(`hyper.statsHead: expected 0 or 1, got ${v}`);
  }
  if (statsHiddenOf(hyper) < 0) throw new Error(`hyper.statsHidden: expected ≥ 0, got ${statsHiddenOf(hyper)}`);
  if (hyper['statsCount'] !== undefined) {
    const v = hyperInt(hyper, 'statsCount');
    if (v !== 0 && v !== 1) throw new Error(`hyper.statsCount: expected 0 or 1, got ${v}`);
    if (v === 1 && !hasStatsHead(hyper)) throw new Error('hyper.statsCount: expected a model with a stats head (statsHead 1), got none');
  }
  if (hyper['netRampFrames'] !== undefined) {
    const v = netRampFramesOf(hyper);
    if (v < 0) throw new Error(`hyper.netRampFrames: expected an integer ≥ 0, got ${v}`);
    if (v > 0 && !hasStatsHead(hyper)) throw new Error('hyper.netRampFrames: expected a model with a stats head (statsHead 1), got none');
  }
}

/** Zero output weights: a fresh head adds nothing until it is fitted. */
export function initStatsHead(hyper: Hyper, random: () => number, out: Record<string, ParamSpec>): void {
  if (!hasStatsHead(hyper)) return;
  const classes = hyperInt(hyper, 'numClasses');
  const inputs = statsInputsOf(hyper);
  const hidden = statsHiddenOf(hyper);
  if (hidden > 0) {
    out['stats.w1'] = glorot([inputs, hidden], inputs, hidden, random);
    out['stats.b1'] = constant([hidden], 0);
  }
  out['stats.w'] = constant([hidden > 0 ? hidden : inputs, classes], 0);
  out['stats.b'] = constant([classes], 0);
}

/** Statistics [N, D] → the head's logits [N, C]. */
function headLogits(model: ModelLike, stats: tf.Tensor2D): tf.Tensor2D {
  let h = stats;
  if (statsHiddenOf(model.hyper) > 0) {
    h = tf.fused.matMul({ a: h, b: param(model, 'stats.w1') as tf.Tensor2D, bias: param(model, 'stats.b1'), activation: 'relu' }) as tf.Tensor2D;
  }
  return tf.fused.matMul({ a: h, b: param(model, 'stats.w') as tf.Tensor2D, bias: param(model, 'stats.b') }) as tf.Tensor2D;
}

/** Voiced flags as a [B, T, 1] tensor, or null when the caller gave none (then every valid frame counts). */
function voicedMask(x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D | null {
  if (options.voiced === undefined) return null;
  const [batch, frames] = x.shape;
  if (options.voiced.length !== batch * frames) {
    throw new Error(`voiced: expected ${batch} × ${frames} = ${batch * frames} flags, got ${options.voiced.length}`);
  }
  return tf.tensor3d(Float32Array.from(options.voiced), [batch, frames, 1]);
}

/** The network's logits weighed by netWeight of the voiced `count` (same rank, last axis 1); unchanged without a ramp. */
function rampIn<T extends tf.Tensor2D | tf.Tensor3D>(model: ModelLike, logits: T, count: T): T {
  const rampFrames = netRampFramesOf(model.hyper);
  return rampFrames > 0 ? (tf.mul(logits, tf.minimum(tf.div(count, rampFrames), 1)) as T) : logits;
}

/** logits [B, C] plus the stats head's, when the model has one. */
export function withStatsLogits(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions, logits: tf.Tensor2D): tf.Tensor2D {
  if (!hasStatsHead(model.hyper)) return logits;
  let stats = utteranceStats(x, voicedMask(x, options), maskAt(x, options, 1));
  const affine = options.statsAffine;
  if (affine !== undefined) {
    if (x.shape[0] !== 1) throw new Error(`statsAffine: expected a batch of 1 clip, got ${x.shape[0]}`);
    stats = tf.add(tf.mul(stats, tf.tensor2d(Float32Array.from(affine.scale), [1, affine.scale.length])), tf.tensor2d(Float32Array.from(affine.shift), [1, affine.shift.length])) as tf.Tensor2D;
  }
  const count = voicedCount(x, voicedMask(x, options), maskAt(x, options, 1));
  if (hasStatsCount(model.hyper)) stats = tf.concat([stats, tf.log1p(count)], 1) as tf.Tensor2D;
  return tf.add(rampIn(model, logits, count), headLogits(model, stats)) as tf.Tensor2D;
}

/** Per-step logits [B, S, C] plus the stats head's after each step. */
export function withStatsLogitsEveryStep(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions, logits: tf.Tensor3D, stepFrames: number): tf.Tensor3D {
  if (!hasStatsHead(model.hyper)) return logits;
  let stats = utteranceStatsEveryStep(x, voicedMask(x, options), maskAt(x, options, 1), stepFrames);
  const count = voicedCountEveryStep(x, voicedMask(x, options), maskAt(x, options, 1), stepFrames);
  if (hasStatsCount(model.hyper)) stats = tf.concat([stats, tf.log1p(count)], 2) as tf.Tensor3D;
  const [batch, steps, width] = stats.shape;
  const flat = headLogits(model, tf.reshape(stats, [batch * steps, width]) as tf.Tensor2D);
  return tf.add(rampIn(model, logits, count), tf.reshape(flat, logits.shape)) as tf.Tensor3D;
}
