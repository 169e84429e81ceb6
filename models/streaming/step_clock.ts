/**
 * The model's step grid, tracked from the voiced flags alone (no model, no tensors), so a
 * caller that does not own the StreamState — the server's main thread, which cuts hops —
 * knows exactly what stepBatch has consumed and when the next step can complete.
 *
 * It mirrors the utterance rule of segment.ts frame by frame (R = resetAfterSilenceFrames,
 * M = maxSegmentFrames):
 * - a voiced frame after a run of ≥ R unvoiced frames, or after M fed frames of the segment,
 *   resets the segment: the pending partial step is discarded and the grid re-aligns on that frame;
 * - unvoiced frame R + 1 of a run and later ones are dropped with the pending partial step;
 * - every other frame is fed, and each stepFrames-th fed frame of a segment completes a step.
 * stepBatch's framesConsumed is framesSeen − pendingFrames after any chunking of the same
 * flags, because a chunk's last reset / first drop leave the same pending count as this
 * frame-by-frame walk (test/models/streaming_runner.test.ts checks it on random patterns).
 */
import { startsSegment, type SegmentRule } from './segment_rule.js';

export interface StepRule extends SegmentRule {
  /** Frames per model step, ≥ 1 (meta.stepFrames). */
  stepFrames: number;
}

export interface StepClock {
  /** Consecutive unvoiced frames at the end of the stream so far. */
  readonly silenceRun: number;
  /** Frames fed since the segment started. */
  readonly segmentFrames: number;
  /** Frames fed but not yet in a completed step (< stepFrames). */
  readonly pendingFrames: number;
  /** Frames seen since the stream began. */
  readonly framesSeen: number;
}

export const START_CLOCK: StepClock = { silenceRun: 0, segmentFrames: 0, pendingFrames: 0, framesSeen: 0 };

/** The clock after one more frame with voiced flag `voiced` (0 or 1). */
export function tickStepClock(clock: StepClock, voiced: number, rule: StepRule): StepClock {
  const framesSeen = clock.framesSeen + 1;
  if (voiced !== 0) {
    // A reset discards the pending partial step; this frame is the segment's first.
    const reset = startsSegment(clock.silenceRun, clock.segmentFrames, rule);
    const before = reset ? 0 : clock.pendingFrames;
    return { silenceRun: 0, segmentFrames: reset ? 1 : clock.segmentFrames + 1, pendingFrames: (before + 1) % rule.stepFrames, framesSeen };
  }
  const silenceRun = clock.silenceRun + 1;
  if (silenceRun > rule.resetAfterSilenceFrames) return { silenceRun, segmentFrames: clock.segmentFrames, pendingFrames: 0, framesSeen };
  return { silenceRun, segmentFrames: clock.segmentFrames + 1, pendingFrames: (clock.pendingFrames + 1) % rule.stepFrames, framesSeen };
}

/** The clock after `voiced` (one flag per frame), in order. */
export function advanceStepClock(clock: StepClock, voiced: Uint8Array, rule: StepRule): StepClock {
  let next = clock;
  for (const v of voiced) next = tickStepClock(next, v, rule);
  return next;
}

/** Frames absorbed by completed steps or dropped — what stepBatch reports as framesConsumed. */
export function framesConsumedBy(clock: StepClock): number {
  return clock.framesSeen - clock.pendingFrames;
}

/**
 * Fewest further frames after which another model step can complete. Resets and drops only
 * postpone it (both empty the pending step), so fewer frames than this can never complete one.
 */
export function framesToNextStep(clock: StepClock, rule: StepRule): number {
  return rule.stepFrames - clock.pendingFrames;
}
