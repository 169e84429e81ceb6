/**
 * The stats head's hidden layer for many streams at once (stats_head.ts): every stream's
 * statistics in one upload, one fused matMul + ReLU, one read. In JS the layer costs about
 * 15 µs per stream (4F × H multiply-adds, no SIMD); one round trip costs about that much in
 * all, so below STATS_BATCH_MIN streams head.ts computes it on the host instead. Either way
 * the output layer (H × C) runs on the host.
 */
import type { StreamingPlan } from './plan.js';
import type { RunningStats } from './running_stats.js';
import { statsHeadInput } from './stats_input.js';
import { hostMatMul } from './tensor_io.js';

/** Streams from which one tfjs call beats the host loop. */
export const STATS_BATCH_MIN = 8;

/** The hidden units (after ReLU) of each stream's stats head, row b for stats[b]; null: compute on the host. */
export function batchedStatsHidden(plan: StreamingPlan, stats: readonly RunningStats[]): Float32Array | null {
  const head = plan.stats;
  if (head === null || head.w1Tensor === null || stats.length < STATS_BATCH_MIN) return null;
  const dim = head.scratch.length;
  const x = plan.scratch.take('stats-batch', stats.length * dim);
  stats.forEach((s, b) => x.set(statsHeadInput(head, s), b * dim));
  return hostMatMul(x, stats.length, dim, head.w1Tensor, head.b1Tensor, 'relu');
}
