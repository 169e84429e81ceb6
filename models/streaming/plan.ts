/**
 * Per-model constants for the streaming runner, built once per loaded model.
 *
 * tfjs-wasm's tanh is several times slower than its sigmoid and every kernel call costs
 * tens of µs, so the plan rewrites the network into an equivalent form with fewer, cheaper
 * kernels, using tanh(z) = 2·σ(2z) − 1:
 * - LSTM: the g-gate columns of wx, wh and b are doubled, so one sigmoid over all 4H
 *   columns followed by the affine map (×[1,1,1,2], +[0,0,0,−1]) yields i, f, o and g.
 * - Attention: keys' = σ(2W·h + 2b) in one fused matMul; score = (2v)·keys' − Σv. The
 *   constant −Σv is added on the host, so stored scores equal the offline ones.
 * - The dense head runs on the host (JS arrays), per stream, over ≤ windowSteps entries.
 */
import * as tf from '@tensorflow/tfjs';
import { convShapes } from '../architectures/common.js';
import { hyperInt, param, type ModelLike } from '../architectures/types.js';
import { contextSize, type ConvShape } from '../ops/conv1d.js';
import { inverseStd, type ModelMeta } from '../meta.js';

export interface ConvLayerPlan {
  shape: ConvShape;
  /** [kernel·Cin, Cout]: the filter flattened in im2col's (tap, channel) order. */
  weight2d: tf.Tensor2D;
  bias: tf.Tensor1D;
  inChannels: number;
  outChannels: number;
  /** Left-context rows the layer keeps per stream (kernel − stride). */
  contextRows: number;
  /** Input rows per model step. */
  rowsPerStep: number;
}

export interface LstmPlan {
  /** [In, 4H], [H, 4H], [4H] with the g-gate columns doubled. */
  wx: tf.Tensor2D;
  wh: tf.Tensor2D;
  b: tf.Tensor1D;
  /** Per-column affine map after the sigmoid: σ·gateScale + gateShift → (i, f, o, g). */
  gateScale: tf.Tensor1D;
  gateShift: tf.Tensor1D;
}

export interface AttentionPlan {
  /** 2W [H, A], 2b [A], 2v [A, 1]. */
  w: tf.Tensor2D;
  b: tf.Tensor1D;
  v: tf.Tensor2D;
  /** −Σv, added to every score on the host. */
  scoreShift: number;
}

export interface StreamingPlan {
  numCoeffs: number;
  stepFrames: number;
  windowSteps: number;
  resetAfterSilenceFrames: number;
  units: number;
  numClasses: number;
  mean: Float64Array;
  invStd: Float64Array;
  conv: ConvLayerPlan[];
  lstm: LstmPlan;
  attention: AttentionPlan;
  /** Dense head on the host: [H × D], [D], [D × C], [C], row-major. */
  dense1W: Float32Array;
  dense1B: Float32Array;
  outW: Float32Array;
  outB: Float32Array;
  denseUnits: number;
  /** Tensors the plan created, freed with it. */
  owned: tf.Tensor[];
}

export interface StreamableModel extends ModelLike {
  meta: ModelMeta;
}

const plans = new WeakMap<StreamableModel, StreamingPlan>();

/** Copy of a [rows, cols] matrix (or [cols] vector) with columns [from, to) multiplied by `factor`. */
function scaleColumns(values: Float32Array, cols: number, from: number, to: number, factor: number): Float32Array {
  const out = Float32Array.from(values);
  for (let r = 0; r < out.length / cols; r++) {
    for (let c = from; c < to; c++) out[r * cols + c]! *= factor;
  }
  return out;
}

function buildPlan(model: StreamableModel): StreamingPlan {
  if (model.arch !== 'cnn-attn-lstm') {
    throw new Error(`streaming: expected a cnn-attn-lstm model, got ${model.arch} (use predictOffline for it)`);
  }
  const { meta, hyper } = model;
  const { shapes, channels } = convShapes(hyper);
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const read = (name: string): Float32Array => param(model, name).dataSync() as Float32Array;

  let inChannels = hyperInt(hyper, 'numCoeffs');
  let rowsPerStep = meta.stepFrames;
  const conv = shapes.map((shape, i): ConvLayerPlan => {
    const outChannels = channels[i]!;
    const layer = {
      shape,
      weight2d: own(tf.tensor2d(read(`conv${i}.w`), [shape.kernel * inChannels, outChannels])),
      bias: param(model, `conv${i}.b`) as tf.Tensor1D,
      inChannels,
      outChannels,
      contextRows: contextSize(shape),
      rowsPerStep,
    };
    inChannels = outChannels;
    rowsPerStep /= shape.stride;
    return layer;
  });

  const units = hyperInt(hyper, 'lstmUnits');
  const fourH = 4 * units;
  const scale = new Float32Array(fourH).fill(1).fill(2, 3 * units);
  const shift = new Float32Array(fourH).fill(0).fill(-1, 3 * units);
  const lstm: LstmPlan = {
    wx: own(tf.tensor2d(scaleColumns(read('lstm.wx'), fourH, 3 * units, fourH, 2), [inChannels, fourH])),
    wh: own(tf.tensor2d(scaleColumns(read('lstm.wh'), fourH, 3 * units, fourH, 2), [units, fourH])),
    b: own(tf.tensor1d(scaleColumns(read('lstm.b'), fourH, 3 * units, fourH, 2))),
    gateScale: own(tf.tensor1d(scale)),
    gateShift: own(tf.tensor1d(shift)),
  };

  const attentionUnits = hyperInt(hyper, 'attentionUnits');
  const v = read('attn.v');
  const attention: AttentionPlan = {
    w: own(tf.tensor2d(read('attn.w').map((x) => 2 * x), [units, attentionUnits])),
    b: own(tf.tensor1d(read('attn.b').map((x) => 2 * x))),
    v: own(tf.tensor2d(v.map((x) => 2 * x), [attentionUnits, 1])),
    scoreShift: -v.reduce((a, x) => a + x, 0),
  };

  return {
    numCoeffs: hyperInt(hyper, 'numCoeffs'),
    stepFrames: meta.stepFrames,
    windowSteps: meta.windowSteps,
    resetAfterSilenceFrames: meta.resetAfterSilenceFrames,
    units,
    numClasses: hyperInt(hyper, 'numClasses'),
    mean: Float64Array.from(meta.norm.mean),
    invStd: inverseStd(meta.norm),
    conv,
    lstm,
    attention,
    dense1W: read('dense1.w'),
    dense1B: read('dense1.b'),
    outW: read('out.w'),
    outB: read('out.b'),
    denseUnits: hyperInt(hyper, 'denseUnits'),
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
