/**
 * Per-model constants for the stateful runner (StreamingKind 'stateful', stateful_runner.ts),
 * built once per loaded model from the layers the architecture declares (statefulLayers):
 * - conv blocks as batch_conv.ts layers; inference batch-norm is an affine map per channel
 *   between the conv and the ReLU, so it is folded into the filter and bias
 *   (w' = w·s, b' = (b − mean)·s + β with s = γ / √(var + ε)): one fused matMul per layer;
 * - each LSTM in the one-kernel-per-step form of layer_plans.ts;
 * - the dense head on the host (per stream: H × D + D × C multiply-adds, cheaper in JS than
 *   a tfjs round trip).
 */
import { segmentRuleOf, type SegmentRule } from './segment_rule.js';
import type * as tf from '@tensorflow/tfjs';
import { statefulLayersOf } from '../architectures/index.js';
import { hyperInt, param } from '../architectures/types.js';
import { inverseStd } from '../meta.js';
import { BATCH_NORM_EPSILON } from '../ops/batch_norm.js';
import { fusedLstmPlan, tensorMaker, type ConvLayerPlan, type LstmPlan } from './layer_plans.js';
import type { StreamableModel } from './plan.js';
import { Scratch } from './workspace.js';

export interface StatefulPlan {
  numCoeffs: number;
  stepFrames: number;
  /** The utterance rule (segment.ts). */
  segments: SegmentRule;
  numClasses: number;
  mean: Float64Array;
  invStd: Float64Array;
  /** Conv blocks (batch-norm folded in); empty for a plain LSTM stack. */
  conv: ConvLayerPlan[];
  /** Stacked LSTMs, first to last; lstm[0].inChannels is stepFrames × numCoeffs without convs. */
  lstm: LstmPlan[];
  /** The dense head on the host: W1 [H × D], b1 [D], W [D × C], b [C], row-major. */
  dense1W: Float32Array;
  dense1B: Float32Array;
  outW: Float32Array;
  outB: Float32Array;
  denseUnits: number;
  /** Host buffers reused across calls; headScratch holds denseUnits + numClasses values. */
  scratch: Scratch;
  headScratch: Float64Array;
  /** Tensors the plan made, freed with it. */
  owned: tf.Tensor[];
}

const plans = new WeakMap<StreamableModel, StatefulPlan>();

/** The filter [kernel, Cin, Cout] and bias with inference batch-norm folded in (float64 arithmetic, float32 result). */
function foldBatchNorm(w: Float32Array, b: Float32Array, read: (name: string) => Float32Array, prefix: string): { w: Float32Array; b: Float32Array } {
  const gamma = read(`${prefix}.gamma`);
  const beta = read(`${prefix}.beta`);
  const mean = read(`${prefix}.movingMean`);
  const variance = read(`${prefix}.movingVariance`);
  const cOut = b.length;
  const scale = Array.from(gamma, (g, c) => g / Math.sqrt(variance[c]! + BATCH_NORM_EPSILON));
  return {
    w: w.map((x, k) => x * scale[k % cOut]!),
    b: b.map((x, c) => (x - mean[c]!) * scale[c]! + beta[c]!),
  };
}

function buildPlan(model: StreamableModel): StatefulPlan {
  const { meta, hyper } = model;
  const layers = statefulLayersOf(model);
  const owned: tf.Tensor[] = [];
  const maker = tensorMaker(owned);
  const read = (name: string): Float32Array => param(model, name).dataSync() as Float32Array;
  const numCoeffs = hyperInt(hyper, 'numCoeffs');

  let inChannels = numCoeffs;
  let rowsPerStep = meta.stepFrames;
  const conv = layers.conv.map((layer): ConvLayerPlan => {
    const filter = param(model, `${layer.name}.w`);
    const outChannels = filter.shape[2]!;
    if (filter.shape[0] !== layer.kernel || filter.shape[1] !== inChannels || rowsPerStep % layer.pool !== 0) {
      throw new Error(`stateful plan: expected ${layer.name}.w [${layer.kernel}, ${inChannels}, Cout] and ${rowsPerStep} rows per step divisible by pool ${layer.pool}, got [${filter.shape.join(', ')}]`);
    }
    let w = read(`${layer.name}.w`);
    let b = read(`${layer.name}.b`);
    if (layer.batchNorm !== null) ({ w, b } = foldBatchNorm(w, b, read, layer.batchNorm));
    const plan: ConvLayerPlan = {
      shape: { kernel: layer.kernel, stride: 1 },
      weight: maker.weight(w, layer.kernel * inChannels, outChannels),
      bias: maker.vector(b),
      inChannels,
      outChannels,
      contextRows: layer.kernel - 1,
      rowsPerStep,
      pool: layer.pool,
    };
    inChannels = outChannels;
    rowsPerStep /= layer.pool;
    return plan;
  });
  if (conv.length === 0) {
    // The step's frames stacked into one LSTM input row.
    inChannels = meta.stepFrames * numCoeffs;
  } else if (rowsPerStep !== 1) {
    throw new Error(`stateful plan: expected the pools to multiply to stepFrames = ${meta.stepFrames}, got ${meta.stepFrames / rowsPerStep}`);
  }

  const lstm = layers.lstm.map((prefix) => {
    const units = param(model, `${prefix}.wh`).shape[0]!;
    const layer = fusedLstmPlan(read(`${prefix}.wx`), read(`${prefix}.wh`), read(`${prefix}.b`), inChannels, units, maker);
    inChannels = units;
    return layer;
  });
  if (lstm.length === 0) throw new Error(`stateful plan: expected at least one LSTM in ${model.arch}, got none`);
  const denseUnits = hyperInt(hyper, 'denseUnits');
  const numClasses = hyperInt(hyper, 'numClasses');
  return {
    numCoeffs,
    stepFrames: meta.stepFrames,
    segments: segmentRuleOf(meta),
    numClasses,
    mean: Float64Array.from(meta.norm.mean),
    invStd: inverseStd(meta.norm),
    conv,
    lstm,
    dense1W: read('dense1.w'),
    dense1B: read('dense1.b'),
    outW: read('out.w'),
    outB: read('out.b'),
    denseUnits,
    scratch: new Scratch(),
    headScratch: new Float64Array(denseUnits + numClasses),
    owned,
  };
}

/** The model's stateful plan, built on first use. */
export function statefulPlan(model: StreamableModel): StatefulPlan {
  let plan = plans.get(model);
  if (plan === undefined) {
    plan = buildPlan(model);
    plans.set(model, plan);
  }
  return plan;
}

/** Frees the plan's tensors (called by LoadedModel.dispose). */
export function disposeStatefulPlan(model: StreamableModel): void {
  const plan = plans.get(model);
  if (plan === undefined) return;
  for (const t of plan.owned) t.dispose();
  plans.delete(model);
}
