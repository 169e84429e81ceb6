/**
 * Window recompute (models/streaming/window_runner.ts), the clip-level conv1d's runner:
 * streaming = offline after every random-sized chunk (real clips and a long clip with
 * resets, drops and more frames than the span), chunking invariance, batched = alone, the
 * step clock, and flat tensor counts. Random seeded models; a short training span (96
 * frames) keeps the span bound busy and the tests cheap, and one check runs the default 800.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArchName } from '../../models/architectures/index.js';
import type { LoadedModel } from '../../models/io.js';
import type { TrainingMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { createStreamState, predictOffline, stepBatch, WindowStreamState, type StepResult } from '../../models/streaming/runner.js';
import { naiveWindowFrames, resultSpanFrames, windowSpanFrames } from '../../models/streaming/span.js';
import { advanceStepClock, framesConsumedBy, START_CLOCK, type StepRule } from '../../models/streaming/step_clock.js';
import { clipFeatures, maxAbsDiff, normOf, numTensors, randomFrames, randomLoadedModel, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';

const F = 20;
/** Float tolerance for streaming vs offline: the same forward(), only the batch padding differs. */
const TOLERANCE = 1e-5;
/** The recurrent comparison models step statefully instead (streaming_stateful.test.ts). */
const WINDOW_ARCHS: ArchName[] = ['conv1d'];

function spanMeta(maxFrames: number): TrainingMeta {
  return { data: 'random', trainActors: [], valActors: [], epochs: 0, seed: 1, span: { maxFrames } };
}

/** A clip with speech, a long pause (drop + reset), a pause of exactly R, and a trailing pause. */
function longClip(n: number, r: number, seed: number): ClipFeatures {
  const voiced = new Uint8Array(n).fill(1);
  voiced.fill(0, Math.floor(n * 0.2), Math.floor(n * 0.2) + r + 7);
  voiced.fill(0, Math.floor(n * 0.5), Math.floor(n * 0.5) + r);
  voiced.fill(0, n - Math.floor(r / 2));
  return { frames: randomFrames(n, seed), voiced, count: n };
}

/** Feeds a clip in random chunks; after each call the result must equal predictOffline on the prefix. Returns the final result. */
function checkChunked(model: LoadedModel, clip: ClipFeatures, seed: number, maxChunk: number): { last: StepResult; compared: number } {
  const random = seededRandom(seed);
  const state = createStreamState(model);
  let last: StepResult = { probs: null, framesConsumed: 0 };
  let compared = 0;
  for (let pos = 0; pos < clip.count; ) {
    const n = Math.min(clip.count - pos, Math.floor(random() * maxChunk));
    [last] = stepBatch(model, [{ state, frames: clip.frames.subarray(pos * F, (pos + n) * F), voiced: clip.voiced.subarray(pos, pos + n) }]) as [StepResult];
    pos += n;
    const offline = predictOffline(model, clip.frames.subarray(0, pos * F), clip.voiced.subarray(0, pos));
    if (last.probs === null) {
      assert.ok(maxAbsDiff(offline, new Float32Array(offline.length).fill(1 / offline.length)) < 1e-7, `uniform at ${pos}`);
    } else {
      const diff = maxAbsDiff(last.probs, offline);
      assert.ok(diff < TOLERANCE, `${model.arch} after ${pos} frames: max |diff| ${diff}`);
      compared++;
    }
  }
  return { last, compared };
}

for (const arch of WINDOW_ARCHS) {
  describe(`window streaming: ${arch}`, () => {
    let clips: ClipFeatures[];
    let model: LoadedModel;

    before(async () => {
      await useWasm();
      clips = SPEECH_FIXTURES.map(clipFeatures);
      model = randomLoadedModel(21, { arch, meta: { norm: normOf(clips[0]!.frames), resetAfterSilenceFrames: 12, training: spanMeta(96) } });
    });
    after(() => model.dispose());

    it('streams by window recompute over the training span', () => {
      assert.ok(createStreamState(model) instanceof WindowStreamState);
      assert.equal(windowSpanFrames(model.meta), 96);
      assert.equal(resultSpanFrames(model), 96);
      assert.equal(naiveWindowFrames(model), 96);
    });

    it(`real clips: after every random-sized chunk, the result equals predictOffline on the prefix (${TOLERANCE})`, () => {
      for (const [i, clip] of clips.entries()) assert.ok(checkChunked(model, clip, 30 + i, 60).compared > 3);
    });

    it('a long clip (pauses, drops, resets, 5× the span): equal at every chunk; the final result is chunking-invariant', () => {
      const clip = longClip(500, model.meta.resetAfterSilenceFrames, 5);
      const finals = [7, 8, 9].map((seed) => checkChunked(model, clip, seed, 40 + 30 * (seed - 7)).last);
      const whole = predictOffline(model, clip.frames, clip.voiced);
      for (const { probs, framesConsumed } of finals) {
        assert.ok(probs !== null && maxAbsDiff(probs, whole) < TOLERANCE);
        assert.equal(framesConsumed, finals[0]!.framesConsumed);
      }
      // Whole clip in one call.
      const [once] = stepBatch(model, [{ state: createStreamState(model), frames: clip.frames, voiced: clip.voiced }]) as [StepResult];
      assert.ok(once.probs !== null && maxAbsDiff(once.probs, finals[0]!.probs!) < TOLERANCE);
      assert.equal(once.framesConsumed, finals[0]!.framesConsumed);
    });

    it('batched (12 streams, interleaved random chunks) equals each stream alone; framesConsumed follows the step clock', () => {
      const random = seededRandom(40);
      const rule: StepRule = { stepFrames: model.meta.stepFrames, resetAfterSilenceFrames: model.meta.resetAfterSilenceFrames };
      const inputs = Array.from({ length: 12 }, (_, s) => {
        const clip = longClip(60 + Math.floor(random() * 200), rule.resetAfterSilenceFrames, 100 + s);
        return { clip, pos: 0, together: createStreamState(model), alone: createStreamState(model), clock: START_CLOCK };
      });
      while (inputs.some((x) => x.pos < x.clip.count)) {
        const requests = inputs.flatMap((x) => {
          if (random() < 0.3 || x.pos >= x.clip.count) return [];
          const n = Math.min(x.clip.count - x.pos, Math.floor(random() * 30));
          const voiced = x.clip.voiced.subarray(x.pos, x.pos + n);
          const req = { x, frames: x.clip.frames.subarray(x.pos * F, (x.pos + n) * F), voiced };
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
          if (want.probs !== null) assert.ok(maxAbsDiff(got[k]!.probs!, want.probs) < TOLERANCE);
        });
      }
    });

    it('leaks no tensors over many calls', () => {
      const states = Array.from({ length: 3 }, () => createStreamState(model));
      const frames = randomFrames(10, 9);
      const voiced = new Uint8Array(10).fill(1);
      stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      const baseline = numTensors();
      for (let i = 0; i < 200; i++) stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      assert.equal(numTensors(), baseline);
      predictOffline(model, randomFrames(300, 10), new Uint8Array(300).fill(1));
      assert.equal(numTensors(), baseline);
    });

    it('rejects a state of another model and frames that do not match the flags', () => {
      const other = randomLoadedModel(22, { arch });
      try {
        assert.throws(() => stepBatch(model, [{ state: createStreamState(other), frames: new Float32Array(0), voiced: new Uint8Array(0) }]), /this model/);
      } finally {
        other.dispose();
      }
      const state = createStreamState(model);
      assert.throws(() => stepBatch(model, [{ state, frames: new Float32Array(39), voiced: new Uint8Array(2) }]), /expected frames of 2 × 20 = 40 values, got 39/);
    });
  });
}

describe('window streaming: the default span (800 frames)', () => {
  before(useWasm);

  it('conv1d: a 1,000-frame utterance streamed in 1 s chunks ends on predictOffline over its newest 800 frames', () => {
    for (const arch of ['conv1d'] as const) {
      const model = randomLoadedModel(23, { arch, meta: { norm: normOf(randomFrames(100, 1)) } });
      try {
        assert.equal(windowSpanFrames(model.meta), 800);
        const frames = randomFrames(1000, 11);
        const voiced = new Uint8Array(1000).fill(1);
        const state = createStreamState(model);
        let last: StepResult = { probs: null, framesConsumed: 0 };
        for (let pos = 0; pos < 1000; pos += 100) {
          [last] = stepBatch(model, [{ state, frames: frames.subarray(pos * F, (pos + 100) * F), voiced: voiced.subarray(pos, pos + 100) }]) as [StepResult];
        }
        const newest = predictOffline(model, frames.subarray(200 * F), voiced.subarray(200));
        assert.ok(last.probs !== null && maxAbsDiff(last.probs, newest) < TOLERANCE, arch);
        assert.ok(maxAbsDiff(predictOffline(model, frames, voiced), newest) < 1e-6);
      } finally {
        model.dispose();
      }
    }
  });
});
