import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadedModel } from '../../models/io.js';
import { seededRandom } from '../../models/ops/init.js';
import { createStreamState as createAnyState, FusedStreamState, predictOffline, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { lastSegmentRange, scanSilence, segmentRanges, segmentRuleOf } from '../../models/streaming/segment.js';
import { stepLayout } from '../../models/streaming/workspace.js';
import { advanceStepClock, framesConsumedBy, framesToNextStep, START_CLOCK, tickStepClock, type StepRule } from '../../models/streaming/step_clock.js';
import { clipFeatures, maxAbsDiff, normOf, randomFrames, randomLoadedModel, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';
import { checkChunked, checkNoTensorLeak } from './streaming_fixtures.js';

const F = 20;

/** This file tests the fused runner (cnn-attn-lstm) and reads its state's fields. */
function createStreamState(model: LoadedModel): FusedStreamState {
  const state = createAnyState(model);
  assert.ok(state instanceof FusedStreamState, 'a FusedStreamState');
  return state;
}

/** Alternating voiced / unvoiced runs of 1 … 2R + 3 frames: drops, resets, runs of exactly R. */
function randomVoicedPattern(n: number, r: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const voiced = new Uint8Array(n);
  let value = random() < 0.5 ? 1 : 0;
  for (let pos = 0; pos < n; value = 1 - value) {
    const pick = random();
    // A quarter of the pauses last exactly R or R + 1 frames, the edges of the rule.
    const run = value === 0 && pick < 0.25 ? r + (pick < 0.125 ? 0 : 1) : 1 + Math.floor(random() * (2 * r + 3));
    voiced.fill(value, pos, Math.min(n, pos + run));
    pos += run;
  }
  return voiced;
}

describe('streaming runner', () => {
  let clips: ClipFeatures[];
  let model: LoadedModel;

  before(async () => {
    await useWasm();
    clips = SPEECH_FIXTURES.map(clipFeatures);
    model = randomLoadedModel(11, { meta: { norm: normOf(clips[0]!.frames) } });
  });
  after(() => model.dispose());

  it('real clips: after every random-sized chunk, the result equals predictOffline on the prefix (1e-4)', () => {
    for (const [i, clip] of clips.entries()) {
      assert.ok(clip.voiced.some((v) => v === 1), 'the fixture has voiced frames');
      for (const seed of [1, 2]) {
        const { compared } = checkChunked(model, clip, seed * 10 + i, 60, 1e-4);
        assert.ok(compared > 3, `${compared} results compared`);
      }
    }
  });

  it('the whole clip: the trailing pause is dropped, so the final result is the utterance', () => {
    // The neutral clip: a leading pause and a trailing one longer than the reset rule (the
    // angry clip's audible breath opens the gate from its first frame).
    const clip = clips[0]!;
    const { start, end } = lastSegmentRange(clip.voiced, segmentRuleOf(model.meta));
    assert.ok(start > 0 && end < clip.count, `segment ${start}–${end} of ${clip.count}`);
    const whole = predictOffline(model, clip.frames, clip.voiced);
    const trimmed = predictOffline(model, clip.frames.subarray(start * F, end * F), clip.voiced.subarray(start, end));
    assert.ok(maxAbsDiff(whole, trimmed) < 1e-6, 'whole clip = its segment');
  });

  it('a long clip with pauses, resets and drops matches offline at every chunk', () => {
    const frames = randomFrames(900, 3);
    const voiced = new Uint8Array(900).fill(1);
    const r = model.meta.resetAfterSilenceFrames;
    voiced.fill(0, 200, 200 + r + 5); // long pause: drop + reset
    voiced.fill(0, 400, 400 + r); // exactly R: no drop, reset on resume
    voiced.fill(0, 600, 600 + r - 1); // shorter: fed through
    voiced.fill(0, 880); // short trailing pause
    const { compared } = checkChunked(model, { frames, voiced, count: 900 }, 4, 120, 1e-4);
    assert.ok(compared > 5, `${compared} results compared`);
  });

  it('batched (40 streams, interleaved random chunks) equals unbatched (1e-5)', () => {
    const streams = 40;
    const random = seededRandom(77);
    const inputs = Array.from({ length: streams }, (_, s) => {
      const n = 100 + Math.floor(random() * 400);
      const voiced = Uint8Array.from({ length: n }, (_, i) => (i % 97 < 80 ? 1 : 0));
      if (s % 5 === 0) voiced.fill(0, 50, 50 + model.meta.resetAfterSilenceFrames);
      return { frames: randomFrames(n, 1000 + s), voiced, pos: 0 };
    });
    const batched = inputs.map(() => createStreamState(model));
    const single = inputs.map(() => createStreamState(model));
    for (let round = 0; inputs.some((x) => x.pos < x.voiced.length); round++) {
      const requests = inputs.flatMap((x, s) => {
        if (random() < 0.3 || x.pos >= x.voiced.length) return [];
        const n = Math.min(x.voiced.length - x.pos, Math.floor(random() * 50));
        const req = { index: s, frames: x.frames.subarray(x.pos * F, (x.pos + n) * F), voiced: x.voiced.subarray(x.pos, x.pos + n) };
        x.pos += n;
        return [req];
      });
      const together = stepBatch(model, requests.map((r) => ({ state: batched[r.index]!, frames: r.frames, voiced: r.voiced })));
      requests.forEach((r, k) => {
        const [alone] = stepBatch(model, [{ state: single[r.index]!, frames: r.frames, voiced: r.voiced }]) as [StepResult];
        const got = together[k]!;
        assert.equal(got.framesConsumed, alone.framesConsumed);
        assert.equal(got.probs === null, alone.probs === null, `round ${round} stream ${r.index}`);
        if (got.probs !== null && alone.probs !== null) assert.ok(maxAbsDiff(got.probs, alone.probs) < 1e-5, 'batched = unbatched');
      });
    }
    batched.forEach((state, s) => {
      const other = single[s]!;
      assert.ok(maxAbsDiff(state.h, other.h) < 1e-5 && maxAbsDiff(state.c, other.c) < 1e-5, `stream ${s} LSTM state`);
      assert.equal(state.ringCount, other.ringCount);
    });
  });

  it('one call with very different step counts (1 … 40 steps) equals each stream alone', () => {
    const lengths = [8, 320, 17, 0, 95, 8, 3, 41];
    const together = lengths.map(() => createStreamState(model));
    const alone = lengths.map(() => createStreamState(model));
    for (let round = 0; round < 3; round++) {
      const requests = lengths.map((n, s) => ({ frames: randomFrames(n, 500 + 10 * round + s), voiced: new Uint8Array(n).fill(1) }));
      const got = stepBatch(model, requests.map((r, s) => ({ state: together[s]!, ...r })));
      requests.forEach((r, s) => {
        const [want] = stepBatch(model, [{ state: alone[s]!, ...r }]) as [StepResult];
        assert.equal(got[s]!.framesConsumed, want.framesConsumed);
        assert.equal(got[s]!.probs === null, want.probs === null, `round ${round} stream ${s}`);
        if (want.probs !== null) assert.ok(maxAbsDiff(got[s]!.probs!, want.probs) < 1e-6, `round ${round} stream ${s}`);
        assert.ok(maxAbsDiff(together[s]!.h, alone[s]!.h) < 1e-6 && maxAbsDiff(together[s]!.c, alone[s]!.c) < 1e-6, `round ${round} stream ${s} LSTM state`);
        together[s]!.convContext.forEach((ctx, l) => assert.ok(maxAbsDiff(ctx, alone[s]!.convContext[l]!) < 1e-6, `stream ${s} layer ${l} context`));
      });
    }
  });

  it('packed step layout: per step, the streams that have it are a prefix', () => {
    assert.deepEqual(stepLayout([4, 3, 3, 1]), { steps: [4, 3, 3, 1], counts: [4, 3, 3, 1], offsets: [0, 4, 7, 10], rows: 11 });
    assert.deepEqual(stepLayout([2, 2]), { steps: [2, 2], counts: [2, 2], offsets: [0, 2], rows: 4 });
    assert.deepEqual(stepLayout([]), { steps: [], counts: [], offsets: [], rows: 0 });
    assert.throws(() => stepLayout([1, 2]), /sorted most first/);
  });

  it('utterance rule: drop after R unvoiced frames, reset when speech resumes', () => {
    const r = model.meta.resetAfterSilenceFrames;
    const counters0 = { silenceRun: 0, segmentFrames: 0 };
    const r3 = { resetAfterSilenceFrames: 3 };
    assert.deepEqual(scanSilence(Uint8Array.from([1, 0, 0, 0, 1, 0, 0]), counters0, r3), { resetIndex: 4, usedEnd: 7, silenceRun: 2, segmentFrames: 3 });
    assert.deepEqual(scanSilence(Uint8Array.from([1, 0, 0, 0, 0, 0]), counters0, r3), { resetIndex: -1, usedEnd: 4, silenceRun: 5, segmentFrames: 4 }, 'dropped frames are not counted');
    assert.deepEqual(scanSilence(Uint8Array.from([0, 1, 1]), { silenceRun: 4, segmentFrames: 10 }, r3), { resetIndex: 1, usedEnd: 3, silenceRun: 0, segmentFrames: 2 });
    assert.deepEqual(scanSilence(Uint8Array.from([0, 0]), { silenceRun: 4, segmentFrames: 10 }, r3), { resetIndex: -1, usedEnd: 0, silenceRun: 6, segmentFrames: 10 });
    assert.deepEqual(lastSegmentRange(Uint8Array.from([0, 0, 0, 0, 1, 1, 0]), r3), { start: 4, end: 7 });
    // The segment cap: a voiced frame after M fed frames starts a new segment (unvoiced fed frames count).
    const capped = { resetAfterSilenceFrames: 3, maxSegmentFrames: 4 };
    assert.deepEqual(scanSilence(new Uint8Array(10).fill(1), counters0, capped), { resetIndex: 8, usedEnd: 10, silenceRun: 0, segmentFrames: 2 });
    assert.deepEqual(segmentRanges(new Uint8Array(10).fill(1), capped), [{ start: 0, end: 4 }, { start: 4, end: 8 }, { start: 8, end: 10 }]);
    assert.deepEqual(segmentRanges(Uint8Array.from([1, 1, 1, 0, 1, 1]), capped), [{ start: 0, end: 4 }, { start: 4, end: 6 }], 'the tail frame counts toward the cap');
    assert.deepEqual(segmentRanges(Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 1]), capped), [{ start: 0, end: 6 }, { start: 7, end: 8 }], 'a pause ends it as before');
    assert.deepEqual(scanSilence(Uint8Array.from([1, 1]), { silenceRun: 0, segmentFrames: 3 }, capped), { resetIndex: 1, usedEnd: 2, silenceRun: 0, segmentFrames: 1 }, 'the count carries across chunks');

    const state = createStreamState(model);
    const speech = randomFrames(200, 5);
    const [first] = stepBatch(model, [{ state, frames: speech, voiced: new Uint8Array(200).fill(1) }]) as [StepResult];
    assert.ok(first.probs !== null, 'a result after speech');
    // A long pause: R frames feed the model, the rest are dropped; the last result is held.
    const [paused] = stepBatch(model, [{ state, frames: randomFrames(r + 40, 6), voiced: new Uint8Array(r + 40) }]) as [StepResult];
    assert.ok(paused.probs !== null, 'the result is held over the pause');
    assert.equal(paused.framesConsumed, 200 + r + 40);
    assert.equal(state.pendingFrames, 0);
    const [still] = stepBatch(model, [{ state, frames: randomFrames(300, 7), voiced: new Uint8Array(300) }]) as [StepResult];
    assert.deepEqual(still.probs, paused.probs);
    assert.ok(state.h.some((v) => v !== 0), 'the LSTM state is held over the pause');
    // Speech resumes: the stream restarts from zero state, exactly like a fresh stream.
    const fresh = createStreamState(model);
    const again = stepBatch(model, [
      { state, frames: speech, voiced: new Uint8Array(200).fill(1) },
      { state: fresh, frames: speech, voiced: new Uint8Array(200).fill(1) },
    ]);
    assert.equal(maxAbsDiff(again[0]!.probs!, again[1]!.probs!), 0);
    assert.equal(maxAbsDiff(again[0]!.probs!, first.probs), 0);
    assert.equal(maxAbsDiff(state.h, fresh.h), 0);
    state.reset();
    assert.equal(state.framesSeen, 0);
    assert.equal(state.silenceRun, 0);
  });

  it('step clock: agrees with what stepBatch consumes on random voiced patterns, any chunking', () => {
    const small = randomLoadedModel(12, { meta: { norm: normOf(clips[0]!.frames), resetAfterSilenceFrames: 6 } });
    const smallCapped = randomLoadedModel(14, { meta: { norm: normOf(clips[0]!.frames), resetAfterSilenceFrames: 6, maxSegmentFrames: 29 } });
    try {
      for (const m of [small, smallCapped, model]) {
        const rule: StepRule = { stepFrames: m.meta.stepFrames, ...segmentRuleOf(m.meta) };
        for (const seed of [1, 2, 3, 4]) {
          const n = 12 * rule.resetAfterSilenceFrames + 200;
          const voiced = randomVoicedPattern(n, rule.resetAfterSilenceFrames, seed);
          const frames = randomFrames(n, seed + 100);
          const random = seededRandom(seed + 200);
          const state = createStreamState(m);
          let clock = START_CLOCK;
          for (let pos = 0; pos < n; ) {
            const k = Math.min(n - pos, Math.floor(random() * 3 * rule.stepFrames));
            const chunk = voiced.subarray(pos, pos + k);
            const [res] = stepBatch(m, [{ state, frames: frames.subarray(pos * F, (pos + k) * F), voiced: chunk }]) as [StepResult];
            clock = advanceStepClock(clock, chunk, rule);
            pos += k;
            assert.equal(res.framesConsumed, framesConsumedBy(clock), `seed ${seed}, after ${pos} frames`);
            assert.equal(state.pendingFrames, clock.pendingFrames);
            assert.equal(state.silenceRun, clock.silenceRun);
            assert.equal(state.segmentFrames, clock.segmentFrames);
          }
        }
      }
    } finally {
      small.dispose();
      smallCapped.dispose();
    }
  });

  it('step clock: a model step completes on exactly the frames it predicts', () => {
    const small = randomLoadedModel(13, { meta: { norm: normOf(clips[0]!.frames), resetAfterSilenceFrames: 5 } });
    try {
      const rule: StepRule = { stepFrames: small.meta.stepFrames, resetAfterSilenceFrames: small.meta.resetAfterSilenceFrames };
      const n = 400;
      const voiced = randomVoicedPattern(n, rule.resetAfterSilenceFrames, 9);
      const frames = randomFrames(n, 10);
      const state = createStreamState(small);
      let clock = START_CLOCK;
      let steps = 0;
      for (let i = 0; i < n; i++) {
        const canStep = framesToNextStep(clock, rule) === 1;
        const ringBefore = [state.ringCount, state.ringNext];
        stepBatch(small, [{ state, frames: frames.subarray(i * F, (i + 1) * F), voiced: voiced.subarray(i, i + 1) }]);
        const next = tickStepClock(clock, voiced[i]!, rule);
        // The clock's step: a fed frame that fills the pending step.
        const predicted = next.pendingFrames === 0 && next.silenceRun <= rule.resetAfterSilenceFrames;
        const stepped = state.ringCount > 0 && (state.ringCount !== ringBefore[0] || state.ringNext !== ringBefore[1]);
        assert.equal(stepped, predicted, `frame ${i}`);
        if (stepped) {
          assert.ok(canStep, `frame ${i}: a step came sooner than framesToNextStep allowed`);
          steps++;
        }
        clock = next;
      }
      assert.ok(steps > 10, `only ${steps} steps`);
    } finally {
      small.dispose();
    }
  });

  it('before the first complete step: predictOffline is uniform, stepBatch says null', () => {
    const frames = randomFrames(model.meta.stepFrames - 1, 8);
    const voiced = new Uint8Array(model.meta.stepFrames - 1).fill(1);
    const probs = predictOffline(model, frames, voiced);
    assert.ok(maxAbsDiff(probs, new Float32Array(8).fill(1 / 8)) < 1e-7, 'uniform before the first step');
    const [res] = stepBatch(model, [{ state: createStreamState(model), frames, voiced }]) as [StepResult];
    assert.equal(res.probs, null);
    assert.equal(res.framesConsumed, 0);
  });

  it('rejects frames that do not match the voiced flags', () => {
    const state = createStreamState(model);
    assert.throws(() => stepBatch(model, [{ state, frames: new Float32Array(39), voiced: new Uint8Array(2) }]), /expected frames of 2 × 20 = 40 values, got 39/);
  });

  it('leaks no tensors over thousands of streaming steps', () => {
    checkNoTensorLeak(model, 1000, { streams: 4, chunkFrames: 25, offlineFrames: 400 }); // ≈ 3000 model steps per stream
  });
});
