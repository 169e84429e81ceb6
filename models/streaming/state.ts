/**
 * One stream's recurrent state for the fused runner (cnn-attn-lstm): plain typed arrays, no tensors, so a stream costs a few KB
 * and can be created, reset and dropped freely. Only stepBatch mutates it.
 */
import { streamingPlan, type StreamableModel } from './plan.js';
import { RunningStats } from './running_stats.js';
import { SpeakerReference, type SpeakerNormConfig } from './speaker_reference.js';
import { StreamStateBase } from './stream_state_base.js';

export class FusedStreamState extends StreamStateBase {
  /** Per conv layer: the last (kernel − stride) inputs of that layer, rows × inChannels. */
  readonly convContext: Float32Array[];
  /** Normalised frames waiting for a full step (< stepFrames rows × numCoeffs). */
  readonly pending: Float32Array;
  pendingFrames = 0;
  /** Voiced flags of the pending frames. */
  readonly pendingVoiced: Uint8Array;
  /** Utterance statistics of the segment's newest stepped frames (stats head); null without one. */
  readonly stats: RunningStats | null;
  /** LSTM hidden and cell state. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  /**
   * Attention ring: per step, the LSTM output through the head's first weight matrix
   * (windowSteps × denseUnits; see plan.ts) and its attention score.
   */
  readonly ringProjected: Float32Array;
  readonly ringScores: Float32Array;
  /** Valid ring entries (≤ windowSteps) and the slot the next step writes. */
  ringCount = 0;
  ringNext = 0;
  /** Storage the head writes into, so a result costs no allocation besides the caller's copy. */
  readonly probsValues: Float32Array;

  constructor(
    model: StreamableModel,
    dims: {
      contextSizes: number[];
      pendingSize: number;
      stepFrames: number;
      units: number;
      windowSteps: number;
      ringWidth: number;
      numClasses: number;
      statsCoeffs: number | null;
      speakerNorm: SpeakerNormConfig | null;
      statsWindowFrames: number;
    },
  ) {
    super(model);
    this.convContext = dims.contextSizes.map((n) => new Float32Array(n));
    this.pending = new Float32Array(dims.pendingSize);
    this.pendingVoiced = new Uint8Array(dims.stepFrames);
    this.stats = dims.statsCoeffs === null ? null : new RunningStats(dims.statsCoeffs, dims.speakerNorm === null ? null : new SpeakerReference(dims.speakerNorm), dims.statsWindowFrames);
    this.h = new Float32Array(dims.units);
    this.c = new Float32Array(dims.units);
    this.ringProjected = new Float32Array(dims.windowSteps * dims.ringWidth);
    this.ringScores = new Float32Array(dims.windowSteps);
    this.probsValues = new Float32Array(dims.numClasses);
  }

  /** Starts a new segment: clears context, pending frames, LSTM state and window. */
  resetSegment(): void {
    for (const ctx of this.convContext) ctx.fill(0);
    this.pendingFrames = 0;
    this.h.fill(0);
    this.c.fill(0);
    this.ringCount = 0;
    this.ringNext = 0;
    this.stats?.reset();
    this.probs = null;
  }

  /** Back to a fresh stream: the speaker reference starts empty again. */
  override reset(): void {
    super.reset();
    this.stats?.forgetSpeaker();
  }
}

/** A fresh state for one stream of `model` (cnn-attn-lstm). */
export function createFusedStreamState(model: StreamableModel): FusedStreamState {
  const plan = streamingPlan(model);
  return new FusedStreamState(model, {
    contextSizes: plan.conv.map((layer) => layer.contextRows * layer.inChannels),
    pendingSize: plan.stepFrames * plan.numCoeffs,
    stepFrames: plan.stepFrames,
    units: plan.units,
    windowSteps: plan.windowSteps,
    ringWidth: plan.denseUnits,
    numClasses: plan.numClasses,
    statsCoeffs: plan.stats === null ? null : plan.numCoeffs,
    speakerNorm: plan.stats?.speakerNorm ?? null,
    statsWindowFrames: plan.stats?.windowFrames ?? Infinity,
  });
}
