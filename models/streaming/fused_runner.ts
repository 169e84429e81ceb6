/**
 * The hand-fused stateful runner for cnn-attn-lstm (StreamingKind 'fused-recurrent'); the
 * contract is runner.ts's stepBatch.
 *
 * stepFusedBatch runs ONE set of tfjs calls for every stream that completes at least one model
 * step. Each stream brings exactly its own steps (rows are packed, no padding; streams are
 * ordered most steps first, see workspace.ts): the conv stack runs one matMul per layer over
 * all streams' new rows after their stored contexts (batch_conv.ts); the LSTM runs one matMul
 * per step over the streams that have that step, with the cell update on the host, then one
 * round trip gives every new output's attention score and head projection
 * (batch_recurrent.ts). Every tensor op is row-wise, so each stream's state is what an
 * unbatched call computes. The window's head then runs per stream on the host (head.ts).
 * Streams with no complete step this call cost no tensor work at all. Conv contexts, LSTM
 * state and window change only after every kernel has run, so a tfjs failure cannot leave a
 * stream half advanced.
 */
import { normalizeInto } from '../meta.js';
import { runConvStack } from './batch_conv.js';
import { runRecurrent } from './batch_recurrent.js';
import { headProbs } from './head.js';
import type { RunningStats } from './running_stats.js';
import { batchedStatsHidden } from './stats_batch.js';
import { streamingPlan, type StreamableModel, type StreamingPlan } from './plan.js';
import { admitChunk, type ChunkSpan } from './segment.js';
import type { FusedStreamState } from './state.js';
import { checkFrames, type StepRequest, type StepResult } from './step_types.js';
import { stepLayout } from './workspace.js';

/** A stream that completes at least one step this call; the span's frames are `frames`' (segment.ts). */
interface ActiveStream extends ChunkSpan {
  state: FusedStreamState;
  frames: Float32Array;
  voiced: Uint8Array;
}

/** Appends normalised frames [from, from + rows) of `frames` (and their voiced flags) to the state's pending rows. */
function appendPending(plan: StreamingPlan, state: FusedStreamState, frames: Float32Array, voiced: Uint8Array, from: number, rows: number): void {
  normalizeInto(frames, from, state.pending, state.pendingFrames, rows, plan.mean, plan.invStd);
  state.pendingVoiced.set(voiced.subarray(from, from + rows), state.pendingFrames);
  state.pendingFrames += rows;
}

/** The stats head's sums take the frames the steps just consumed: the pending rows, then `rows` new frames. */
function accumulateStats(plan: StreamingPlan, a: ActiveStream, rows: number): void {
  const { state } = a;
  if (state.stats === null) return;
  state.stats.add(state.pending, 0, state.pendingFrames, state.pendingVoiced, 0);
  const normalised = plan.scratch.take('stats', rows * plan.numCoeffs);
  normalizeInto(a.frames, a.start, normalised, 0, rows, plan.mean, plan.invStd);
  state.stats.add(normalised, 0, rows, a.voiced, a.start);
}

/** Runs the model on the active streams and writes the results back into their states. */
function advance(plan: StreamingPlan, active: ActiveStream[]): void {
  const f = plan.numCoeffs;
  // Most steps first, so the streams taking part in LSTM step s are a prefix (workspace.ts).
  active.sort((x, y) => y.steps - x.steps);
  const layout = stepLayout(active.map((a) => a.steps));
  const conv = runConvStack(
    plan,
    layout,
    active.map((a) => a.state.convContext),
    (b, dst) => {
      const { state, frames, start, steps } = active[b]!;
      dst.set(state.pending.subarray(0, state.pendingFrames * f));
      normalizeInto(frames, start, dst, state.pendingFrames, steps * plan.stepFrames - state.pendingFrames, plan.mean, plan.invStd);
    },
  );
  const out = runRecurrent(
    plan,
    layout,
    conv.features,
    active.map((a) => a.state.h),
    active.map((a) => a.state.c),
  );
  // Every kernel has run (runRecurrent has committed the LSTM states): commit the rest.
  conv.saveContexts();
  const { denseUnits, windowSteps } = plan;
  active.forEach((a, b) => {
    const { state, steps } = a;
    for (let s = 0; s < steps; s++) {
      const row = layout.offsets[s]! + b;
      state.ringProjected.set(out.projected.subarray(row * denseUnits, (row + 1) * denseUnits), state.ringNext * denseUnits);
      state.ringScores[state.ringNext] = out.scores[row]!;
      state.ringNext = (state.ringNext + 1) % windowSteps;
      state.ringCount = Math.min(state.ringCount + 1, windowSteps);
    }
    const used = steps * plan.stepFrames - state.pendingFrames;
    accumulateStats(plan, a, used);
    state.pendingFrames = 0;
    if (!a.dropsTail) appendPending(plan, state, a.frames, a.voiced, a.start + used, a.end - a.start - used);
  });
  // Null below STATS_BATCH_MIN streams: then headProbs computes the hidden layer on the host.
  const statsHidden = plan.stats === null ? null : batchedStatsHidden(plan, active.map((a) => a.state.stats as RunningStats));
  const hiddenUnits = plan.stats?.hidden.length ?? 0;
  active.forEach(({ state }, b) => {
    state.probs = headProbs(plan, state, statsHidden === null ? null : statsHidden.subarray(b * hiddenUnits, (b + 1) * hiddenUnits));
  });
}

/**
 * Advances every stream by its new frames in one batched model call; see the file comment.
 * Streams of one model only. Returns one result per request, in order.
 */
export function stepFusedBatch(model: StreamableModel, requests: readonly StepRequest<FusedStreamState>[]): StepResult[] {
  const plan = streamingPlan(model);
  const f = plan.numCoeffs;
  const active: ActiveStream[] = [];
  const seen = new Set<FusedStreamState>();
  for (const { state, frames, voiced } of requests) {
    if (state.model !== model) throw new Error('stepBatch: expected states created for this model, got another model\'s');
    if (seen.has(state)) throw new Error('stepBatch: expected each stream at most once per call, got one twice');
    seen.add(state);
    checkFrames(frames, voiced, f);
    const span = admitChunk(state, voiced, plan.segments, plan.stepFrames);
    if (span.steps > 0) active.push({ state, frames, voiced, ...span });
    else if (span.dropsTail) state.pendingFrames = 0;
    else appendPending(plan, state, frames, voiced, span.start, span.end - span.start);
  }
  if (active.length > 0) advance(plan, active);
  return requests.map(({ state }) => {
    state.framesConsumed = state.framesSeen - state.pendingFrames;
    return { probs: state.probs === null ? null : state.probs.slice(), framesConsumed: state.framesConsumed };
  });
}
