/**
 * Layer constants shared by the stateful runners (fused_runner.ts for cnn-attn-lstm,
 * stateful_runner.ts for lstm and conv1d-lstm): a causal conv layer with im2col on the host
 * (batch_conv.ts), and an LSTM in the one-kernel-per-step form of batch_recurrent.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvShape } from '../ops/conv1d.js';
import { weightTensor } from './tensor_io.js';

export interface ConvLayerPlan {
  shape: ConvShape;
  /** [1, kernel·Cin, Cout]: the filter flattened in im2col's (tap, channel) order. */
  weight: tf.Tensor3D;
  bias: tf.Tensor1D;
  inChannels: number;
  outChannels: number;
  /** Left-context rows the layer keeps per stream (kernel − stride). */
  contextRows: number;
  /** Input rows per model step. */
  rowsPerStep: number;
  /**
   * Max-pool over this many consecutive outputs after the ReLU (1: none). A step's outputs
   * are a whole number of pools, so a pool never spans two calls and needs no state.
   */
  pool: number;
}

export interface LstmPlan {
  /** Input channels (the previous layer's outputs). */
  inChannels: number;
  /** H. */
  units: number;
  /** [1, In + H, 4H]: Wx stacked over Wh, g-gate columns doubled. */
  wxh: tf.Tensor3D;
  /** [4H], g-gate entries doubled. */
  b: tf.Tensor1D;
}

/** Copy of a [rows, cols] matrix (or [cols] vector) with columns [from, to) multiplied by `factor`. */
export function scaleColumns(values: Float32Array, cols: number, from: number, to: number, factor: number): Float32Array {
  const out = Float32Array.from(values);
  for (let r = 0; r < out.length / cols; r++) {
    for (let c = from; c < to; c++) out[r * cols + c]! *= factor;
  }
  return out;
}

/**
 * The LSTM with fused gates (order i, f, o, g) as ONE matMul per step: Wx [In, 4H] stacked
 * over Wh [H, 4H], and the g-gate columns and bias doubled, so one fused sigmoid yields i, f,
 * o and σ(2z), and g = tanh(z) = 2σ(2z) − 1 on the host. `tensor` makes (and owns) the tensors.
 */
export function fusedLstmPlan(
  wx: Float32Array,
  wh: Float32Array,
  b: Float32Array,
  inChannels: number,
  units: number,
  tensor: TensorMaker,
): LstmPlan {
  const fourH = 4 * units;
  if (wx.length !== inChannels * fourH || wh.length !== units * fourH || b.length !== fourH) {
    throw new Error(`LSTM plan: expected Wx ${inChannels}×${fourH}, Wh ${units}×${fourH}, b ${fourH}, got ${wx.length}, ${wh.length}, ${b.length} values`);
  }
  const wxh = new Float32Array((inChannels + units) * fourH);
  wxh.set(wx, 0);
  wxh.set(wh, inChannels * fourH);
  return {
    inChannels,
    units,
    wxh: tensor.weight(scaleColumns(wxh, fourH, 3 * units, fourH, 2), inChannels + units, fourH),
    b: tensor.vector(scaleColumns(b, fourH, 3 * units, fourH, 2)),
  };
}

export interface TensorMaker {
  /** A [k, n] weight matrix as the matMul kernel's [1, k, n] operand. */
  weight(values: Float32Array, k: number, n: number): tf.Tensor3D;
  vector(values: Float32Array): tf.Tensor1D;
}

/** Makes tensors and records them in `owned`, so a plan frees exactly what it made. */
export function tensorMaker(owned: tf.Tensor[]): TensorMaker {
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  return {
    weight: (values, k, n) => own(weightTensor(values, k, n)),
    vector: (values) => own(tf.tensor1d(values)),
  };
}
