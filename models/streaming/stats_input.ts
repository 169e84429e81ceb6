/**
 * The stats head's input for one stream (stats_head.ts): the segment's statistics, re-read
 * against the stream's speaker reference when it has one, then the count feature when the
 * head reads it (hyper statsCount) — the same columns the tensor head builds offline.
 */
import { countFeature } from '../architectures/stats_head.js';
import type { StreamingPlan } from './plan.js';
import type { RunningStats } from './running_stats.js';

export function statsHeadInput(head: NonNullable<StreamingPlan['stats']>, stats: RunningStats): Float64Array {
  const input = stats.features(head.scratch);
  if (head.count) input[input.length - 1] = countFeature(stats.voicedFrames);
  return input;
}
