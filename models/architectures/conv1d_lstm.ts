/**
 * conv1d-lstm (comparison baseline): causal Conv1D + batch-norm + ReLU + max-pool blocks
 * feeding stacked LSTMs; the last output goes through a dense head. Batch-norm uses batch
 * statistics in training (moving averages updated when ForwardOptions.batchNormMomentum is
 * set) and the moving averages at inference.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm } from '../ops/batch_norm.js';
import { causalConv1d } from '../ops/conv1d.js';
import { constant } from '../ops/init.js';
import { lstmSequence } from '../ops/lstm.js';
import { stepMasks } from '../ops/mask.js';
import { maxPoolTime } from '../ops/pool.js';
import { denseHead, initConvStack, initDenseHead, initLstmStack, maskAt, maybeDropout } from './common.js';
import { lstmWeights } from './cnn_attn_lstm.js';
import { hyperInt, hyperList, hyperNum, param, type Architecture, type Hyper, type ParamSpec } from './types.js';

export const CONV1D_LSTM_DEFAULTS: Hyper = {
  numCoeffs: 20,
  numClasses: 8,
  convKernels: [3, 3],
  convStrides: [1, 1],
  convChannels: [32, 48],
  /** Max-pool size after each conv block. */
  poolSizes: [2, 2],
  lstmUnits: [48],
  denseUnits: 32,
  dropout: 0.2,
};

export const conv1dLstm: Architecture = {
  name: 'conv1d-lstm',
  defaults: CONV1D_LSTM_DEFAULTS,
  /** Stateful stepping: each stream carries conv contexts and every LSTM's h and c (see StreamingKind). */
  streaming: 'stateful',
  statefulLayers: (hyper) => ({
    conv: hyperList(hyper, 'convKernels').map((kernel, i) => ({ name: `conv${i}`, kernel, batchNorm: `bn${i}`, pool: hyperList(hyper, 'poolSizes')[i]! })),
    lstm: hyperList(hyper, 'lstmUnits').map((_, i) => `lstm${i}`),
  }),
  validate(hyper) {
    const pools = hyperList(hyper, 'poolSizes');
    if (pools.length !== hyperList(hyper, 'convChannels').length) {
      throw new Error(`hyper.poolSizes: expected one per conv layer, got ${pools.length}`);
    }
    if (hyperList(hyper, 'convStrides').some((s) => s !== 1)) {
      throw new Error(`hyper.convStrides: expected all 1 (pooling down-samples), got ${JSON.stringify(hyper.convStrides)}`);
    }
    if (hyperList(hyper, 'lstmUnits').length < 1) throw new Error('hyper.lstmUnits: expected ≥ 1 layer, got 0');
    hyperInt(hyper, 'denseUnits');
    hyperNum(hyper, 'dropout');
  },
  stepFrames: (hyper) => hyperList(hyper, 'poolSizes').reduce((a, b) => a * b, 1),
  windowSteps: () => 1,
  init(hyper, random) {
    const out: Record<string, ParamSpec> = {};
    let inputs = initConvStack(hyper, hyperInt(hyper, 'numCoeffs'), random, out);
    hyperList(hyper, 'convChannels').forEach((c, i) => {
      out[`bn${i}.gamma`] = constant([c], 1);
      out[`bn${i}.beta`] = constant([c], 0);
      out[`bn${i}.movingMean`] = constant([c], 0, false);
      out[`bn${i}.movingVariance`] = constant([c], 1, false);
    });
    inputs = initLstmStack(hyperList(hyper, 'lstmUnits'), inputs, random, out);
    initDenseHead(inputs, hyperInt(hyper, 'denseUnits'), hyperInt(hyper, 'numClasses'), random, out);
    return out;
  },
  forward(model, x, options) {
    const { hyper } = model;
    const kernels = hyperList(hyper, 'convKernels');
    const pools = hyperList(hyper, 'poolSizes');
    const dropout = hyperNum(hyper, 'dropout');
    const inputMask = maskAt(x, options, 1);
    let y: tf.Tensor3D = inputMask === null ? x : tf.mul<tf.Tensor3D>(x, inputMask);
    let framesPerPosition = 1;
    kernels.forEach((kernel, i) => {
      y = causalConv1d(y, param(model, `conv${i}.w`) as tf.Tensor3D, param(model, `conv${i}.b`) as tf.Tensor1D, { kernel, stride: 1 });
      const mask = maskAt(x, options, framesPerPosition);
      y = batchNorm(
        y,
        {
          gamma: param(model, `bn${i}.gamma`) as tf.Tensor1D,
          beta: param(model, `bn${i}.beta`) as tf.Tensor1D,
          movingMean: param(model, `bn${i}.movingMean`) as tf.Tensor1D,
          movingVariance: param(model, `bn${i}.movingVariance`) as tf.Tensor1D,
        },
        { training: options.training, mask, momentum: options.batchNormMomentum },
      );
      y = maxPoolTime(tf.relu<tf.Tensor3D>(y), pools[i]!);
      framesPerPosition *= pools[i]!;
      const pooledMask = maskAt(x, options, framesPerPosition);
      if (pooledMask !== null) y = tf.mul<tf.Tensor3D>(y, pooledMask);
      y = maybeDropout(y, dropout, options, i + 1) as tf.Tensor3D;
    });
    const mask = maskAt(x, options, framesPerPosition);
    const masks = mask === null ? undefined : stepMasks(mask);
    hyperList(hyper, 'lstmUnits').forEach((_, i) => {
      y = lstmSequence(y, lstmWeights(model, `lstm${i}`), masks);
      y = maybeDropout(y, dropout, options, 10 + i) as tf.Tensor3D;
    });
    const [batch, steps, units] = y.shape as [number, number, number];
    const last = tf.reshape(tf.slice(y, [0, steps - 1, 0], [batch, 1, units]), [batch, units]) as tf.Tensor2D;
    return denseHead(model, last, options, dropout);
  },
};
