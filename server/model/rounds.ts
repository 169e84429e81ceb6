/**
 * One round of model work for the requests the scheduler took: streaming mode steps every
 * live stream in ONE `stepBatch` call; naive mode (the baseline, as the sources serve a clip
 * model) re-runs the model over each session's whole last window of frames, batch 1, no
 * carried state. A failed call ends the sessions it held (their state is undefined after it);
 * the others carry on.
 */
import type { LoadedModel } from '../../models/io.js';
import { predictOffline, stepBatch, type StreamState } from '../../models/streaming/runner.js';
import type { HopRequest, HopResult, ModelCall } from './messages.js';
import type { NaiveWindow } from './naive_window.js';

/** A round's answers, one per request whose session still had state, and its model calls. */
export interface RoundOutput {
  results: HopResult[];
  calls: ModelCall[];
}

const failed = (r: HopRequest, message: string): HopResult => ({
  sessionId: r.sessionId,
  requestId: r.requestId,
  probs: null,
  framesConsumed: 0,
  error: message,
});

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function streamingRound(model: LoadedModel, streams: Map<string, StreamState>, taken: readonly HopRequest[]): RoundOutput {
  const live = taken.filter((r) => streams.has(r.sessionId));
  const started = performance.now();
  let results: HopResult[];
  try {
    const out = stepBatch(
      model,
      live.map((r) => ({ state: streams.get(r.sessionId) as StreamState, frames: r.frames, voiced: r.voiced })),
    );
    results = live.map((r, i) => {
      const o = out[i];
      return { sessionId: r.sessionId, requestId: r.requestId, probs: o?.probs ?? null, framesConsumed: o?.framesConsumed ?? 0 };
    });
  } catch (err) {
    const message = messageOf(err);
    // A failed call leaves the states undefined; the sessions end with `internal`.
    for (const r of live) streams.delete(r.sessionId);
    results = live.map((r) => failed(r, message));
  }
  const seconds = (performance.now() - started) / 1000;
  return { results, calls: live.length > 0 ? [{ streams: live.length, seconds }] : [] };
}

/** `allVoiced`: ≥ window frames of 1s (the clip model counts every frame as voiced). */
export function naiveRound(
  model: LoadedModel,
  windows: Map<string, NaiveWindow>,
  taken: readonly HopRequest[],
  allVoiced: Uint8Array,
): RoundOutput {
  const results: HopResult[] = [];
  const calls: ModelCall[] = [];
  for (const r of taken) {
    const window = windows.get(r.sessionId);
    if (window === undefined) continue;
    const started = performance.now();
    try {
      window.push(r.frames, r.voiced);
      const n = window.framesSeen;
      const view = window.view();
      // The sources' clip model sees the whole window: no utterance rule trims it (all
      // frames count as voiced for the model; the hop's own `voiced` flag is unchanged).
      const probs =
        view.voiced.length >= model.meta.stepFrames ? predictOffline(model, view.frames, allVoiced.subarray(0, view.voiced.length)) : null;
      results.push({ sessionId: r.sessionId, requestId: r.requestId, probs, framesConsumed: n });
      if (probs !== null) calls.push({ streams: 1, seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      windows.delete(r.sessionId);
      results.push(failed(r, messageOf(err)));
    }
  }
  return { results, calls };
}
