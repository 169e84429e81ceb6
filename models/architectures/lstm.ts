/**
 * lstm (comparison baseline): two stacked LSTMs over MFCC frames, the last output through a
 * dense head. `frameStride` stacks consecutive frames into one input step to halve the
 * sequential steps (each step is a handful of tfjs ops).
 */
import * as tf from '@tensorflow/tfjs';
import { lstmSequence } from '../ops/lstm.js';
import { stepMasks } from '../ops/mask.js';
import { denseHead, initDenseHead, initLstmStack, maskAt, maybeDropout } from './common.js';
import { lstmWeights } from './cnn_attn_lstm.js';
import { hyperInt, hyperList, hyperNum, type Architecture, type Hyper, type ParamSpec } from './types.js';

export const LSTM_DEFAULTS: Hyper = {
  numCoeffs: 20,
  numClasses: 8,
  /** Frames stacked per LSTM step, ≥ 1 (2 → 50 Hz). */
  frameStride: 2,
  /** Units of each stacked LSTM. */
  lstmUnits: [64, 64],
  denseUnits: 32,
  /** Dropout rate in [0, 1) between layers (training only). */
  dropout: 0.2,
};

export const lstmArch: Architecture = {
  name: 'lstm',
  defaults: LSTM_DEFAULTS,
  /** Stateful stepping: each stream carries every layer's h and c (see StreamingKind). */
  streaming: 'stateful',
  statefulLayers: (hyper) => ({ conv: [], lstm: hyperList(hyper, 'lstmUnits').map((_, i) => `lstm${i}`) }),
  validate(hyper) {
    for (const name of ['numCoeffs', 'numClasses', 'frameStride', 'denseUnits']) {
      if (hyperInt(hyper, name) < 1) throw new Error(`hyper.${name}: expected ≥ 1, got ${hyper[name]}`);
    }
    if (hyperList(hyper, 'lstmUnits').length < 1) throw new Error('hyper.lstmUnits: expected ≥ 1 layer, got 0');
    const dropout = hyperNum(hyper, 'dropout');
    if (dropout < 0 || dropout >= 1) throw new Error(`hyper.dropout: expected a rate in [0, 1), got ${dropout}`);
  },
  stepFrames: (hyper) => hyperInt(hyper, 'frameStride'),
  windowSteps: () => 1,
  init(hyper, random) {
    const out: Record<string, ParamSpec> = {};
    let inputs = hyperInt(hyper, 'numCoeffs') * hyperInt(hyper, 'frameStride');
    inputs = initLstmStack(hyperList(hyper, 'lstmUnits'), inputs, random, out);
    initDenseHead(inputs, hyperInt(hyper, 'denseUnits'), hyperInt(hyper, 'numClasses'), random, out);
    return out;
  },
  forward(model, x, options) {
    const { hyper } = model;
    const stride = hyperInt(hyper, 'frameStride');
    const dropout = hyperNum(hyper, 'dropout');
    const [batch, frames, coeffs] = x.shape;
    if (frames % stride !== 0) throw new Error(`lstm: expected frames divisible by ${stride}, got ${frames}`);
    const inputMask = maskAt(x, options, 1);
    let y = tf.reshape(inputMask === null ? x : tf.mul(x, inputMask), [batch, frames / stride, coeffs * stride]) as tf.Tensor3D;
    const mask = maskAt(x, options, stride);
    const masks = mask === null ? undefined : stepMasks(mask);
    hyperList(hyper, 'lstmUnits').forEach((_, i) => {
      y = lstmSequence(y, lstmWeights(model, `lstm${i}`), masks);
      y = maybeDropout(y, dropout, options, 10 + i) as tf.Tensor3D;
    });
    const last = tf.reshape(tf.slice(y, [0, y.shape[1] - 1, 0], [batch, 1, y.shape[2]]), [batch, y.shape[2]]);
    return denseHead(model, last as tf.Tensor2D, options, dropout);
  },
};
