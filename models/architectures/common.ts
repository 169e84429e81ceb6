/**
 * Building blocks several architectures share: the causal conv stack, dropout with derived
 * seeds, the dense head.
 */
import * as tf from '@tensorflow/tfjs';
import { causalConv1d, validateConvShape, type ConvShape } from '../ops/conv1d.js';
import { glorot, constant, lstmBias } from '../ops/init.js';
import { leftPadMask } from '../ops/mask.js';
import { hyperList, param, type ForwardOptions, type Hyper, type ModelLike, type ParamSpec } from './types.js';

/** Reads convKernels / convStrides / convChannels and checks they line up. */
export function convShapes(hyper: Hyper): { shapes: ConvShape[]; channels: number[] } {
  const kernels = hyperList(hyper, 'convKernels');
  const strides = hyperList(hyper, 'convStrides');
  const channels = hyperList(hyper, 'convChannels');
  if (kernels.length !== strides.length || kernels.length !== channels.length) {
    throw new Error(
      `hyper conv lists: expected equal lengths, got kernels ${kernels.length}, strides ${strides.length}, channels ${channels.length}`,
    );
  }
  const shapes = kernels.map((kernel, i) => ({ kernel, stride: strides[i]! }));
  shapes.forEach(validateConvShape);
  return { shapes, channels };
}

export function initConvStack(hyper: Hyper, inputs: number, random: () => number, out: Record<string, ParamSpec>): number {
  const { shapes, channels } = convShapes(hyper);
  let cIn = inputs;
  shapes.forEach((shape, i) => {
    const cOut = channels[i]!;
    out[`conv${i}.w`] = glorot([shape.kernel, cIn, cOut], shape.kernel * cIn, cOut, random);
    out[`conv${i}.b`] = constant([cOut], 0);
    cIn = cOut;
  });
  return cIn;
}

/** Dropout for training only; each call site passes its own offset so layers differ. */
export function maybeDropout<T extends tf.Tensor>(x: T, rate: number, options: ForwardOptions, offset: number): T {
  if (!options.training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, options.seed === undefined ? undefined : options.seed * 7919 + offset) as T;
}

/** Frame mask at `framesPerPosition` resolution, or null when every frame is valid. */
export function maskAt(x: tf.Tensor3D, options: ForwardOptions, framesPerPosition: number): tf.Tensor3D | null {
  if (options.validFrames === undefined) return null;
  return leftPadMask(options.validFrames, x.shape[1] / framesPerPosition, framesPerPosition);
}

/**
 * Runs conv layer after layer (ReLU), masking padded positions to zero after each so the
 * next layer sees the zero context a fresh stream has. Returns [B, T / Πstrides, C].
 */
export function convStack(
  model: ModelLike,
  x: tf.Tensor3D,
  options: ForwardOptions,
  dropoutRate: number,
): tf.Tensor3D {
  const { shapes } = convShapes(model.hyper);
  let framesPerPosition = 1;
  const inputMask = maskAt(x, options, 1);
  let y: tf.Tensor3D = inputMask === null ? x : tf.mul(x, inputMask);
  shapes.forEach((shape, i) => {
    if (y.shape[1] % shape.stride !== 0) {
      throw new Error(`conv${i}: expected a time length divisible by ${shape.stride}, got ${y.shape[1]}`);
    }
    y = causalConv1d(
      y,
      param(model, `conv${i}.w`) as tf.Tensor3D,
      param(model, `conv${i}.b`) as tf.Tensor1D,
      shape,
      'relu',
    );
    framesPerPosition *= shape.stride;
    const mask = maskAt(x, options, framesPerPosition);
    if (mask !== null) y = tf.mul<tf.Tensor3D>(y, mask);
    y = maybeDropout(y, dropoutRate, options, i + 1) as tf.Tensor3D;
  });
  return y;
}

/** Stacked LSTMs `lstm{i}.{wx,wh,b}` (fused gates); returns the last layer's width. */
export function initLstmStack(unitsPerLayer: readonly number[], inputs: number, random: () => number, out: Record<string, ParamSpec>): number {
  let width = inputs;
  unitsPerLayer.forEach((units, i) => {
    out[`lstm${i}.wx`] = glorot([width, 4 * units], width, 4 * units, random);
    out[`lstm${i}.wh`] = glorot([units, 4 * units], units, 4 * units, random);
    out[`lstm${i}.b`] = lstmBias(units);
    width = units;
  });
  return width;
}

export function initDenseHead(inputs: number, hidden: number, classes: number, random: () => number, out: Record<string, ParamSpec>): void {
  out['dense1.w'] = glorot([inputs, hidden], inputs, hidden, random);
  out['dense1.b'] = constant([hidden], 0);
  out['out.w'] = glorot([hidden, classes], hidden, classes, random);
  out['out.b'] = constant([classes], 0);
}

/** ReLU hidden layer, dropout, linear output → logits [B, C]. */
export function denseHead(model: ModelLike, x: tf.Tensor2D, options: ForwardOptions, dropoutRate: number): tf.Tensor2D {
  const hidden = tf.fused.matMul({
    a: x,
    b: param(model, 'dense1.w') as tf.Tensor2D,
    bias: param(model, 'dense1.b'),
    activation: 'relu',
  });
  const dropped = maybeDropout(hidden, dropoutRate, options, 100) as tf.Tensor2D;
  return tf.fused.matMul({ a: dropped, b: param(model, 'out.w') as tf.Tensor2D, bias: param(model, 'out.b') }) as tf.Tensor2D;
}
