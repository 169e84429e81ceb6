/**
 * The conv stack for a batch of streams, with im2col done on the host. Each layer's input
 * (a stream's left context ++ its new rows) is laid out per stream in one host buffer, so a
 * patch is one contiguous copy and the layer is a single upload + one fused matMul (bias,
 * ReLU) over every stream's rows; the output (max-pooled on the host where the layer pools)
 * is read back to build the next layer's input. This replaces the reshape / slice / concat
 * kernels of a tensor im2col, which dominate at streaming sizes on wasm.
 *
 * Rows are packed (workspace.ts): stream b brings exactly steps_b × rowsPerStep new rows to
 * every layer, no padding. The last layer emits one row per step, time-major, for the LSTM.
 * A step's outputs are whole pools, so pooling needs no state across calls.
 */
import type { ConvLayerPlan } from './layer_plans.js';
import { hostMatMul } from './tensor_io.js';
import type { Scratch, StepLayout } from './workspace.js';

/** What the conv stack needs of a runner's plan. */
export interface ConvStackPlan {
  conv: readonly ConvLayerPlan[];
  scratch: Scratch;
}

export interface ConvStackOutput {
  /** [layout.rows, C] last conv layer output, packed time-major (row layout.offsets[s] + b). */
  features: Float32Array;
  /** Stores each stream's new left context of every layer; call once the call has succeeded. */
  saveContexts(): void;
}

/**
 * Runs every conv layer over the streams of `layout`. `contexts[b]` is stream b's stored
 * context per layer (contextRows × inChannels each, advanced by saveContexts); `writeRows(b,
 * dst)` fills stream b's steps_b × stepFrames new layer-0 rows (normalised frames).
 */
export function runConvStack(
  plan: ConvStackPlan,
  layout: StepLayout,
  contexts: readonly (readonly Float32Array[])[],
  writeRows: (stream: number, dst: Float32Array) => void,
): ConvStackOutput {
  const { scratch } = plan;
  const { steps } = layout;
  const batch = steps.length;
  /** Per layer: every stream's context ++ new rows, stream after stream (then the patches), and where each stream starts. */
  const inputs: Float32Array[] = [];
  const starts: Int32Array[] = [];
  let features: Float32Array | null = null;
  let previous: Float32Array | null = null;
  plan.conv.forEach((layer, l) => {
    const { kernel, stride } = layer.shape;
    const c = layer.inChannels;
    const ctxValues = layer.contextRows * c;
    const newValuesPerStep = layer.rowsPerStep * c;
    const inputValues = batch * ctxValues + layout.rows * newValuesPerStep;
    const { pool } = layer;
    // Conv outputs per step, before the pool.
    const outPerStep = layer.rowsPerStep / stride;
    const width = kernel * c;
    const outRows = layout.rows * outPerStep;
    // The input and its patches share one buffer, so a patch is a copyWithin: no subarray
    // view per patch, which costs more than copying its few dozen values.
    const buffer = scratch.take(`conv${l}`, inputValues + outRows * width);
    const start = new Int32Array(batch);
    // Layer l − 1 wrote its output stream after stream, steps_b × rowsPerStep rows each.
    let at = 0;
    let from = 0;
    for (let b = 0; b < batch; b++) {
      start[b] = at;
      buffer.set(contexts[b]![l]!, at);
      const newValues = steps[b]! * newValuesPerStep;
      const rows = buffer.subarray(at + ctxValues, at + ctxValues + newValues);
      if (previous === null) writeRows(b, rows);
      else rows.set(previous.subarray(from, from + newValues));
      from += newValues;
      at += ctxValues + newValues;
    }
    inputs.push(buffer);
    starts.push(start);

    const isLast = l === plan.conv.length - 1;
    // Without a pool the last layer's patches go straight to time-major rows; with one, the
    // pool below reorders.
    const timeMajorPatches = isLast && pool === 1;
    let row = 0;
    for (let b = 0; b < batch; b++) {
      const tOut = steps[b]! * outPerStep;
      for (let j = 0; j < tOut; j++) {
        // Then the layer has one output row per step (outPerStep = 1): time-major for the LSTM.
        const r = timeMajorPatches ? layout.offsets[j]! + b : row++;
        const src = start[b]! + j * stride * c;
        buffer.copyWithin(inputValues + r * width, src, src + width);
      }
    }
    const patches = buffer.subarray(inputValues, inputValues + outRows * width);
    let output = hostMatMul(patches, outRows, width, layer.weight, layer.bias, 'relu');
    if (pool > 1) output = maxPoolRows(output, layer.outChannels, pool, layout, isLast, scratch.take(`pool${l}`, (outRows / pool) * layer.outChannels));
    if (isLast) features = output;
    else previous = output;
  });
  if (features === null) throw new Error('runConvStack: expected at least one conv layer, got none');
  return {
    features,
    saveContexts(): void {
      plan.conv.forEach((layer, l) => {
        const ctxValues = layer.contextRows * layer.inChannels;
        for (let b = 0; b < batch; b++) {
          // The last contextRows rows of the stream's layer input.
          const end = starts[l]![b]! + ctxValues + steps[b]! * layer.rowsPerStep * layer.inChannels;
          contexts[b]![l]!.set(inputs[l]!.subarray(end - ctxValues, end));
        }
      });
    },
  };
}

/**
 * Max over each `pool` consecutive rows of `values` (rows × channels, stream after stream:
 * stream b's steps_b × pool rows per step), into `out`: stream after stream, or time-major
 * (row offsets[s] + b) when `timeMajor` (then one pooled row per step).
 */
function maxPoolRows(values: Float32Array, channels: number, pool: number, layout: StepLayout, timeMajor: boolean, out: Float32Array): Float32Array {
  const pooledPerStep = values.length / channels / pool / layout.rows;
  let src = 0;
  let row = 0;
  layout.steps.forEach((steps, b) => {
    for (let j = 0; j < steps * pooledPerStep; j++) {
      const dst = (timeMajor ? layout.offsets[j]! + b : row++) * channels;
      for (let ch = 0; ch < channels; ch++) {
        let m = values[src + ch]!;
        for (let p = 1; p < pool; p++) m = Math.max(m, values[src + p * channels + ch]!);
        out[dst + ch] = m;
      }
      src += pool * channels;
    }
  });
  return out;
}
