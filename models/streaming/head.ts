/**
 * The attention head on the host for one stream: softmax over the window's stored scores,
 * the weighted sum of the stored projections W1ᵀ h_t (plan.ts: equal to W1ᵀ of the pooled
 * context, since the weights sum to one), bias and ReLU, linear output, softmax. About
 * windowSteps × denseUnits + denseUnits × classes multiply-adds — cheaper in JS than a tfjs
 * round trip. Mirrors attentionPool + denseHead, plus the stats head when the model has one
 * (float64 accumulation, float32 result).
 */
import { netWeight } from '../architectures/stats_head.js';
import type { StreamingPlan } from './plan.js';
import type { RunningStats } from './running_stats.js';
import { statsHeadInput } from './stats_input.js';
import type { FusedStreamState } from './state.js';

/**
 * Writes the head's output into state.probsValues and returns it; null while the window is
 * empty. `statsHidden`: this stream's stats-head hidden units when computed in a batch
 * (stats_batch.ts), else null.
 */
export function headProbs(plan: StreamingPlan, state: FusedStreamState, statsHidden: Float32Array | null = null): Float32Array | null {
  const n = state.ringCount;
  if (n === 0) return null;
  const { denseUnits, numClasses, dense1B, outW, outB } = plan;
  const scores = state.ringScores;
  const projected = state.ringProjected;
  // [0, D): hidden units, [D, D + C): logits. Indexed in place: at these sizes a subarray
  // view or fill() per call costs as much as the arithmetic.
  const acc = plan.headScratch;
  let maxScore = -Infinity;
  for (let t = 0; t < n; t++) maxScore = Math.max(maxScore, scores[t]!);
  for (let d = 0; d < denseUnits; d++) acc[d] = 0;
  let total = 0;
  let t = 0;
  // Four window entries per pass: a quarter of the read-modify-writes of acc, which bound
  // this loop in V8 (the accumulators do not fit in registers).
  for (; t + 4 <= n; t += 4) {
    const w0 = Math.exp(scores[t]! - maxScore);
    const w1 = Math.exp(scores[t + 1]! - maxScore);
    const w2 = Math.exp(scores[t + 2]! - maxScore);
    const w3 = Math.exp(scores[t + 3]! - maxScore);
    total += w0 + w1 + w2 + w3;
    const r0 = t * denseUnits;
    const r1 = r0 + denseUnits;
    const r2 = r1 + denseUnits;
    const r3 = r2 + denseUnits;
    for (let d = 0; d < denseUnits; d++) {
      acc[d]! += w0 * projected[r0 + d]! + w1 * projected[r1 + d]! + w2 * projected[r2 + d]! + w3 * projected[r3 + d]!;
    }
  }
  for (; t < n; t++) {
    const w = Math.exp(scores[t]! - maxScore);
    total += w;
    const row = t * denseUnits;
    for (let d = 0; d < denseUnits; d++) acc[d]! += w * projected[row + d]!;
  }
  for (let k = 0; k < numClasses; k++) acc[denseUnits + k] = outB[k]!;
  for (let d = 0; d < denseUnits; d++) {
    const x = Math.max(0, acc[d]! / total + dense1B[d]!);
    const row = d * numClasses;
    for (let k = 0; k < numClasses; k++) acc[denseUnits + k]! += x * outW[row + k]!;
  }
  if (plan.stats !== null && state.stats !== null) {
    const weight = netWeight(state.stats.voicedFrames, plan.stats.netRampFrames);
    if (weight !== 1) for (let k = 0; k < numClasses; k++) acc[denseUnits + k]! *= weight;
    addStatsLogits(plan.stats, state.stats, acc, denseUnits, statsHidden);
  }
  return softmaxInto(acc, denseUnits, numClasses, state.probsValues);
}

/**
 * probs[k] = softmax of the logits acc[at, at + count), k < count; returns probs. The
 * exponentials overwrite the logits (acc is the head's scratch). Shared with the stateful
 * runner's dense head (stateful_runner.ts).
 */
export function softmaxInto(acc: Float64Array, at: number, count: number, probs: Float32Array): Float32Array {
  let maxLogit = -Infinity;
  for (let k = 0; k < count; k++) maxLogit = Math.max(maxLogit, acc[at + k]!);
  let sum = 0;
  for (let k = 0; k < count; k++) {
    acc[at + k] = Math.exp(acc[at + k]! - maxLogit);
    sum += acc[at + k]!;
  }
  for (let k = 0; k < count; k++) probs[k] = acc[at + k]! / sum;
  return probs;
}

/** out[at + k] += b[k] + Σ_j v_j · wT[k][j] for k < b.length (wT: [b.length × v.length] row-major). */
function addAffine(v: ArrayLike<number>, wT: Float64Array, b: Float32Array, out: Float64Array, at: number): void {
  const n = v.length;
  for (let k = 0; k < b.length; k++) {
    // Four independent partial sums: the multiply-adds overlap instead of waiting on one chain.
    let s0 = b[k]!;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const row = k * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      s0 += v[j]! * wT[row + j]!;
      s1 += v[j + 1]! * wT[row + j + 1]!;
      s2 += v[j + 2]! * wT[row + j + 2]!;
      s3 += v[j + 3]! * wT[row + j + 3]!;
    }
    for (; j < n; j++) s0 += v[j]! * wT[row + j]!;
    out[at + k]! += s0 + s1 + s2 + s3;
  }
}

/** The stats head (stats_head.ts) on the segment's utterance statistics, added to the logits in acc[at, at + C). */
function addStatsLogits(head: NonNullable<StreamingPlan['stats']>, stats: RunningStats, acc: Float64Array, at: number, hidden: Float32Array | null): void {
  if (hidden !== null) {
    addAffine(hidden, head.wT, head.b, acc, at);
    return;
  }
  let input = statsHeadInput(head, stats);
  if (head.w1T !== null && head.b1 !== null) {
    const hidden = head.hidden;
    hidden.fill(0);
    addAffine(input, head.w1T, head.b1, hidden, 0);
    for (let u = 0; u < hidden.length; u++) hidden[u] = Math.max(0, hidden[u]!);
    input = hidden;
  }
  addAffine(input, head.wT, head.b, acc, at);
}
