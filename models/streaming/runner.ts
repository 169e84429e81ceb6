/**
 * The streaming contract the server uses (docs/architecture.md): createStreamState,
 * stepBatch, predictOffline — for every architecture. Each architecture declares how it
 * streams (Architecture.streaming, models/architectures/types.ts) and this file hands its
 * streams to that runner:
 * - 'fused-recurrent' (cnn-attn-lstm): fused_runner.ts, stateful, a few kernels per call;
 * - 'stateful' (lstm, conv1d-lstm): stateful_runner.ts, the declared conv blocks and stacked
 *   LSTMs stepped with per-stream state, batched across streams;
 * - 'window' (conv1d): window_runner.ts, forward() re-run over the segment's newest training
 *   span at each step, batched across streams;
 * - 'ensemble': ensemble_runner.ts, each member stepped by its own runner (this file's
 *   stepBatch, passed in), the members' log-probabilities averaged.
 * All apply the same utterance rule (segment.ts) and step grid, so step_clock.ts describes
 * what any of them consumes, and each equals predictOffline on the same frames.
 */
import { streamingKindOf } from '../architectures/index.js';
import { streamableMembers } from './ensemble_members.js';
import { stepEnsembleBatch } from './ensemble_runner.js';
import { EnsembleStreamState } from './ensemble_state.js';
import { segmentRuleOf, segmentStartsAfterFirst } from './segment.js';
import { stepFusedBatch } from './fused_runner.js';
import type { StreamableModel } from './plan.js';
import { stepStatefulBatch } from './stateful_runner.js';
import { StatefulStreamState } from './stateful_state.js';
import { createFusedStreamState, FusedStreamState } from './state.js';
import type { StepRequest as AnyStepRequest, StepResult } from './step_types.js';
import { stepWindowBatch } from './window_runner.js';
import { WindowStreamState } from './window_state.js';

export { predictOffline } from './offline.js';
export { StatefulStreamState } from './stateful_state.js';
export { FusedStreamState } from './state.js';
export { WindowStreamState } from './window_state.js';
export { EnsembleStreamState } from './ensemble_state.js';
export type { StepResult, StreamStateBase } from './step_types.js';

/** One stream's state, owned by one stream; plain typed arrays, no tensors. */
export type StreamState = FusedStreamState | StatefulStreamState | WindowStreamState | EnsembleStreamState<StreamState>;
export type StepRequest = AnyStepRequest<StreamState>;

/** A fresh state for one stream of `model`, for the runner its architecture streams with. */
export function createStreamState(model: StreamableModel): StreamState {
  switch (streamingKindOf(model.arch)) {
    case 'fused-recurrent':
      return createFusedStreamState(model);
    case 'stateful':
      return new StatefulStreamState(model);
    case 'window':
      return new WindowStreamState(model);
    case 'ensemble':
      return new EnsembleStreamState(model, streamableMembers(model).map(createStreamState));
  }
}

function statesOf<S>(requests: readonly StepRequest[], kind: abstract new (...args: never[]) => S): AnyStepRequest<S>[] {
  return requests.map(({ state, frames, voiced }) => {
    if (!(state instanceof kind)) throw new Error(`stepBatch: expected states made by createStreamState for this model, got a ${state.constructor.name}`);
    return { state, frames, voiced };
  });
}

/**
 * Advances every stream by its new frames in one batched model call (see the runners).
 * Streams of one model only. Returns one result per request, in order: `probs` is the
 * stream's result after this call (null before its segment's first step), `framesConsumed`
 * the cumulative frames absorbed by steps or dropped by the utterance rule.
 */
export function stepBatch(model: StreamableModel, requests: readonly StepRequest[]): StepResult[] {
  if (model.meta.speakerNorm === undefined) return stepPieces(model, requests);
  // With a speaker reference, a segment's statistics must be complete when the next segment
  // starts: a chunk that holds both is cut there and its pieces stepped in turn, as smaller
  // chunks would be (without a reference the old segment's last frames change nothing).
  // Such chunks are rare (a pause inside one hop), so the common call allocates no pieces.
  const rule = segmentRuleOf(model.meta);
  let starts: (readonly number[])[] | null = null;
  requests.forEach(({ state, voiced }, r) => {
    const found = segmentStartsAfterFirst(voiced, countersOf(state), rule);
    if (found.length > 0) (starts ??= requests.map(() => []))[r] = found;
  });
  return starts === null ? stepPieces(model, requests) : stepCut(model, requests, starts);
}

/** Steps each request's pieces, cut at `starts[r]`, in rounds: piece k of every request in round k. */
function stepCut(model: StreamableModel, requests: readonly StepRequest[], starts: readonly (readonly number[])[]): StepResult[] {
  const f = model.meta.featureConfig.numCoeffs;
  const pieces = requests.map(({ state, frames, voiced }, r) => {
    const cuts = [0, ...starts[r]!, voiced.length];
    return cuts.slice(1).map((end, k) => ({ state, frames: frames.subarray(cuts[k]! * f, end * f), voiced: voiced.subarray(cuts[k]!, end) }));
  });
  const rounds = Math.max(...pieces.map((p) => p.length));
  const results: StepResult[] = new Array<StepResult>(requests.length);
  for (let k = 0; k < rounds; k++) {
    const taking = pieces.flatMap((p, r) => (k < p.length ? [r] : []));
    const out = stepPieces(model, taking.map((r) => pieces[r]![k]!));
    taking.forEach((r, i) => (results[r] = out[i]!));
  }
  return results;
}

/** The utterance counters of a stream (an ensemble's are its first member's). */
function countersOf(state: StreamState): { silenceRun: number; segmentFrames: number } {
  return state instanceof EnsembleStreamState ? countersOf(state.members[0]!) : state;
}

function stepPieces(model: StreamableModel, requests: readonly StepRequest[]): StepResult[] {
  switch (streamingKindOf(model.arch)) {
    case 'fused-recurrent':
      return stepFusedBatch(model, statesOf(requests, FusedStreamState));
    case 'stateful':
      return stepStatefulBatch(model, statesOf(requests, StatefulStreamState));
    case 'window':
      return stepWindowBatch(model, statesOf(requests, WindowStreamState));
    case 'ensemble':
      // stepBatch has cut the chunks already: the members step the same pieces as they are.
      return stepEnsembleBatch<StreamState>(model, statesOf(requests, EnsembleStreamState) as AnyStepRequest<EnsembleStreamState<StreamState>>[], stepPieces);
  }
}
