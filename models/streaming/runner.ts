/**
 * The streaming contract the server uses (docs/architecture.md): createStreamState,
 * stepBatch, predictOffline.
 *
 * stepBatch runs ONE set of tfjs calls for every stream that completes at least one model
 * step: each stream's new frames are laid out left-aligned after its conv context, padded
 * to S steps (S = the most new steps of any stream; the conv is causal, so padding never
 * reaches a real output); the conv stack runs one matMul per layer over all streams
 * (batch_conv.ts), the LSTM runs S steps from the gathered (h, c) and the per-step outputs,
 * cell states and attention scores come back in one read each (batch_recurrent.ts). Each
 * stream keeps only its own first n_b steps, so its state is exactly what an unbatched call
 * computes. The attention head then runs per stream on the host (head.ts). Streams with no
 * complete step this call cost no tensor work at all.
 */
import { normalizeInto } from '../meta.js';
import { runConvStack } from './batch_conv.js';
import { runRecurrent, type RecurrentOutputs } from './batch_recurrent.js';
import { headProbs } from './head.js';
import { streamingPlan, type StreamableModel, type StreamingPlan } from './plan.js';
import { scanSilence } from './segment.js';
import type { StreamState } from './state.js';

export { createStreamState, StreamState } from './state.js';
export { predictOffline } from './offline.js';

export interface StepRequest {
  state: StreamState;
  /** n × numCoeffs raw MFCC, row-major. */
  frames: Float32Array;
  /** n voiced flags (VoicedGate decisions), 0 or 1. */
  voiced: Uint8Array;
}

export interface StepResult {
  /** Head output over the stream's window after this call; null while the window is empty. */
  probs: Float32Array | null;
  /** Cumulative frames of this stream absorbed by model steps or dropped by a reset. */
  framesConsumed: number;
}

interface ActiveStream {
  state: StreamState;
  frames: Float32Array;
  /** Frames [start, end) of `frames` feed the model (see segment.ts). */
  start: number;
  end: number;
  steps: number;
  /** A silence run passed R inside this chunk: the partial step after `end` is discarded. */
  dropsTail: boolean;
}

/** Appends normalised frames [from, from + rows) of `frames` to the state's pending rows. */
function appendPending(plan: StreamingPlan, state: StreamState, frames: Float32Array, from: number, rows: number): void {
  normalizeInto(frames, from, state.pending, state.pendingFrames, rows, plan.mean, plan.invStd);
  state.pendingFrames += rows;
}

/** Stream b's layer-0 input: context ++ pending ++ its new frames, zero-padded to maxSteps. */
function firstLayerInput(plan: StreamingPlan, a: ActiveStream, maxSteps: number): Float32Array {
  const f = plan.numCoeffs;
  const ctxRows = plan.conv[0]!.contextRows;
  const { state } = a;
  const rows = new Float32Array((ctxRows + maxSteps * plan.stepFrames) * f);
  rows.set(state.convContext[0]!, 0);
  rows.set(state.pending.subarray(0, state.pendingFrames * f), ctxRows * f);
  const used = a.steps * plan.stepFrames - state.pendingFrames;
  normalizeInto(a.frames, a.start, rows, ctxRows + state.pendingFrames, used, plan.mean, plan.invStd);
  return rows;
}

/** Runs the model on the active streams and writes the results back into their states. */
function advance(plan: StreamingPlan, active: ActiveStream[]): void {
  const batch = active.length;
  const units = plan.units;
  const maxSteps = active.reduce((m, a) => Math.max(m, a.steps), 0);
  const h0 = new Float32Array(batch * units);
  const c0 = new Float32Array(batch * units);
  active.forEach((a, b) => {
    h0.set(a.state.h, b * units);
    c0.set(a.state.c, b * units);
  });
  const conv = runConvStack(
    plan,
    active.map((a) => firstLayerInput(plan, a, maxSteps)),
    maxSteps,
    (l, b) => active[b]!.state.convContext[l]!,
  );
  let out: RecurrentOutputs;
  try {
    out = runRecurrent(plan, conv.output, batch, maxSteps, h0, c0);
  } finally {
    conv.output.dispose();
  }

  active.forEach((a, b) => {
    const { state, steps } = a;
    plan.conv.forEach((layer, l) => {
      const ctx = state.convContext[l]!;
      const validRows = layer.contextRows + steps * layer.rowsPerStep;
      const input = conv.inputs[l]![b]!;
      ctx.set(input.subarray((validRows - layer.contextRows) * layer.inChannels, validRows * layer.inChannels));
    });
    const last = ((steps - 1) * batch + b) * units;
    state.h.set(out.hs.subarray(last, last + units));
    state.c.set(out.cs.subarray(last, last + units));
    for (let s = 0; s < steps; s++) {
      const row = (s * batch + b) * units;
      state.ringOutputs.set(out.hs.subarray(row, row + units), state.ringNext * units);
      state.ringScores[state.ringNext] = out.scores[s * batch + b]!;
      state.ringNext = (state.ringNext + 1) % plan.windowSteps;
      state.ringCount = Math.min(state.ringCount + 1, plan.windowSteps);
    }
    const used = steps * plan.stepFrames - state.pendingFrames;
    state.pendingFrames = 0;
    if (!a.dropsTail) appendPending(plan, state, a.frames, a.start + used, a.end - a.start - used);
    state.probs = headProbs(plan, state);
  });
}

/**
 * Advances every stream by its new frames in one batched model call; see the file comment.
 * Streams of one model only. Returns one result per request, in order.
 */
export function stepBatch(model: StreamableModel, requests: readonly StepRequest[]): StepResult[] {
  const plan = streamingPlan(model);
  const f = plan.numCoeffs;
  const active: ActiveStream[] = [];
  const seen = new Set<StreamState>();
  for (const { state, frames, voiced } of requests) {
    if (state.model !== model) throw new Error('stepBatch: expected states created for this model, got another model\'s');
    if (seen.has(state)) throw new Error('stepBatch: expected each stream at most once per call, got one twice');
    seen.add(state);
    const n = voiced.length;
    if (frames.length !== n * f) {
      throw new Error(`stepBatch: expected frames of ${n} × ${f} = ${n * f} values, got ${frames.length}`);
    }
    const scan = scanSilence(voiced, state.silenceRun, plan.resetAfterSilenceFrames);
    state.silenceRun = scan.silenceRun;
    if (scan.resetIndex >= 0) state.resetSegment();
    state.framesSeen += n;
    const start = Math.max(scan.resetIndex, 0);
    const end = scan.usedEnd;
    const steps = Math.floor((state.pendingFrames + end - start) / plan.stepFrames);
    const dropsTail = end < n;
    if (steps > 0) active.push({ state, frames, start, end, steps, dropsTail });
    else if (dropsTail) state.pendingFrames = 0;
    else appendPending(plan, state, frames, start, end - start);
  }
  if (active.length > 0) advance(plan, active);
  return requests.map(({ state }) => {
    state.framesConsumed = state.framesSeen - state.pendingFrames;
    return { probs: state.probs === null ? null : state.probs.slice(), framesConsumed: state.framesConsumed };
  });
}
