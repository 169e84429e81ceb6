/**
 * conv1d (comparison baseline): causal Conv1D (stride 1) + ReLU + max-pool blocks, masked
 * global average pooling over time, dense head. A clip-level model: it streams by window
 * recompute over the current segment (StreamingKind 'window').
 */
import * as tf from '@tensorflow/tfjs';
import { causalConv1d } from '../ops/conv1d.js';
import { maskedMeanTime, maxPoolTime } from '../ops/pool.js';
import { denseHead, initConvStack, initDenseHead, maskAt, maybeDropout } from './common.js';
import { hyperInt, hyperList, hyperNum, param, type Architecture, type Hyper, type ParamSpec } from './types.js';

export const CONV1D_DEFAULTS: Hyper = {
  numCoeffs: 20,
  numClasses: 8,
  /** Per block: conv taps, conv stride (1), channels, max-pool size after the conv. */
  convKernels: [5, 5, 5],
  convStrides: [1, 1, 1],
  convChannels: [32, 64, 64],
  poolSizes: [2, 2, 2],
  denseUnits: 32,
  dropout: 0.2,
};

export const conv1dArch: Architecture = {
  name: 'conv1d',
  defaults: CONV1D_DEFAULTS,
  /** Window recompute: exact, one full forward() per step (see StreamingKind). */
  streaming: 'window',
  validate(hyper) {
    const pools = hyperList(hyper, 'poolSizes');
    const channels = hyperList(hyper, 'convChannels');
    if (pools.length !== channels.length) {
      throw new Error(`hyper.poolSizes: expected ${channels.length} entries, got ${pools.length}`);
    }
    if (hyperList(hyper, 'convStrides').some((s) => s !== 1)) {
      throw new Error(`hyper.convStrides: expected all 1 (pooling down-samples), got ${JSON.stringify(hyper.convStrides)}`);
    }
    hyperInt(hyper, 'denseUnits');
    hyperNum(hyper, 'dropout');
  },
  stepFrames: (hyper) => hyperList(hyper, 'poolSizes').reduce((a, b) => a * b, 1),
  windowSteps: () => 1,
  init(hyper, random) {
    const out: Record<string, ParamSpec> = {};
    const cLast = initConvStack(hyper, hyperInt(hyper, 'numCoeffs'), random, out);
    initDenseHead(cLast, hyperInt(hyper, 'denseUnits'), hyperInt(hyper, 'numClasses'), random, out);
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
      y = causalConv1d(y, param(model, `conv${i}.w`) as tf.Tensor3D, param(model, `conv${i}.b`) as tf.Tensor1D, { kernel, stride: 1 }, 'relu');
      y = maxPoolTime(y, pools[i]!);
      framesPerPosition *= pools[i]!;
      const mask = maskAt(x, options, framesPerPosition);
      if (mask !== null) y = tf.mul<tf.Tensor3D>(y, mask);
      y = maybeDropout(y, dropout, options, i + 1) as tf.Tensor3D;
    });
    return denseHead(model, maskedMeanTime(y, maskAt(x, options, framesPerPosition)), options, dropout);
  },
};
