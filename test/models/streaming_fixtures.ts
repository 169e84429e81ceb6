/**
 * Checks every streaming runner must pass, shared by the runner tests (streaming_runner,
 * streaming_stateful, streaming_window): streaming = offline after every random-sized chunk,
 * chunking invariance, batched = alone with the step clock, no tensor leak, and the request
 * checks. Each takes the runner's tolerance; the models come from the caller.
 * itStreamsLikeOffline registers the set every runner's describe block runs.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toLoadedModel, type LoadedModel } from '../../models/io.js';
import type { TrainingMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { createStreamState, predictOffline, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { segmentRuleOf } from '../../models/streaming/segment.js';
import { advanceStepClock, framesConsumedBy, START_CLOCK, type StepRule } from '../../models/streaming/step_clock.js';
import { maxAbsDiff, numTensors, randomFrames, type ClipFeatures } from './model_fixtures.js';

/** Training metadata of a random model whose span is `maxFrames` frames. */
export function spanMeta(maxFrames: number): TrainingMeta {
  return { data: 'random', trainActors: [], valActors: [], epochs: 0, seed: 1, span: { maxFrames } };
}

/** A clip with speech, a long pause (drop + reset), a pause of exactly R, and a trailing pause. */
export function longClip(n: number, r: number, seed: number): ClipFeatures {
  const voiced = new Uint8Array(n).fill(1);
  voiced.fill(0, Math.floor(n * 0.2), Math.floor(n * 0.2) + r + 7);
  voiced.fill(0, Math.floor(n * 0.5), Math.floor(n * 0.5) + r);
  voiced.fill(0, n - Math.floor(r / 2));
  return { frames: randomFrames(n, seed), voiced, count: n };
}

/**
 * Feeds a clip in random chunks of under `maxChunk` frames; after each call the result must
 * equal predictOffline on the prefix (within `tolerance`). Returns the final result and how
 * many results were compared.
 */
export function checkChunked(model: LoadedModel, clip: ClipFeatures, seed: number, maxChunk: number, tolerance: number): { last: StepResult; compared: number } {
  const f = model.meta.featureConfig.numCoeffs;
  const random = seededRandom(seed);
  const state = createStreamState(model);
  let last: StepResult = { probs: null, framesConsumed: 0 };
  let compared = 0;
  for (let pos = 0; pos < clip.count; ) {
    const n = Math.min(clip.count - pos, Math.floor(random() * maxChunk));
    [last] = stepBatch(model, [{ state, frames: clip.frames.subarray(pos * f, (pos + n) * f), voiced: clip.voiced.subarray(pos, pos + n) }]) as [StepResult];
    pos += n;
    const offline = predictOffline(model, clip.frames.subarray(0, pos * f), clip.voiced.subarray(0, pos));
    if (last.probs === null) {
      assert.ok(maxAbsDiff(offline, new Float32Array(offline.length).fill(1 / offline.length)) < 1e-7, `uniform at ${pos}`);
    } else {
      const diff = maxAbsDiff(last.probs, offline);
      assert.ok(diff < tolerance, `${model.arch} after ${pos} frames: max |diff| ${diff}`);
      compared++;
    }
  }
  return { last, compared };
}

/** A long clip with pauses, in three chunkings and whole: every final result is offline's on the whole clip. */
export function checkChunkingInvariance(model: LoadedModel, clip: ClipFeatures, tolerance: number): void {
  const finals = [7, 8, 9].map((seed) => checkChunked(model, clip, seed, 40 + 30 * (seed - 7), tolerance).last);
  const whole = predictOffline(model, clip.frames, clip.voiced);
  for (const { probs, framesConsumed } of finals) {
    assert.ok(probs !== null && maxAbsDiff(probs, whole) < tolerance, 'final = offline on the whole clip');
    assert.equal(framesConsumed, finals[0]!.framesConsumed);
  }
  const [once] = stepBatch(model, [{ state: createStreamState(model), frames: clip.frames, voiced: clip.voiced }]) as [StepResult];
  assert.ok(once.probs !== null && maxAbsDiff(once.probs, finals[0]!.probs!) < tolerance, 'one call = chunked');
  assert.equal(once.framesConsumed, finals[0]!.framesConsumed);
}

/** 12 streams in interleaved random chunks: batched equals each stream alone; framesConsumed follows the step clock. */
export function checkBatchedEqualsAlone(model: LoadedModel, tolerance: number): void {
  const f = model.meta.featureConfig.numCoeffs;
  const random = seededRandom(40);
  const rule: StepRule = { stepFrames: model.meta.stepFrames, ...segmentRuleOf(model.meta) };
  const inputs = Array.from({ length: 12 }, (_, s) => {
    const clip = longClip(60 + Math.floor(random() * 200), rule.resetAfterSilenceFrames, 100 + s);
    return { clip, pos: 0, together: createStreamState(model), alone: createStreamState(model), clock: START_CLOCK };
  });
  while (inputs.some((x) => x.pos < x.clip.count)) {
    const requests = inputs.flatMap((x) => {
      if (random() < 0.3 || x.pos >= x.clip.count) return [];
      const n = Math.min(x.clip.count - x.pos, Math.floor(random() * 30));
      const voiced = x.clip.voiced.subarray(x.pos, x.pos + n);
      const req = { x, frames: x.clip.frames.subarray(x.pos * f, (x.pos + n) * f), voiced };
      x.pos += n;
      x.clock = advanceStepClock(x.clock, voiced, rule);
      return [req];
    });
    const got = stepBatch(model, requests.map((r) => ({ state: r.x.together, frames: r.frames, voiced: r.voiced })));
    requests.forEach((r, k) => {
      const [want] = stepBatch(model, [{ state: r.x.alone, frames: r.frames, voiced: r.voiced }]) as [StepResult];
      assert.equal(got[k]!.framesConsumed, want.framesConsumed);
      assert.equal(got[k]!.framesConsumed, framesConsumedBy(r.x.clock));
      assert.equal(got[k]!.probs === null, want.probs === null);
      if (want.probs !== null) assert.ok(maxAbsDiff(got[k]!.probs!, want.probs) < tolerance, 'batched = alone');
    });
  }
}

/**
 * `calls` batched calls of `chunkFrames` voiced frames on `streams` streams, then a
 * predictOffline on `offlineFrames` frames (none if 0): the tensor count stays flat.
 */
export function checkNoTensorLeak(model: LoadedModel, calls: number, { streams = 3, chunkFrames = 10, offlineFrames = 300 } = {}): void {
  const states = Array.from({ length: streams }, () => createStreamState(model));
  const frames = randomFrames(chunkFrames, 9);
  const voiced = new Uint8Array(chunkFrames).fill(1);
  stepBatch(model, states.map((state) => ({ state, frames, voiced })));
  const baseline = numTensors();
  for (let i = 0; i < calls; i++) stepBatch(model, states.map((state) => ({ state, frames, voiced })));
  assert.equal(numTensors(), baseline);
  if (offlineFrames === 0) return;
  predictOffline(model, randomFrames(offlineFrames, 10), new Uint8Array(offlineFrames).fill(1));
  assert.equal(numTensors(), baseline);
}

/** stepBatch rejects a state of another model (`createOther`, disposed here) and frames that do not match the flags. */
export function checkRejectsBadRequests(model: LoadedModel, createOther: () => LoadedModel): void {
  const other = createOther();
  try {
    assert.throws(() => stepBatch(model, [{ state: createStreamState(other), frames: new Float32Array(0), voiced: new Uint8Array(0) }]), /this model/);
  } finally {
    other.dispose();
  }
  const state = createStreamState(model);
  assert.throws(() => stepBatch(model, [{ state, frames: new Float32Array(39), voiced: new Uint8Array(2) }]), /expected frames of 2 × 20 = 40 values, got 39/);
}

export interface RunnerChecks {
  /** Streaming vs offline. */
  tolerance: number;
  /** Batched vs alone. */
  batchTolerance: number;
  /** Batched calls of the tensor-leak check. */
  leakCalls: number;
  /** A model of the same architecture but other weights (for the wrong-model request). */
  createOther: () => LoadedModel;
}

/**
 * Registers, inside the caller's describe block, the checks every runner passes on a random
 * model with a 96-frame span and R = 12; `subject` is read when each test runs (after the
 * block's before hook has loaded the model and the speech fixtures).
 */
export function itStreamsLikeOffline(subject: () => { model: LoadedModel; clips: readonly ClipFeatures[] }, checks: RunnerChecks): void {
  const { tolerance } = checks;
  it(`real clips: after every random-sized chunk, the result equals predictOffline on the prefix (${tolerance})`, () => {
    const { model, clips } = subject();
    for (const [i, clip] of clips.entries()) {
      const { compared } = checkChunked(model, clip, 30 + i, 60, tolerance);
      assert.ok(compared > 3, `${compared} results compared`);
    }
  });

  it('a long clip (pauses, drops, resets, 5× the span): equal at every chunk; the final result is chunking-invariant', () => {
    const { model } = subject();
    checkChunkingInvariance(model, longClip(500, model.meta.resetAfterSilenceFrames, 5), tolerance);
  });

  it('batched (12 streams, interleaved random chunks) equals each stream alone; framesConsumed follows the step clock', () => {
    checkBatchedEqualsAlone(subject().model, checks.batchTolerance);
  });

  it('segment cap (meta.maxSegmentFrames 44, not a whole number of steps): equal to offline at every chunk, chunking-invariant, batched = alone', () => {
    const { model } = subject();
    const capped = toLoadedModel({ ...model.meta, maxSegmentFrames: 44 }, model.params);
    try {
      const clip = longClip(500, model.meta.resetAfterSilenceFrames, 6);
      checkChunkingInvariance(capped, clip, tolerance);
      checkBatchedEqualsAlone(capped, checks.batchTolerance);
      const uncapped = predictOffline(model, clip.frames, clip.voiced);
      assert.ok(maxAbsDiff(predictOffline(capped, clip.frames, clip.voiced), uncapped) > 1e-4, 'the cap starts a new segment inside the last speech run, so the answer changes');
    } finally {
      capped.dispose();
    }
  });

  it('leaks no tensors over many calls', () => {
    checkNoTensorLeak(subject().model, checks.leakCalls);
  });

  it('rejects a state of another model and frames that do not match the flags', () => {
    checkRejectsBadRequests(subject().model, checks.createOther);
  });
}
