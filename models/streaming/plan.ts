/**
 * Per-model constants for the streaming runner, built once per loaded model.
 *
 * Every tfjs kernel call costs microseconds of dispatch, while the arithmetic of a streaming
 * step is small, so the plan rewrites the network into an equivalent form with few kernels:
 * - LSTM: Wx is stacked over Wh, so a step is ONE matMul of [x_t, h_{t−1}]; its g-gate
 *   columns (and bias) are doubled, so one fused sigmoid over all 4H columns yields i, f, o
 *   and σ(2z), and g = tanh(z) = 2σ(2z) − 1 on the host, where the cell update runs.
 * - Attention: keys' = σ(2W·h + 2b) in one fused matMul; score = (2v)·keys' − Σv. The
 *   constant −Σv is added on the host, so stored scores equal the offline ones.
 * - Dense head: its first layer is linear before the ReLU and the attention weights sum to
 *   one, so W1ᵀ(Σ a_t h_t) = Σ a_t (W1ᵀ h_t). Each LSTM output is projected once, by tfjs,
 *   in the same round trip as its attention score, and the window keeps the projections;
 *   the head then runs on the host per stream over windowSteps × denseUnits values.
 */
import { segmentRuleOf, type SegmentRule } from './segment_rule.js';
import type * as tf from '@tensorflow/tfjs';
import { convShapes } from '../architectures/common.js';
import { hasStatsCount, hasStatsHead, netRampFramesOf, statsHiddenOf, statsInputsOf } from '../architectures/stats_head.js';
import { hyperInt, param, type ModelLike } from '../architectures/types.js';
import { contextSize } from '../ops/conv1d.js';
import { inverseStd, windowSpanFrames, type ModelMeta } from '../meta.js';
import { fusedLstmPlan, tensorMaker, type ConvLayerPlan, type LstmPlan } from './layer_plans.js';
import { Scratch } from './workspace.js';
import type { SpeakerNormConfig } from './speaker_reference.js';

export type { ConvLayerPlan, LstmPlan } from './layer_plans.js';

export interface AttentionPlan {
  /** 2W [1, H, A], 2b [A], 2v [1, A, 1]. */
  w: tf.Tensor3D;
  b: tf.Tensor1D;
  v: tf.Tensor3D;
  /** −Σv, added to every score on the host. */
  scoreShift: number;
}

export interface StreamingPlan {
  numCoeffs: number;
  stepFrames: number;
  windowSteps: number;
  /** The utterance rule (segment.ts). */
  segments: SegmentRule;
  units: number;
  numClasses: number;
  mean: Float64Array;
  invStd: Float64Array;
  conv: ConvLayerPlan[];
  lstm: LstmPlan;
  attention: AttentionPlan;
  /** The head's first layer, [1, H, D], applied to each LSTM output by tfjs. */
  dense1W: tf.Tensor3D;
  /** The rest of the head on the host: [D], [D × C] row-major, [C]. */
  dense1B: Float32Array;
  outW: Float32Array;
  outB: Float32Array;
  denseUnits: number;
  /**
   * The stats head on the host (stats_head.ts), weights TRANSPOSED so each output is one
   * contiguous dot product: optional hidden layer w1T [H × D], b1 [H]; output wT [C × (H or
   * D)], b [C], D = 4F (+ 1 with the count); scratch for the inputs and hidden units. The
   * hidden layer also as tensors (w1 [1, D, H], b1 [H]) for many streams in one matMul (stats_batch.ts).
   */
  stats: {
    w1T: Float64Array | null;
    b1: Float32Array | null;
    w1Tensor: tf.Tensor3D | null;
    b1Tensor: tf.Tensor1D | null;
    wT: Float64Array;
    b: Float32Array;
    scratch: Float64Array;
    /** The head reads the count feature after the statistics (hyper statsCount). */
    count: boolean;
    /** The network's logits ramp in over this many voiced frames (hyper netRampFrames); 0: no ramp. */
    netRampFrames: number;
    hidden: Float64Array;
    /** Each stream's speaker reference is built from this (meta.speakerNorm); null: none. */
    speakerNorm: SpeakerNormConfig | null;
    /** The statistics cover at most this many of a segment's newest frames: the training span (span.ts). */
    windowFrames: number;
  } | null;
  /** Host buffers reused across calls; headScratch holds denseUnits + numClasses float64 values. */
  scratch: Scratch;
  headScratch: Float64Array;
  /** Tensors the plan created, freed with it. */
  owned: tf.Tensor[];
}

export interface StreamableModel extends ModelLike {
  meta: ModelMeta;
}

const plans = new WeakMap<StreamableModel, StreamingPlan>();

/** [rows × cols] row-major → [cols × rows] row-major, in float64. */
function transpose(values: Float32Array, cols: number): Float64Array {
  const rows = values.length / cols;
  const out = new Float64Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

function buildPlan(model: StreamableModel): StreamingPlan {
  if (model.arch !== 'cnn-attn-lstm') {
    throw new Error(`streaming: expected a cnn-attn-lstm model, got ${model.arch} (use predictOffline for it)`);
  }
  const { meta, hyper } = model;
  const { shapes, channels } = convShapes(hyper);
  const owned: tf.Tensor[] = [];
  const maker = tensorMaker(owned);
  const { weight, vector } = maker;
  const read = (name: string): Float32Array => param(model, name).dataSync() as Float32Array;

  let inChannels = hyperInt(hyper, 'numCoeffs');
  let rowsPerStep = meta.stepFrames;
  const conv = shapes.map((shape, i): ConvLayerPlan => {
    const outChannels = channels[i]!;
    const layer = {
      shape,
      weight: weight(read(`conv${i}.w`), shape.kernel * inChannels, outChannels),
      bias: param(model, `conv${i}.b`) as tf.Tensor1D,
      inChannels,
      outChannels,
      contextRows: contextSize(shape),
      rowsPerStep,
      pool: 1,
    };
    inChannels = outChannels;
    rowsPerStep /= shape.stride;
    return layer;
  });
  if (rowsPerStep !== 1) {
    throw new Error(`streaming: expected the conv strides to multiply to stepFrames = ${meta.stepFrames}, got ${meta.stepFrames / rowsPerStep}`);
  }

  const units = hyperInt(hyper, 'lstmUnits');
  const lstm = fusedLstmPlan(read('lstm.wx'), read('lstm.wh'), read('lstm.b'), inChannels, units, maker);

  const attentionUnits = hyperInt(hyper, 'attentionUnits');
  const v = read('attn.v');
  const attention: AttentionPlan = {
    w: weight(read('attn.w').map((x) => 2 * x), units, attentionUnits),
    b: vector(read('attn.b').map((x) => 2 * x)),
    v: weight(v.map((x) => 2 * x), attentionUnits, 1),
    scoreShift: -v.reduce((a, x) => a + x, 0),
  };
  const denseUnits = hyperInt(hyper, 'denseUnits');

  return {
    numCoeffs: hyperInt(hyper, 'numCoeffs'),
    stepFrames: meta.stepFrames,
    windowSteps: meta.windowSteps,
    segments: segmentRuleOf(meta),
    units,
    numClasses: hyperInt(hyper, 'numClasses'),
    mean: Float64Array.from(meta.norm.mean),
    invStd: inverseStd(meta.norm),
    conv,
    lstm,
    attention,
    dense1W: weight(read('dense1.w'), units, denseUnits),
    dense1B: read('dense1.b'),
    outW: read('out.w'),
    outB: read('out.b'),
    denseUnits,
    stats: hasStatsHead(hyper)
      ? {
          w1T: statsHiddenOf(hyper) > 0 ? transpose(read('stats.w1'), statsHiddenOf(hyper)) : null,
          b1: statsHiddenOf(hyper) > 0 ? read('stats.b1') : null,
          w1Tensor: statsHiddenOf(hyper) > 0 ? weight(read('stats.w1'), statsInputsOf(hyper), statsHiddenOf(hyper)) : null,
          b1Tensor: statsHiddenOf(hyper) > 0 ? vector(read('stats.b1')) : null,
          wT: transpose(read('stats.w'), hyperInt(hyper, 'numClasses')),
          b: read('stats.b'),
          scratch: new Float64Array(statsInputsOf(hyper)),
          count: hasStatsCount(hyper),
          netRampFrames: netRampFramesOf(hyper),
          hidden: new Float64Array(statsHiddenOf(hyper)),
          speakerNorm: meta.speakerNorm ?? null,
          windowFrames: windowSpanFrames(meta),
        }
      : null,
    scratch: new Scratch(),
    headScratch: new Float64Array(denseUnits + hyperInt(hyper, 'numClasses')),
    owned,
  };
}

/** The model's streaming plan, built on first use. */
export function streamingPlan(model: StreamableModel): StreamingPlan {
  let plan = plans.get(model);
  if (plan === undefined) {
    plan = buildPlan(model);
    plans.set(model, plan);
  }
  return plan;
}

/** Frees the plan's tensors (called by LoadedModel.dispose). */
export function disposeStreamingPlan(model: StreamableModel): void {
  const plan = plans.get(model);
  if (plan === undefined) return;
  for (const t of plan.owned) t.dispose();
  plans.delete(model);
}
