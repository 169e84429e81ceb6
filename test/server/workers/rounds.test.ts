/**
 * One round of model work (server/workers/rounds.ts) with a small random model, in this
 * thread: each request is answered in place (settled before the round returns) with what
 * its stream gives stepped alone; a request whose session holds no state is skipped; a
 * failing call rejects only the requests it held, with `internal`, and drops their state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createModel, disposeModel, type ArchName } from '../../../models/architectures/index.js';
import { selectEngine } from '../../../models/engine.js';
import { toLoadedModel, type LoadedModel } from '../../../models/io.js';
import { seededRandom } from '../../../models/ops/init.js';
import { metaForModel } from '../../../models/random_model.js';
import { createStreamState, stepBatch, type StreamState } from '../../../models/streaming/runner.js';
import { naiveWindowFrames } from '../../../models/streaming/span.js';
import { ProtocolError } from '../../../shared/error_codes.js';
import { NaiveWindow } from '../../../server/workers/naive_window.js';
import { naiveRound, streamingRound, type StepRequest } from '../../../server/workers/rounds.js';
import type { StepOutcome } from '../../../server/pipeline/contract.js';

/** Batched against batch-1 calls of the same model. */
const TOLERANCE = 1e-5;

function loaded(arch: ArchName, seed: number): LoadedModel {
  const model = createModel(arch, {}, seed);
  const result = toLoadedModel(metaForModel(model), model.params);
  disposeModel(model);
  return result;
}

/** n frames of uniform noise in ±20 (the placeholder norm divides by 10), all voiced. */
function hop(model: LoadedModel, n: number, seed: number): { frames: Float32Array; voiced: Uint8Array } {
  const random = seededRandom(seed);
  const frames = Float32Array.from({ length: n * model.meta.featureConfig.numCoeffs }, () => (random() * 2 - 1) * 20);
  return { frames, voiced: new Uint8Array(n).fill(1) };
}

/** A request that records how it was settled, synchronously. */
function request(sessionId: string, frames: Float32Array, voiced: Uint8Array) {
  const settled: { outcome?: StepOutcome; error?: Error } = {};
  const req: StepRequest = {
    sessionId,
    frames,
    voiced,
    resolve: (outcome) => (settled.outcome = outcome),
    reject: (error) => (settled.error = error),
  };
  return { req, settled };
}

function assertClose(actual: Float32Array | null | undefined, expected: Float32Array | null | undefined, what: string): void {
  assert.ok(actual instanceof Float32Array && expected instanceof Float32Array, `${what}: expected probabilities, got ${String(actual)} and ${String(expected)}`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i += 1) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= TOLERANCE, `${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`);
  }
}

describe('model rounds', () => {
  let model: LoadedModel;
  let other: LoadedModel;
  before(async () => {
    await selectEngine('wasm');
    model = loaded('cnn-attn-lstm', 3);
    other = loaded('conv1d', 4);
  });
  after(() => {
    model.dispose();
    other.dispose();
  });

  it('streaming: one call for every live stream, each answered in place as if stepped alone; no state, no answer', () => {
    const steps = 3 * model.meta.stepFrames;
    const streams = new Map<string, StreamState>([
      ['a', createStreamState(model)],
      ['b', createStreamState(model)],
    ]);
    const hops = { a: hop(model, steps, 1), b: hop(model, steps, 2), gone: hop(model, steps, 3) };
    const a = request('a', hops.a.frames, hops.a.voiced);
    const b = request('b', hops.b.frames, hops.b.voiced);
    const gone = request('gone', hops.gone.frames, hops.gone.voiced);

    const calls = streamingRound(model, streams, [a.req, gone.req, b.req]);

    assert.equal(calls.length, 1, 'one model call for the round');
    assert.equal(calls[0]?.streams, 2, 'the call held the two streams with state');
    assert.ok((calls[0]?.seconds ?? -1) >= 0, `expected a duration ≥ 0 s, got ${calls[0]?.seconds}`);
    assert.deepEqual(gone.settled, {}, 'a request without state is neither resolved nor rejected');
    for (const [id, r] of [['a', a], ['b', b]] as const) {
      assert.equal(r.settled.error, undefined, `${id}: not rejected`);
      const [alone] = stepBatch(model, [{ state: createStreamState(model), ...hops[id] }]);
      assertClose(r.settled.outcome?.probs, alone?.probs, `${id} probs`);
      assert.equal(r.settled.outcome?.framesConsumed, alone?.framesConsumed, `${id}: frames consumed`);
    }
    assert.deepEqual([...streams.keys()], ['a', 'b'], 'the states live on');
  });

  it('streaming: no live request, no call', () => {
    const { frames, voiced } = hop(model, model.meta.stepFrames, 5);
    const r = request('nobody', frames, voiced);
    assert.deepEqual(streamingRound(model, new Map(), [r.req]), []);
    assert.deepEqual(r.settled, {}, 'nothing settled');
  });

  it('streaming: a failed call rejects the requests it held with internal and drops their states; others untouched', () => {
    // A state made for another model (a window state for the fused runner) fails the whole call.
    const streams = new Map<string, StreamState>([
      ['ok', createStreamState(model)],
      ['foreign', createStreamState(other)],
    ]);
    const { frames, voiced } = hop(model, model.meta.stepFrames, 6);
    const ok = request('ok', frames, voiced);
    const foreign = request('foreign', frames, voiced);
    const skipped = request('skipped', frames, voiced);

    const calls = streamingRound(model, streams, [ok.req, foreign.req, skipped.req]);

    assert.equal(calls.length, 1, 'the failed call is still counted');
    for (const [id, r] of [['ok', ok], ['foreign', foreign]] as const) {
      assert.equal(r.settled.outcome, undefined, `${id}: not resolved`);
      assert.ok(r.settled.error instanceof ProtocolError, `${id}: expected a ProtocolError, got ${String(r.settled.error)}`);
      assert.equal(r.settled.error.code, 'internal', `${id}: code`);
      assert.doesNotMatch(r.settled.error.message, /stepBatch|createStreamState/, `${id}: the engine's message stays in the worker`);
    }
    assert.deepEqual(skipped.settled, {}, 'a request the call did not hold is not settled');
    assert.equal(streams.size, 0, 'the states the call held are dropped');
  });

  it('naive: each session over its own window, answered in place; a failing session ends alone', () => {
    const windowFrames = naiveWindowFrames(model);
    const numCoeffs = model.meta.featureConfig.numCoeffs;
    const allVoiced = new Uint8Array(windowFrames).fill(1);
    const windows = new Map([
      ['a', new NaiveWindow(numCoeffs, windowFrames)],
      ['bad', new NaiveWindow(numCoeffs, windowFrames)],
      ['short', new NaiveWindow(numCoeffs, windowFrames)],
    ]);
    const full = hop(model, windowFrames, 7);
    const a = request('a', full.frames, full.voiced);
    // Frames for one row fewer than the flags: the window refuses them.
    const bad = request('bad', full.frames.subarray(numCoeffs), full.voiced);
    // Less than one step: no model call, no probabilities yet.
    const few = hop(model, model.meta.stepFrames - 1, 8);
    const short = request('short', few.frames, few.voiced);
    const gone = request('gone', full.frames, full.voiced);

    const calls = naiveRound(model, windows, [a.req, bad.req, short.req, gone.req], allVoiced);

    assert.equal(calls.length, 1, 'one call: the only window holding a step');
    assert.equal(calls[0]?.streams, 1, 'naive calls are batch 1');
    assert.equal(a.settled.error, undefined, 'a: not rejected');
    assert.equal(a.settled.outcome?.framesConsumed, windowFrames, 'a: frames seen');
    assert.ok(a.settled.outcome?.probs instanceof Float32Array, 'a: probabilities for a whole window');
    assert.equal(a.settled.outcome.probs.length, model.meta.labels.length, 'a: one probability per label');
    assert.ok(bad.settled.error instanceof ProtocolError, `bad: expected a ProtocolError, got ${String(bad.settled.error)}`);
    assert.equal(bad.settled.error.code, 'internal', 'bad: code');
    assert.deepEqual(short.settled.outcome, { probs: null, framesConsumed: model.meta.stepFrames - 1 }, 'short: answered without probabilities');
    assert.deepEqual(gone.settled, {}, 'gone: skipped');
    assert.deepEqual([...windows.keys()].sort(), ['a', 'short'], 'only the failed session lost its window');
  });
});
