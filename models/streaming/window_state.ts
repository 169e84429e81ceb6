/**
 * One stream's state for window recompute (StreamingKind 'window'): the normalised frames of
 * its current segment, newest last, in a preallocated buffer of spanFrames + stepFrames rows
 * (the newest span of whole steps plus a partial step). Plain typed arrays, no tensors.
 * Only the window runner mutates it.
 *
 * The buffer's first row always starts a step (the segment start, or a step boundary when
 * older rows were dropped), so its last `pendingFrames` rows are the partial step and the
 * rows before them are whole steps on the segment's grid.
 */
import { inverseStd, normalizeInto, windowSpanFrames } from '../meta.js';
import type { StreamableModel } from './plan.js';
import { StreamStateBase } from './stream_state_base.js';

export class WindowStreamState extends StreamStateBase {
  /** Normalised rows of the current segment, heldFrames × numCoeffs used. */
  readonly rows: Float32Array;
  heldFrames = 0;
  /** The last rows that do not yet make a whole step (< stepFrames). */
  pendingFrames = 0;
  readonly numCoeffs: number;
  readonly stepFrames: number;
  /** Whole-step frames the model sees at most (span.ts). */
  readonly spanFrames: number;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;

  constructor(model: StreamableModel) {
    super(model);
    const { meta } = model;
    this.numCoeffs = meta.featureConfig.numCoeffs;
    this.stepFrames = meta.stepFrames;
    this.spanFrames = windowSpanFrames(meta);
    this.rows = new Float32Array((this.spanFrames + this.stepFrames) * this.numCoeffs);
    this.mean = Float64Array.from(meta.norm.mean);
    this.invStd = inverseStd(meta.norm);
  }

  /**
   * Appends rows [from, from + count) of raw frames, normalised; drops the oldest whole steps
   * beyond the buffer. Returns the steps this completed.
   */
  append(frames: Float32Array, from: number, count: number): number {
    const f = this.numCoeffs;
    const capacity = this.spanFrames + this.stepFrames;
    const excess = this.heldFrames + count - capacity;
    // Whole steps only, so the first row keeps starting a step.
    const drop = excess > 0 ? Math.ceil(excess / this.stepFrames) * this.stepFrames : 0;
    if (drop >= this.heldFrames) {
      const skip = drop - this.heldFrames;
      normalizeInto(frames, from + skip, this.rows, 0, count - skip, this.mean, this.invStd);
      this.heldFrames = count - skip;
    } else {
      if (drop > 0) this.rows.copyWithin(0, drop * f, this.heldFrames * f);
      this.heldFrames -= drop;
      normalizeInto(frames, from, this.rows, this.heldFrames, count, this.mean, this.invStd);
      this.heldFrames += count;
    }
    const steps = Math.floor((this.pendingFrames + count) / this.stepFrames);
    this.pendingFrames = (this.pendingFrames + count) % this.stepFrames;
    return steps;
  }

  /** Discards the partial step (a pause past R frames started dropping frames). */
  dropPending(): void {
    this.heldFrames -= this.pendingFrames;
    this.pendingFrames = 0;
  }

  /** Whole-step frames the model runs on now: min(spanFrames, whole steps held). */
  get windowFrames(): number {
    return Math.min(this.spanFrames, this.heldFrames - this.pendingFrames);
  }

  /** Starts a new segment: no frames, no result. */
  resetSegment(): void {
    this.heldFrames = 0;
    this.pendingFrames = 0;
    this.probs = null;
  }
}
