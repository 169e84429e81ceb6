/**
 * Window recompute (StreamingKind 'window'): the streaming runner for clip-level
 * architectures, whose result is not a function of a carried state (conv1d: a global average
 * pool over the clip); the recurrent ones step statefully (stateful_runner.ts).
 *
 * Per stream the state keeps the normalised frames of its current segment (window_state.ts),
 * cut by the same utterance rule as the fused runner (segment.ts) and bounded to the
 * training span (span.ts). On every call where a stream completes at least one step, its
 * newest whole steps — at most the span — go through forward(); all such streams share ONE
 * forward() call, LEFT-padded to the longest and masked with validFrames exactly as training
 * batches are, so each stream's result is what predictOffline gives on the same frames.
 * Streams that complete no step cost no tensor work and keep their last result.
 *
 * Cost: each result re-runs the whole window, so a step costs a full pass over up to 8 s of
 * frames. Exact, but far dearer per stream than the stateful runners; batching across
 * streams amortises tfjs's per-kernel overhead, not the arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { forward } from '../architectures/index.js';
import type { StreamableModel } from './plan.js';
import { scanSilence, segmentRuleOf } from './segment.js';
import { checkFrames, type StepRequest, type StepResult } from './step_types.js';
import type { WindowStreamState } from './window_state.js';

/** Left-pads each stream's window into one [B, T, F] batch and returns class probabilities per stream. */
function runWindows(model: StreamableModel, states: readonly WindowStreamState[]): Float32Array[] {
  const f = model.meta.featureConfig.numCoeffs;
  const classes = model.meta.labels.length;
  const valid = states.map((s) => s.windowFrames);
  const frames = Math.max(...valid);
  const x = new Float32Array(states.length * frames * f);
  states.forEach((s, b) => {
    const end = s.heldFrames - s.pendingFrames;
    const w = valid[b]!;
    x.set(s.rows.subarray((end - w) * f, end * f), (b * frames + frames - w) * f);
  });
  const probs = tf.tidy(() => tf.softmax(forward(model, tf.tensor3d(x, [states.length, frames, f]), { training: false, validFrames: valid })));
  // Read outside tidy: tidy walks a returned typed array value by value.
  let values: Float32Array;
  try {
    values = probs.dataSync() as Float32Array;
  } finally {
    probs.dispose();
  }
  return states.map((_, b) => values.slice(b * classes, (b + 1) * classes));
}

/**
 * Advances every stream by its new frames; one forward() call for all streams that complete
 * a step. Streams of one model only. Returns one result per request, in order.
 */
export function stepWindowBatch(model: StreamableModel, requests: readonly StepRequest<WindowStreamState>[]): StepResult[] {
  const f = model.meta.featureConfig.numCoeffs;
  const rule = segmentRuleOf(model.meta);
  const seen = new Set<WindowStreamState>();
  for (const { state } of requests) {
    if (state.model !== model) throw new Error("stepBatch: expected states created for this model, got another model's");
    if (seen.has(state)) throw new Error('stepBatch: expected each stream at most once per call, got one twice');
    seen.add(state);
  }
  // Every request is checked before any state changes. (A forward() failure, unlike in the
  // fused runner, leaves the stepped streams' frames appended: the server drops them.)
  for (const { frames, voiced } of requests) checkFrames(frames, voiced, f);
  const stepped: WindowStreamState[] = [];
  for (const { state, frames, voiced } of requests) {
    const scan = scanSilence(voiced, state, rule);
    state.silenceRun = scan.silenceRun;
    state.segmentFrames = scan.segmentFrames;
    if (scan.resetIndex >= 0) state.resetSegment();
    state.framesSeen += voiced.length;
    const start = Math.max(scan.resetIndex, 0);
    const steps = state.append(frames, start, scan.usedEnd - start);
    if (scan.usedEnd < voiced.length) state.dropPending();
    if (steps > 0) stepped.push(state);
  }
  if (stepped.length > 0) {
    const probs = runWindows(model, stepped);
    stepped.forEach((state, b) => {
      state.probs = probs[b]!;
    });
  }
  return requests.map(({ state }) => {
    state.framesConsumed = state.framesSeen - state.pendingFrames;
    return { probs: state.probs === null ? null : state.probs.slice(), framesConsumed: state.framesConsumed };
  });
}
