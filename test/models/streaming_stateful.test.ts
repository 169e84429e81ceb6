/**
 * Stateful stepping (models/streaming/stateful_runner.ts) for lstm and conv1d-lstm:
 * streaming = offline after every random-sized chunk (real clips, and a long clip with
 * resets, drops and more frames than the training span), chunking invariance, batched =
 * alone, the step clock, batch-norm folding, no tensor leak; then the same on the shipped
 * comparison models (models/ravdess-{lstm,conv1d-lstm}-cmp). Random seeded models get
 * random batch-norm statistics, so the fold is not the identity.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel, streamingKindOf, type ArchName } from '../../models/architectures/index.js';
import { loadModel, toLoadedModel, type LoadedModel } from '../../models/io.js';
import type { TrainingMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { metaForModel } from '../../models/random_model.js';
import { createStreamState, predictOffline, StatefulStreamState, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { naiveWindowFrames, resultSpanFrames } from '../../models/streaming/span.js';
import { advanceStepClock, framesConsumedBy, START_CLOCK, type StepRule } from '../../models/streaming/step_clock.js';
import { clipFeatures, maxAbsDiff, normOf, numTensors, randomFrames, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';

const F = 20;
/** Streaming vs offline: the same arithmetic in another order (host cell update, folded batch-norm). */
const TOLERANCE = 1e-4;
/** Batched vs alone: every op is row-wise. */
const BATCH_TOLERANCE = 1e-5;
const STATEFUL_ARCHS: ArchName[] = ['lstm', 'conv1d-lstm'];

function spanMeta(maxFrames: number): TrainingMeta {
  return { data: 'random', trainActors: [], valActors: [], epochs: 0, seed: 1, span: { maxFrames } };
}

/** A seeded random model with random batch-norm statistics, loaded like a trained one. */
function randomStatefulModel(arch: ArchName, seed: number, norm: ReturnType<typeof normOf>, hyper = {}): LoadedModel {
  const model = createModel(arch, hyper, seed);
  const random = seededRandom(seed + 1000);
  for (const [name, v] of Object.entries(model.params)) {
    const n = v.size;
    if (name.endsWith('.gamma')) v.assign(tf.tensor(Float32Array.from({ length: n }, () => 0.5 + random()), v.shape));
    if (name.endsWith('.beta') || name.endsWith('.movingMean')) v.assign(tf.tensor(Float32Array.from({ length: n }, () => random() - 0.5), v.shape));
    if (name.endsWith('.movingVariance')) v.assign(tf.tensor(Float32Array.from({ length: n }, () => 0.2 + 2 * random()), v.shape));
  }
  const loaded = toLoadedModel(metaForModel(model, { norm, resetAfterSilenceFrames: 12, training: spanMeta(96) }), model.params);
  disposeModel(model);
  return loaded;
}

/** A clip with speech, a long pause (drop + reset), a pause of exactly R, and a trailing pause. */
function longClip(n: number, r: number, seed: number): ClipFeatures {
  const voiced = new Uint8Array(n).fill(1);
  voiced.fill(0, Math.floor(n * 0.2), Math.floor(n * 0.2) + r + 7);
  voiced.fill(0, Math.floor(n * 0.5), Math.floor(n * 0.5) + r);
  voiced.fill(0, n - Math.floor(r / 2));
  return { frames: randomFrames(n, seed), voiced, count: n };
}

/** Feeds a clip in random chunks; after each call the result must equal predictOffline on the prefix. */
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

for (const arch of STATEFUL_ARCHS) {
  describe(`stateful streaming: ${arch}`, () => {
    let clips: ClipFeatures[];
    let model: LoadedModel;

    before(async () => {
      await useWasm();
      clips = SPEECH_FIXTURES.map(clipFeatures);
      model = randomStatefulModel(arch, 21, normOf(clips[0]!.frames));
    });
    after(() => model.dispose());

    it('streams statefully over the whole segment (no span bound); the naive baseline keeps the span', () => {
      assert.equal(streamingKindOf(arch), 'stateful');
      assert.ok(createStreamState(model) instanceof StatefulStreamState, 'a StatefulStreamState');
      assert.equal(resultSpanFrames(model), Infinity);
      assert.equal(naiveWindowFrames(model), 96);
    });

    it(`real clips: after every random-sized chunk, the result equals predictOffline on the prefix (${TOLERANCE})`, () => {
      for (const [i, clip] of clips.entries()) {
        const { compared } = checkChunked(model, clip, 30 + i, 60);
        assert.ok(compared > 3, `${compared} results compared`);
      }
    });

    it('a long clip (pauses, drops, resets, 5× the span): equal at every chunk; the final result is chunking-invariant', () => {
      const clip = longClip(500, model.meta.resetAfterSilenceFrames, 5);
      const finals = [7, 8, 9].map((seed) => checkChunked(model, clip, seed, 40 + 30 * (seed - 7)).last);
      const whole = predictOffline(model, clip.frames, clip.voiced);
      for (const { probs, framesConsumed } of finals) {
        assert.ok(probs !== null && maxAbsDiff(probs, whole) < TOLERANCE, 'final = offline on the whole clip');
        assert.equal(framesConsumed, finals[0]!.framesConsumed);
      }
      const [once] = stepBatch(model, [{ state: createStreamState(model), frames: clip.frames, voiced: clip.voiced }]) as [StepResult];
      assert.ok(once.probs !== null && maxAbsDiff(once.probs, finals[0]!.probs!) < TOLERANCE, 'one call = chunked');
      assert.equal(once.framesConsumed, finals[0]!.framesConsumed);
    });

    it('a segment longer than the training span carries its state: the result depends on frames older than the span', () => {
      const frames = randomFrames(400, 12);
      const voiced = new Uint8Array(400).fill(1);
      const state = createStreamState(model);
      let last: StepResult = { probs: null, framesConsumed: 0 };
      for (let pos = 0; pos < 400; pos += 50) {
        [last] = stepBatch(model, [{ state, frames: frames.subarray(pos * F, (pos + 50) * F), voiced: voiced.subarray(pos, pos + 50) }]) as [StepResult];
      }
      assert.ok(last.probs !== null && maxAbsDiff(last.probs, predictOffline(model, frames, voiced)) < TOLERANCE, 'final = offline on the whole segment');
      // Window recompute would have cut to the newest 96 frames; the stateful result does not.
      const newest = predictOffline(model, frames.subarray(304 * F), voiced.subarray(304));
      assert.ok(maxAbsDiff(last.probs, newest) > 1e-6, 'the state reaches past the span');
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
          if (want.probs !== null) assert.ok(maxAbsDiff(got[k]!.probs!, want.probs) < BATCH_TOLERANCE, 'batched = alone');
        });
      }
    });

    it('leaks no tensors over many calls', () => {
      const states = Array.from({ length: 3 }, () => createStreamState(model));
      const frames = randomFrames(10, 9);
      const voiced = new Uint8Array(10).fill(1);
      stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      const baseline = numTensors();
      for (let i = 0; i < 300; i++) stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      assert.equal(numTensors(), baseline);
      predictOffline(model, randomFrames(300, 10), new Uint8Array(300).fill(1));
      assert.equal(numTensors(), baseline);
    });

    it('rejects a state of another model and frames that do not match the flags', () => {
      const other = randomStatefulModel(arch, 22, normOf(clips[0]!.frames));
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

describe('stateful streaming: other layer shapes', () => {
  before(useWasm);

  it('lstm with one frame per step and three layers; conv1d-lstm with three blocks, pools 1, 3, 2, two LSTMs', () => {
    const norm = normOf(randomFrames(100, 1));
    const shapes: [ArchName, Record<string, number | number[]>][] = [
      ['lstm', { frameStride: 1, lstmUnits: [8, 12, 6] }],
      ['conv1d-lstm', { convKernels: [2, 3, 1], convStrides: [1, 1, 1], convChannels: [6, 5, 7], poolSizes: [1, 3, 2], lstmUnits: [9, 5] }],
    ];
    for (const [arch, hyper] of shapes) {
      const model = randomStatefulModel(arch, 31, norm, hyper);
      try {
        const clip = longClip(300, model.meta.resetAfterSilenceFrames, 13);
        const { compared } = checkChunked(model, clip, 3, 25);
        assert.ok(compared > 10, `${arch}: ${compared} results compared`);
      } finally {
        model.dispose();
      }
    }
  });
});

for (const id of ['ravdess-lstm-cmp', 'ravdess-conv1d-lstm-cmp']) {
  const modelDir = fileURLToPath(new URL(`../../models/${id}/`, import.meta.url));
  const present = existsSync(`${modelDir}weights.bin`);

  describe(`stateful streaming: shipped ${id}`, { skip: present ? false : `${id} is not in models/` }, () => {
    let model: LoadedModel;
    before(async () => {
      await useWasm();
      model = await loadModel(modelDir);
    });
    after(() => model.dispose());

    it(`real clips and a long clip with pauses: after every random-sized chunk, equal to predictOffline (${TOLERANCE})`, () => {
      assert.ok(createStreamState(model) instanceof StatefulStreamState, 'a StatefulStreamState');
      for (const [i, path] of SPEECH_FIXTURES.entries()) {
        const { compared } = checkChunked(model, clipFeatures(path), 50 + i, 80);
        assert.ok(compared > 3, `${compared} results compared`);
      }
      const { compared } = checkChunked(model, longClip(600, model.meta.resetAfterSilenceFrames, 6), 4, 150);
      assert.ok(compared > 5, `${compared} results compared`);
    });

    it('leaks no tensors over many batched calls', () => {
      const states = Array.from({ length: 8 }, () => createStreamState(model));
      const frames = randomFrames(25, 9);
      const voiced = new Uint8Array(25).fill(1);
      stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      const baseline = numTensors();
      for (let i = 0; i < 200; i++) stepBatch(model, states.map((state) => ({ state, frames, voiced })));
      assert.equal(numTensors(), baseline);
    });
  });
}
