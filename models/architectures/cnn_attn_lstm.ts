/**
 * cnn-attn-lstm (default): causal strided Conv1D blocks 100 Hz → 12.5 Hz, one LSTM, additive
 * attention over the last `windowSteps` LSTM outputs (~3 s), ReLU dense, linear logits.
 *
 * Compute at the defaults, per second of audio (multiply-adds × 2):
 * conv 20→32 k4 s2 @50 Hz 0.26 M + 32→32 k4 s2 @25 Hz 0.20 M + 32→32 k4 s2 @12.5 Hz 0.10 M,
 * LSTM 48 @12.5 Hz 0.38 M, attention keys 0.04 M ≈ 1.0 MFLOP/s; the dense head runs once per
 * result, not per step.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionPool, attentionPoolEveryStep, type AttentionWeights } from '../ops/attention.js';
import { glorot, constant, lstmBias } from '../ops/init.js';
import { lstmSequence, type LstmWeights } from '../ops/lstm.js';
import { stepMasks } from '../ops/mask.js';
import { convShapes, convStack, denseHead, initConvStack, initDenseHead, maskAt, maybeDropout } from './common.js';
import { hasStatsHead, initStatsHead, STATS_SUM_FLOPS_PER_COEFF, validateStatsHead, withStatsLogits, withStatsLogitsEveryStep } from './stats_head.js';
import { hyperInt, hyperNum, param, type Architecture, type ForwardOptions, type Hyper, type ModelLike, type ParamSpec } from './types.js';

export const CNN_ATTN_LSTM_DEFAULTS: Hyper = {
  /** MFCC coefficients per frame. */
  numCoeffs: 20,
  /** Output classes. */
  numClasses: 8,
  /** Per conv layer: taps (a multiple of the stride), stride, output channels. */
  convKernels: [4, 4, 4],
  convStrides: [2, 2, 2],
  convChannels: [32, 32, 32],
  /** LSTM units, 16–128. */
  lstmUnits: 48,
  /** Attention key size, 8–64. */
  attentionUnits: 32,
  /** Steps pooled by attention: 37 steps × 80 ms ≈ 3 s. */
  windowSteps: 37,
  /** Hidden units of the dense head. */
  denseUnits: 32,
  /** Dropout rate in [0, 1) after each conv, on LSTM outputs and in the head (training only). */
  dropout: 0.2,
};

export function lstmWeights(model: ModelLike, prefix = 'lstm'): LstmWeights {
  return {
    wx: param(model, `${prefix}.wx`) as tf.Tensor2D,
    wh: param(model, `${prefix}.wh`) as tf.Tensor2D,
    b: param(model, `${prefix}.b`) as tf.Tensor1D,
  };
}

export function attentionWeights(model: ModelLike): AttentionWeights {
  return {
    w: param(model, 'attn.w') as tf.Tensor2D,
    b: param(model, 'attn.b') as tf.Tensor1D,
    v: param(model, 'attn.v') as tf.Tensor2D,
  };
}

function stepFrames(hyper: Hyper): number {
  return convShapes(hyper).shapes.reduce((f, s) => f * s.stride, 1);
}

/** Conv stack → LSTM (→ dropout): the per-step outputs the attention head pools, and the step mask. */
function encode(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions): { hs: tf.Tensor3D; mask: tf.Tensor3D | null } {
  const dropout = hyperNum(model.hyper, 'dropout');
  const features = convStack(model, x, options, dropout);
  const mask = maskAt(x, options, stepFrames(model.hyper));
  const hs = lstmSequence(features, lstmWeights(model), mask === null ? undefined : stepMasks(mask));
  return { hs: maybeDropout(hs, dropout, options, 50) as tf.Tensor3D, mask };
}

export const cnnAttnLstm: Architecture = {
  name: 'cnn-attn-lstm',
  defaults: CNN_ATTN_LSTM_DEFAULTS,
  validate(hyper) {
    convShapes(hyper);
    for (const name of ['numCoeffs', 'numClasses', 'lstmUnits', 'attentionUnits', 'windowSteps', 'denseUnits']) {
      if (hyperInt(hyper, name) < 1) throw new Error(`hyper.${name}: expected ≥ 1, got ${hyper[name]}`);
    }
    const dropout = hyperNum(hyper, 'dropout');
    if (dropout < 0 || dropout >= 1) throw new Error(`hyper.dropout: expected a rate in [0, 1), got ${dropout}`);
    validateStatsHead(hyper);
  },
  stepFrames,
  windowSteps: (hyper) => hyperInt(hyper, 'windowSteps'),
  init(hyper, random) {
    const out: Record<string, ParamSpec> = {};
    const cLast = initConvStack(hyper, hyperInt(hyper, 'numCoeffs'), random, out);
    const units = hyperInt(hyper, 'lstmUnits');
    const attn = hyperInt(hyper, 'attentionUnits');
    out['lstm.wx'] = glorot([cLast, 4 * units], cLast, 4 * units, random);
    out['lstm.wh'] = glorot([units, 4 * units], units, 4 * units, random);
    out['lstm.b'] = lstmBias(units);
    out['attn.w'] = glorot([units, attn], units, attn, random);
    out['attn.b'] = constant([attn], 0);
    out['attn.v'] = glorot([attn, 1], attn, 1, random);
    initDenseHead(units, hyperInt(hyper, 'denseUnits'), hyperInt(hyper, 'numClasses'), random, out);
    initStatsHead(hyper, random, out);
    return out;
  },
  forward(model, x, options) {
    const { hs, mask } = encode(model, x, options);
    const context = attentionPool(hs, attentionWeights(model), hyperInt(model.hyper, 'windowSteps'), mask ?? undefined);
    return withStatsLogits(model, x, options, denseHead(model, context, options, hyperNum(model.hyper, 'dropout')));
  },
  forwardSteps(model, x, options) {
    const { hs, mask } = encode(model, x, options);
    const contexts = attentionPoolEveryStep(hs, attentionWeights(model), hyperInt(model.hyper, 'windowSteps'), mask ?? undefined);
    const [batch, steps, units] = contexts.shape;
    const logits = denseHead(model, tf.reshape(contexts, [batch * steps, units]), options, hyperNum(model.hyper, 'dropout'));
    const perStep = tf.reshape(logits, [batch, steps, hyperInt(model.hyper, 'numClasses')]) as tf.Tensor3D;
    return withStatsLogitsEveryStep(model, x, options, perStep, stepFrames(model.hyper));
  },
};

/**
 * Multiply-adds × 2 per second of audio of the per-step work (conv stack, LSTM, attention
 * keys, the stats head's running sums) at a 100 Hz frame rate; the dense head and the stats
 * head's linear layer run per result and are left out.
 */
export function flopsPerAudioSecond(hyper: Hyper, frameRateHz = 100): number {
  const { shapes, channels } = convShapes(hyper);
  let rateHz = frameRateHz;
  let cIn = hyperInt(hyper, 'numCoeffs');
  let flops = 0;
  shapes.forEach((shape, i) => {
    rateHz /= shape.stride;
    flops += 2 * rateHz * shape.kernel * cIn * channels[i]!;
    cIn = channels[i]!;
  });
  const units = hyperInt(hyper, 'lstmUnits');
  flops += 2 * rateHz * (cIn + units) * 4 * units;
  flops += 2 * rateHz * units * (hyperInt(hyper, 'attentionUnits') + 1);
  // Stats head: per frame and coefficient, sum and sum of squares of the value and its delta.
  if (hasStatsHead(hyper)) flops += frameRateHz * STATS_SUM_FLOPS_PER_COEFF * hyperInt(hyper, 'numCoeffs');
  return flops;
}
