/**
 * How many frames of a segment a model's result depends on, per streaming kind
 * (Architecture.streaming):
 * - 'fused-recurrent' and 'stateful': the whole segment (the LSTM state carries it all; for
 *   cnn-attn-lstm the attention head pools the last windowSteps steps of it). A segment may
 *   run longer than the training span: the state keeps going, as it would for a longer
 *   training clip, rather than being cut (cutting would need a recompute from zero state);
 * - 'window': the newest whole steps of the segment, at most the training span
 *   (meta.training.span.maxFrames, 800 frames = 8 s by default): training never showed the
 *   model more, and window recompute re-runs all of it at every step, so it must be bounded.
 * predictOffline and the window runner both cut with windowSpanFrames (meta.ts), so they agree.
 */
import { streamingKindOf } from '../architectures/index.js';
import { windowSpanFrames } from '../meta.js';
import type { StreamableModel } from './plan.js';

/** Frames of a segment's whole steps the result depends on: Infinity when all of them. */
export function resultSpanFrames(model: StreamableModel): number {
  return streamingKindOf(model.arch) === 'window' ? windowSpanFrames(model.meta) : Infinity;
}

/**
 * Frames the naive baseline (server/workers, mode 'naive') re-runs per hop: the attention
 * window for the fused architecture (what its head pools), the training span for the others.
 */
export function naiveWindowFrames(model: StreamableModel): number {
  const { meta } = model;
  return streamingKindOf(model.arch) === 'fused-recurrent' ? meta.windowSteps * meta.stepFrames : windowSpanFrames(meta);
}
