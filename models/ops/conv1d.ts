/**
 * Causal 1-D convolution as im2col + matMul. tfjs-wasm has no Conv2DBackpropFilter kernel,
 * so tf.conv1d cannot be trained there; slices, concat and matMul all have wasm gradients.
 *
 * Convention (shared with the streaming runner): a layer with kernel k and stride s, where
 * k is a multiple of s, emits output j from inputs [j·s + s − k, j·s + s − 1], i.e. the
 * last input of its stride block and the k − 1 before it. It therefore needs k − s inputs
 * of left context (zeros at the start of a segment) and consumes inputs in whole blocks of s.
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'linear' | 'relu';

export interface ConvShape {
  /** Taps, a positive multiple of stride. */
  kernel: number;
  /** Time down-sampling factor, ≥ 1. */
  stride: number;
}

export function validateConvShape({ kernel, stride }: ConvShape): void {
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`conv stride: expected an integer ≥ 1, got ${stride}`);
  if (!Number.isInteger(kernel) || kernel < stride || kernel % stride !== 0) {
    throw new Error(`conv kernel: expected a positive multiple of stride ${stride}, got ${kernel}`);
  }
}

/** Inputs of left context a layer needs. */
export function contextSize({ kernel, stride }: ConvShape): number {
  return kernel - stride;
}

/**
 * Patches of a context-prefixed input. x: [B, (kernel − stride) + Tout·stride, C] →
 * [B, Tout, kernel·C], patch layout (tap, channel) to match a [kernel, C, Cout] filter.
 * Built from `kernel / stride` shifted views of the input reshaped into stride blocks.
 */
export function im2colCausal(x: tf.Tensor3D, { kernel, stride }: ConvShape): tf.Tensor3D {
  const [b, tIn, c] = x.shape;
  const blocks = kernel / stride;
  if ((tIn - (kernel - stride)) % stride !== 0 || tIn < kernel) {
    throw new Error(`im2col: expected (${kernel - stride} context + a multiple of ${stride}) frames, got ${tIn}`);
  }
  const numBlocks = tIn / stride;
  const tOut = numBlocks - blocks + 1;
  const grouped = tf.reshape(x, [b, numBlocks, stride * c]) as tf.Tensor3D;
  if (blocks === 1) return grouped;
  const views: tf.Tensor3D[] = [];
  for (let i = 0; i < blocks; i++) views.push(tf.slice(grouped, [0, i, 0], [b, tOut, stride * c]));
  return tf.concat(views, 2);
}

/**
 * Causal conv over a context-prefixed input (see im2colCausal). `weight2d` is the filter
 * reshaped to [kernel·Cin, Cout]; returns [B, Tout, Cout].
 */
export function causalConvPrefixed(
  x: tf.Tensor3D,
  weight2d: tf.Tensor2D,
  bias: tf.Tensor1D,
  shape: ConvShape,
  activation: Activation,
): tf.Tensor3D {
  const patches = im2colCausal(x, shape);
  const [b, tOut, kc] = patches.shape;
  const y = tf.fused.matMul({
    a: tf.reshape(patches, [b * tOut, kc]),
    b: weight2d,
    bias,
    activation,
  });
  return tf.reshape(y, [b, tOut, weight2d.shape[1]]);
}

/**
 * Causal conv from a zero state: x [B, T, Cin] with T a multiple of stride, filter
 * [kernel, Cin, Cout] (tf.conv1d layout), bias [Cout] → [B, T / stride, Cout].
 */
export function causalConv1d(
  x: tf.Tensor3D,
  filter: tf.Tensor3D,
  bias: tf.Tensor1D,
  shape: ConvShape,
  activation: Activation = 'linear',
): tf.Tensor3D {
  validateConvShape(shape);
  const [k, cIn, cOut] = filter.shape;
  if (k !== shape.kernel || cIn !== x.shape[2]) {
    throw new Error(`conv filter: expected [${shape.kernel}, ${x.shape[2]}, Cout], got [${filter.shape.join(', ')}]`);
  }
  const pad = contextSize(shape);
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, 0], [0, 0]]) : x;
  return causalConvPrefixed(padded, tf.reshape(filter, [k * cIn, cOut]), bias, shape, activation);
}
