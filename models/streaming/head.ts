/**
 * The attention head on the host for one stream: softmax over the ring's stored scores,
 * weighted sum of the stored LSTM outputs, ReLU dense, linear output, softmax. At most
 * windowSteps × units + units × denseUnits multiply-adds — cheaper in JS than a tfjs round trip.
 * Mirrors attentionPool + denseHead (float64 accumulation, float32 result).
 */
import type { StreamingPlan } from './plan.js';
import type { StreamState } from './state.js';

export function headProbs(plan: StreamingPlan, state: StreamState): Float32Array | null {
  const n = state.ringCount;
  if (n === 0) return null;
  const { units, denseUnits, numClasses } = plan;
  let maxScore = -Infinity;
  for (let t = 0; t < n; t++) maxScore = Math.max(maxScore, state.ringScores[t]!);
  const context = new Float64Array(units);
  let total = 0;
  for (let t = 0; t < n; t++) {
    const w = Math.exp(state.ringScores[t]! - maxScore);
    total += w;
    const row = t * units;
    for (let j = 0; j < units; j++) context[j]! += w * state.ringOutputs[row + j]!;
  }
  for (let j = 0; j < units; j++) context[j]! /= total;

  const hidden = new Float64Array(denseUnits);
  for (let d = 0; d < denseUnits; d++) hidden[d] = plan.dense1B[d]!;
  for (let j = 0; j < units; j++) {
    const x = context[j]!;
    const row = j * denseUnits;
    for (let d = 0; d < denseUnits; d++) hidden[d]! += x * plan.dense1W[row + d]!;
  }
  const logits = new Float64Array(numClasses);
  for (let k = 0; k < numClasses; k++) logits[k] = plan.outB[k]!;
  for (let d = 0; d < denseUnits; d++) {
    const x = Math.max(0, hidden[d]!);
    const row = d * numClasses;
    for (let k = 0; k < numClasses; k++) logits[k]! += x * plan.outW[row + k]!;
  }
  return softmax(logits);
}

export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, logits[k]!);
  const out = new Float32Array(logits.length);
  let total = 0;
  const exps = new Float64Array(logits.length);
  for (let k = 0; k < logits.length; k++) {
    exps[k] = Math.exp(logits[k]! - max);
    total += exps[k]!;
  }
  for (let k = 0; k < logits.length; k++) out[k] = exps[k]! / total;
  return out;
}
