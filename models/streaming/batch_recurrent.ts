/**
 * LSTM layers (runLstmLayer, used by both stateful runners) and cnn-attn-lstm's LSTM +
 * attention scores + head projections (runRecurrent) for a batch of streams. Rows are packed
 * time-major (workspace.ts): at step s only the streams that have a step s take part.
 *
 * Each step is ONE tfjs kernel: [x_t, h_{t−1}] · [Wx; Wh] + b with a fused sigmoid (the plan
 * doubles the g-gate columns, so g = 2σ − 1 = tanh; see plan.ts). The cell update (per unit a
 * few multiply-adds and one tanh) runs on the host: on wasm a read back is a plain memory
 * copy, while each of the ~10 element-wise kernels it replaces costs microseconds of tfjs
 * dispatch, more than their arithmetic at streaming batch sizes.
 */
import type { LstmPlan } from './layer_plans.js';
import type { StreamingPlan } from './plan.js';
import { matMul, readAndDispose, withUpload } from './tensor_io.js';
import type { Scratch, StepLayout } from './workspace.js';

/**
 * tanh from one exp, odd-symmetric so large |x| cannot overflow; its error (≤ ~1e-16
 * absolute) is far below float32 resolution. V8's Math.tanh takes about twice as long, and
 * this runs once per unit per step.
 */
function tanh(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  const t = (1 - e) / (1 + e);
  return x < 0 ? -t : t;
}

export interface RecurrentOutputs {
  /** [layout.rows] attention scores (the offline attentionScores' values), packed. */
  scores: Float32Array;
  /** [layout.rows, D] LSTM outputs through the head's first weight matrix (W1ᵀ h), packed. */
  projected: Float32Array;
}

/** One LSTM layer's outputs for a batch; the streams' states change only on commit(). */
export interface LstmLayerOutput {
  /** [layout.rows, H] outputs h_t, packed time-major (a view into scratch, valid until the plan's next call). */
  hs: Float32Array;
  /** Stores each stream's new h and c; call once every kernel of the call has run. */
  commit(): void;
}

/**
 * One LSTM layer over packed time-major rows. features: [layout.rows, In]; h[b], c[b]:
 * stream b's state (H values each), read here and replaced by commit(). `name` keys the
 * layer's scratch buffer, so stacked layers keep their outputs apart.
 */
export function runLstmLayer(
  lstm: LstmPlan,
  scratch: Scratch,
  name: string,
  layout: StepLayout,
  features: Float32Array,
  h: readonly Float32Array[],
  c: readonly Float32Array[],
): LstmLayerOutput {
  const { units, inChannels } = lstm;
  const { steps, counts, offsets, rows } = layout;
  const batch = steps.length;
  const width = inChannels + units;
  // One buffer, so the per-stream row copies into a step's input are copyWithin calls (no
  // subarray view each): features | running c per stream | outputs h per row | step input.
  const cAt = rows * inChannels;
  const hsAt = cAt + batch * units;
  const xhAt = hsAt + rows * units;
  const buffer = scratch.take(name, xhAt + batch * width);
  buffer.set(features, 0);
  for (let b = 0; b < batch; b++) buffer.set(c[b]!, cAt + b * units);
  counts.forEach((count, s) => {
    const offset = offsets[s]!;
    for (let b = 0; b < count; b++) {
      const x = xhAt + b * width;
      buffer.copyWithin(x, (offset + b) * inChannels, (offset + b + 1) * inChannels);
      // h_{t−1}: the stream's stored state at its first step, else its previous output row.
      if (s === 0) buffer.set(h[b]!, x + inChannels);
      else {
        const prev = hsAt + (offsets[s - 1]! + b) * units;
        buffer.copyWithin(x + inChannels, prev, prev + units);
      }
    }
    // Columns (i, f, o, g'), H each, already through the sigmoid; g = 2g' − 1.
    const xh = buffer.subarray(xhAt, xhAt + count * width);
    const gates = withUpload(xh, count, width, (x) => readAndDispose(matMul(x, lstm.wxh, lstm.b, 'sigmoid')));
    for (let b = 0; b < count; b++) {
      const g0 = b * 4 * units;
      const cell = cAt + b * units;
      const out = hsAt + (offset + b) * units;
      for (let j = 0; j < units; j++) {
        const i = gates[g0 + j]!;
        const f = gates[g0 + units + j]!;
        const o = gates[g0 + 2 * units + j]!;
        const g = 2 * gates[g0 + 3 * units + j]! - 1;
        buffer[cell + j] = f * buffer[cell + j]! + i * g;
        // tanh of the stored float32 c, as the offline LSTM computes it.
        buffer[out + j] = o * tanh(buffer[cell + j]!);
      }
    }
  });
  return {
    hs: buffer.subarray(hsAt, hsAt + rows * units),
    commit(): void {
      for (let b = 0; b < batch; b++) {
        const last = hsAt + (offsets[steps[b]! - 1]! + b) * units;
        h[b]!.set(buffer.subarray(last, last + units));
        c[b]!.set(buffer.subarray(cAt + b * units, cAt + (b + 1) * units));
      }
    },
  };
}

/**
 * features: [layout.rows, C] the last conv layer's output, packed time-major; h[b], c[b]:
 * stream b's LSTM state (H values each), advanced in place once every kernel has run.
 */
export function runRecurrent(
  plan: StreamingPlan,
  layout: StepLayout,
  features: Float32Array,
  h: readonly Float32Array[],
  c: readonly Float32Array[],
): RecurrentOutputs {
  const { units, lstm, attention, scratch } = plan;
  const layer = runLstmLayer(lstm, scratch, 'lstm', layout, features, h, c);
  const [scores, projected] = withUpload(layer.hs, layout.rows, units, (x) => {
    const keys = matMul(x, attention.w, attention.b, 'sigmoid');
    let scoreValues: Float32Array;
    try {
      scoreValues = readAndDispose(matMul(keys, attention.v, null, 'linear'));
    } finally {
      keys.dispose();
    }
    return [scoreValues, readAndDispose(matMul(x, plan.dense1W, null, 'linear'))] as const;
  });
  for (let k = 0; k < scores.length; k++) scores[k]! += attention.scoreShift;
  // Every kernel has run: commit the new LSTM states.
  layer.commit();
  return { scores, projected };
}
