/**
 * One stream's state for the stateful runner (StreamingKind 'stateful', stateful_runner.ts):
 * per conv block its left context, per LSTM its h and c, and the normalised frames of a
 * partial step. Plain typed arrays, no tensors: a stream costs a few KB. Only stepBatch
 * mutates it.
 */
import type { StreamableModel } from './plan.js';
import { statefulPlan } from './stateful_plan.js';
import { StreamStateBase } from './stream_state_base.js';

export class StatefulStreamState extends StreamStateBase {
  /** Per conv block: its last (kernel − 1) input rows × inChannels. */
  readonly convContext: Float32Array[];
  /** Normalised frames waiting for a full step (< stepFrames rows × numCoeffs). */
  readonly pending: Float32Array;
  pendingFrames = 0;
  /** Per LSTM layer: hidden and cell state. */
  readonly h: Float32Array[];
  readonly c: Float32Array[];
  /** Storage the head writes into, so a result costs no allocation besides the caller's copy. */
  readonly probsValues: Float32Array;

  constructor(model: StreamableModel) {
    super(model);
    const plan = statefulPlan(model);
    this.convContext = plan.conv.map((layer) => new Float32Array(layer.contextRows * layer.inChannels));
    this.pending = new Float32Array(plan.stepFrames * plan.numCoeffs);
    this.h = plan.lstm.map((layer) => new Float32Array(layer.units));
    this.c = plan.lstm.map((layer) => new Float32Array(layer.units));
    this.probsValues = new Float32Array(plan.numClasses);
  }

  /** Starts a new segment from zero state: contexts, pending frames, LSTM states, result. */
  resetSegment(): void {
    for (const ctx of this.convContext) ctx.fill(0);
    this.pendingFrames = 0;
    for (const h of this.h) h.fill(0);
    for (const c of this.c) c.fill(0);
    this.probs = null;
  }
}
