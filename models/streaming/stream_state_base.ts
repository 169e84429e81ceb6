/**
 * What every stream state shares, whichever runner steps it: the utterance counters of the
 * silence rule (segment.ts), the latest result, and the lifecycle (reset, dispose). Each
 * runner's state adds its own model state and says how a new segment clears it.
 */
import type { StreamableModel } from './plan.js';

export abstract class StreamStateBase {
  /** Consecutive unvoiced frames so far (see segment.ts). */
  silenceRun = 0;
  /** Frames fed to the model since the segment started (the segment cap's counter, segment.ts). */
  segmentFrames = 0;
  /** Frames received since creation / reset(). */
  framesSeen = 0;
  /** Frames absorbed by completed steps or dropped by a silence reset (≤ framesSeen). */
  framesConsumed = 0;
  /** The model's output after the segment's latest step; null before its first. */
  probs: Float32Array | null = null;

  protected constructor(readonly model: StreamableModel) {}

  /** Starts a new segment: the model state and the result are cleared. */
  abstract resetSegment(): void;

  /** Back to a fresh stream (also clears the silence counter and frame counts). */
  reset(): void {
    this.resetSegment();
    this.silenceRun = 0;
    this.segmentFrames = 0;
    this.framesSeen = 0;
    this.framesConsumed = 0;
  }

  /** Nothing to free (no tensors); present so streams follow one lifecycle. */
  dispose(): void {
    this.resetSegment();
  }
}
