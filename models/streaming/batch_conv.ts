/**
 * The conv stack for a batch of streams, with im2col done on the host. Each layer's input
 * (left context ++ new rows) is a host array per stream, so a patch is one contiguous
 * subarray copy and the layer is a single tensor upload + one fused matMul; the output is
 * read back to build the next layer's input (and, later, each stream's new context). This
 * replaces the reshape / slice / concat kernels of the tensor im2col, which dominate at
 * streaming sizes on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvLayerPlan, StreamingPlan } from './plan.js';

/** Per layer, per stream: the layer's context-prefixed input rows (row-major, inChannels wide). */
export type LayerInputs = Float32Array[][];

/**
 * [B · tOut, kernel · C] patches of the context-prefixed inputs, rows ordered (stream, time),
 * or (time, stream) when `timeMajor` (what the LSTM wants: see ops/lstm.ts).
 */
function patches(layer: ConvLayerPlan, inputs: Float32Array[], tOut: number, timeMajor: boolean): Float32Array {
  const { kernel, stride } = layer.shape;
  const c = layer.inChannels;
  const width = kernel * c;
  const out = new Float32Array(inputs.length * tOut * width);
  inputs.forEach((rows, b) => {
    for (let j = 0; j < tOut; j++) {
      const from = j * stride * c;
      const row = timeMajor ? j * inputs.length + b : b * tOut + j;
      out.set(rows.subarray(from, from + width), row * width);
    }
  });
  return out;
}

/**
 * Runs every conv layer. `firstInputs[b]` is stream b's layer-0 input (context ++ frames,
 * zero-padded to maxSteps). `contexts(l, b)` gives stream b's stored context of layer l.
 * Returns the last layer's output [maxSteps · B, C], TIME-MAJOR (a tensor, for the LSTM),
 * and every layer's host-side inputs (for the context update).
 */
export function runConvStack(
  plan: StreamingPlan,
  firstInputs: Float32Array[],
  maxSteps: number,
  contexts: (layer: number, stream: number) => Float32Array,
): { output: tf.Tensor2D; inputs: LayerInputs } {
  const batch = firstInputs.length;
  const inputs: LayerInputs = [firstInputs];
  let output: tf.Tensor2D | null = null;
  plan.conv.forEach((layer, l) => {
    const tOut = (maxSteps * layer.rowsPerStep) / layer.shape.stride;
    const isLast = l === plan.conv.length - 1;
    const x = tf.tensor2d(patches(layer, inputs[l]!, tOut, isLast), [batch * tOut, layer.shape.kernel * layer.inChannels]);
    const y = tf.fused.matMul({ a: x, b: layer.weight2d, bias: layer.bias, activation: 'relu' }) as tf.Tensor2D;
    x.dispose();
    const next = plan.conv[l + 1];
    if (next === undefined) {
      output = y;
      return;
    }
    const host = y.dataSync() as Float32Array;
    y.dispose();
    const rowValues = tOut * layer.outChannels;
    const ctxValues = next.contextRows * next.inChannels;
    inputs.push(
      Array.from({ length: batch }, (_, b) => {
        const rows = new Float32Array(ctxValues + rowValues);
        rows.set(contexts(l + 1, b), 0);
        rows.set(host.subarray(b * rowValues, (b + 1) * rowValues), ctxValues);
        return rows;
      }),
    );
  });
  if (output === null) throw new Error('runConvStack: expected at least one conv layer, got none');
  return { output, inputs };
}
