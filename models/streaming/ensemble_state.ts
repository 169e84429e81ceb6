/**
 * One stream's state for an ensemble: a state per member, each made and stepped by that
 * member's runner on the same frames. The members share the step grid and the utterance
 * rule, so their counters agree; member 0's are the stream's.
 */
import type { StreamableModel } from './plan.js';
import type { StreamStateBase } from './step_types.js';

export class EnsembleStreamState<S extends StreamStateBase> implements StreamStateBase {
  /** The ensemble's result after the latest step; null before the segment's first. */
  probs: Float32Array | null = null;

  constructor(
    readonly model: StreamableModel,
    readonly members: readonly S[],
  ) {
    if (members.length === 0) throw new Error('ensemble stream: expected at least one member state, got none');
  }

  private get first(): S {
    return this.members[0]!;
  }

  get pendingFrames(): number {
    return this.first.pendingFrames;
  }

  get silenceRun(): number {
    return this.first.silenceRun;
  }

  get framesSeen(): number {
    return this.first.framesSeen;
  }

  get framesConsumed(): number {
    return this.first.framesConsumed;
  }

  reset(): void {
    for (const m of this.members) m.reset();
    this.probs = null;
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
    this.probs = null;
  }
}
