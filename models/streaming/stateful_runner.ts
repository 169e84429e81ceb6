/**
 * Stateful stepping (StreamingKind 'stateful') for the recurrent architectures that declare
 * their layers (statefulLayers: lstm, conv1d-lstm); the contract is runner.ts's stepBatch.
 *
 * Like the fused runner, ONE set of tfjs calls serves every stream that completes at least
 * one model step, each bringing exactly its own new steps (packed rows, most steps first;
 * workspace.ts): one matMul per conv block over all streams' new rows after their stored
 * contexts, max-pooled on the host (batch_conv.ts), then per LSTM layer one matMul per step
 * over the streams that have that step (batch_recurrent.ts). The dense head runs on the host
 * on each stream's last output. Every tensor op is row-wise, so a stream's result is what it
 * would get alone; state changes only after every kernel has run, so a tfjs failure cannot
 * leave a stream half advanced. Streams with no complete step cost no tensor work.
 *
 * The state carries over the whole segment (segment.ts), so a segment longer than the
 * training span (span.ts) is not cut to it as window recompute does: the result equals
 * forward() over the segment's whole steps from zero state, which is what predictOffline
 * computes for this kind.
 */
import { normalizeInto } from '../meta.js';
import { runConvStack } from './batch_conv.js';
import { runLstmLayer } from './batch_recurrent.js';
import { softmaxInto } from './head.js';
import type { StreamableModel } from './plan.js';
import { admitChunk, type ChunkSpan } from './segment.js';
import { statefulPlan, type StatefulPlan } from './stateful_plan.js';
import type { StatefulStreamState } from './stateful_state.js';
import { checkFrames, type StepRequest, type StepResult } from './step_types.js';
import { stepLayout, type StepLayout } from './workspace.js';

/** A stream that completes at least one step this call; the span's frames are `frames`' (segment.ts). */
interface ActiveStream extends ChunkSpan {
  state: StatefulStreamState;
  frames: Float32Array;
}

/** Appends normalised frames [from, from + rows) of `frames` to the state's pending rows. */
function appendPending(plan: StatefulPlan, state: StatefulStreamState, frames: Float32Array, from: number, rows: number): void {
  normalizeInto(frames, from, state.pending, state.pendingFrames, rows, plan.mean, plan.invStd);
  state.pendingFrames += rows;
}

/** Without conv blocks: each step's stepFrames frames stacked into one row, packed time-major. */
function stackedSteps(plan: StatefulPlan, layout: StepLayout, writeRows: (b: number, dst: Float32Array) => void): Float32Array {
  const width = plan.stepFrames * plan.numCoeffs;
  const out = plan.scratch.take('steps', layout.rows * width);
  layout.steps.forEach((steps, b) => {
    const rows = plan.scratch.take('stream-steps', steps * width);
    writeRows(b, rows);
    for (let s = 0; s < steps; s++) out.set(rows.subarray(s * width, (s + 1) * width), (layout.offsets[s]! + b) * width);
  });
  return out;
}

/** softmax(W · relu(W1 · h + b1) + b) into `probs`; h: the last LSTM layer's output row. */
function headProbs(plan: StatefulPlan, h: Float32Array, probs: Float32Array): Float32Array {
  const { denseUnits, numClasses, dense1W, dense1B, outW, outB } = plan;
  const acc = plan.headScratch;
  for (let d = 0; d < denseUnits; d++) acc[d] = dense1B[d]!;
  for (let u = 0; u < h.length; u++) {
    const x = h[u]!;
    const row = u * denseUnits;
    for (let d = 0; d < denseUnits; d++) acc[d]! += x * dense1W[row + d]!;
  }
  for (let k = 0; k < numClasses; k++) acc[denseUnits + k] = outB[k]!;
  for (let d = 0; d < denseUnits; d++) {
    const x = Math.max(0, acc[d]!);
    const row = d * numClasses;
    for (let k = 0; k < numClasses; k++) acc[denseUnits + k]! += x * outW[row + k]!;
  }
  return softmaxInto(acc, denseUnits, numClasses, probs);
}

/** Runs the model on the active streams and writes the results back into their states. */
function advance(plan: StatefulPlan, active: ActiveStream[]): void {
  const f = plan.numCoeffs;
  // Most steps first, so the streams taking part in LSTM step s are a prefix (workspace.ts).
  active.sort((x, y) => y.steps - x.steps);
  const layout = stepLayout(active.map((a) => a.steps));
  const writeRows = (b: number, dst: Float32Array): void => {
    const { state, frames, start, steps } = active[b]!;
    dst.set(state.pending.subarray(0, state.pendingFrames * f));
    normalizeInto(frames, start, dst, state.pendingFrames, steps * plan.stepFrames - state.pendingFrames, plan.mean, plan.invStd);
  };
  const conv = plan.conv.length === 0 ? null : runConvStack(plan, layout, active.map((a) => a.state.convContext), writeRows);
  let features = conv === null ? stackedSteps(plan, layout, writeRows) : conv.features;
  const layers = plan.lstm.map((lstm, i) => {
    const out = runLstmLayer(lstm, plan.scratch, `lstm${i}`, layout, features, active.map((a) => a.state.h[i]!), active.map((a) => a.state.c[i]!));
    features = out.hs;
    return out;
  });
  // Every kernel has run: commit the states.
  conv?.saveContexts();
  for (const layer of layers) layer.commit();
  const units = plan.lstm[plan.lstm.length - 1]!.units;
  active.forEach((a, b) => {
    const { state, steps } = a;
    const row = layout.offsets[steps - 1]! + b;
    state.probs = headProbs(plan, features.subarray(row * units, (row + 1) * units), state.probsValues);
    const used = steps * plan.stepFrames - state.pendingFrames;
    state.pendingFrames = 0;
    if (!a.dropsTail) appendPending(plan, state, a.frames, a.start + used, a.end - a.start - used);
  });
}

/**
 * Advances every stream by its new frames in one batched model call; see the file comment.
 * Streams of one model only. Returns one result per request, in order.
 */
export function stepStatefulBatch(model: StreamableModel, requests: readonly StepRequest<StatefulStreamState>[]): StepResult[] {
  const plan = statefulPlan(model);
  const seen = new Set<StatefulStreamState>();
  for (const { state, frames, voiced } of requests) {
    if (state.model !== model) throw new Error("stepBatch: expected states created for this model, got another model's");
    if (seen.has(state)) throw new Error('stepBatch: expected each stream at most once per call, got one twice');
    seen.add(state);
    checkFrames(frames, voiced, plan.numCoeffs);
  }
  const active: ActiveStream[] = [];
  for (const { state, frames, voiced } of requests) {
    const span = admitChunk(state, voiced, plan.segments, plan.stepFrames);
    if (span.steps > 0) active.push({ state, frames, ...span });
    else if (span.dropsTail) state.pendingFrames = 0;
    else appendPending(plan, state, frames, span.start, span.end - span.start);
  }
  if (active.length > 0) advance(plan, active);
  return requests.map(({ state }) => {
    state.framesConsumed = state.framesSeen - state.pendingFrames;
    return { probs: state.probs === null ? null : state.probs.slice(), framesConsumed: state.framesConsumed };
  });
}
