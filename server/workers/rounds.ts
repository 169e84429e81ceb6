/**
 * One round of model work for the requests the scheduler took: streaming mode steps every
 * live stream in ONE `stepBatch` call; naive mode (the baseline, as the sources serve a clip
 * model) re-runs the model over each session's whole last window of frames, batch 1, no
 * carried state. Each request is answered in place (its promise settled, in this thread);
 * a failed call ends the sessions it held (their state is undefined after it) with
 * `internal`; the others carry on.
 */
import type { LoadedModel } from '../../models/io.js';
import { predictOffline, stepBatch, type StreamState } from '../../models/streaming/runner.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { StepOutcome } from '../pipeline/contract.js';
import type { ModelCall } from './messages.js';
import type { NaiveWindow } from './naive_window.js';

/** One hop of a stream's pipeline waiting for its round; the round settles it. */
export interface StepRequest {
  sessionId: string;
  /** n × numCoeffs raw MFCC, row-major. */
  frames: Float32Array;
  /** n voiced flags (0/1) from the VoicedGate. */
  voiced: Uint8Array;
  resolve(outcome: StepOutcome): void;
  reject(err: Error): void;
}

/** Why a stream's step failed, as its client may read it (the engine's message stays in the worker). */
const modelFailed = (): ProtocolError => new ProtocolError('internal', 'the model failed on this stream');

/** Steps the live requests in one call; returns the call (none when no request had state). */
export function streamingRound(model: LoadedModel, streams: Map<string, StreamState>, taken: readonly StepRequest[]): ModelCall[] {
  const live = taken.filter((r) => streams.has(r.sessionId));
  if (live.length === 0) return [];
  const started = performance.now();
  let outcomes: StepOutcome[] | null = null;
  try {
    outcomes = stepBatch(
      model,
      live.map((r) => ({ state: streams.get(r.sessionId) as StreamState, frames: r.frames, voiced: r.voiced })),
    ).map((o) => ({ probs: o.probs, framesConsumed: o.framesConsumed }));
  } catch {
    // A failed call leaves the states undefined; the sessions end with `internal`.
    for (const r of live) streams.delete(r.sessionId);
  }
  const calls = [{ streams: live.length, seconds: (performance.now() - started) / 1000 }];
  live.forEach((r, i) => {
    if (outcomes === null) r.reject(modelFailed());
    else r.resolve(outcomes[i] ?? { probs: null, framesConsumed: 0 });
  });
  return calls;
}

/** `allVoiced`: ≥ window frames of 1s (the clip model counts every frame as voiced). */
export function naiveRound(model: LoadedModel, windows: Map<string, NaiveWindow>, taken: readonly StepRequest[], allVoiced: Uint8Array): ModelCall[] {
  const calls: ModelCall[] = [];
  for (const r of taken) {
    const window = windows.get(r.sessionId);
    if (window === undefined) continue;
    const started = performance.now();
    let outcome: StepOutcome;
    try {
      window.push(r.frames, r.voiced);
      const view = window.view();
      // The sources' clip model sees the whole window: no utterance rule trims it (all
      // frames count as voiced for the model; the hop's own `voiced` flag is unchanged).
      const probs =
        view.voiced.length >= model.meta.stepFrames ? predictOffline(model, view.frames, allVoiced.subarray(0, view.voiced.length)) : null;
      outcome = { probs, framesConsumed: window.framesSeen };
      if (probs !== null) calls.push({ streams: 1, seconds: (performance.now() - started) / 1000 });
    } catch {
      windows.delete(r.sessionId);
      r.reject(modelFailed());
      continue;
    }
    r.resolve(outcome);
  }
  return calls;
}
