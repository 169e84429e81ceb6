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
import { seededRandom } from '../../models/ops/init.js';
import { metaForModel } from '../../models/random_model.js';
import { createStreamState, predictOffline, StatefulStreamState, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { naiveWindowFrames, resultSpanFrames } from '../../models/streaming/span.js';
import { clipFeatures, maxAbsDiff, normOf, randomFrames, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';
import { checkChunked, checkNoTensorLeak, itStreamsLikeOffline, longClip, spanMeta } from './streaming_fixtures.js';

const F = 20;
/** Streaming vs offline: the same arithmetic in another order (host cell update, folded batch-norm). */
const TOLERANCE = 1e-4;
/** Batched vs alone: every op is row-wise. */
const BATCH_TOLERANCE = 1e-5;
const STATEFUL_ARCHS: ArchName[] = ['lstm', 'conv1d-lstm'];

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

    itStreamsLikeOffline(() => ({ model, clips }), {
      tolerance: TOLERANCE,
      batchTolerance: BATCH_TOLERANCE,
      leakCalls: 300,
      createOther: () => randomStatefulModel(arch, 22, normOf(clips[0]!.frames)),
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
        const { compared } = checkChunked(model, clip, 3, 25, TOLERANCE);
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
        const { compared } = checkChunked(model, clipFeatures(path), 50 + i, 80, TOLERANCE);
        assert.ok(compared > 3, `${compared} results compared`);
      }
      const { compared } = checkChunked(model, longClip(600, model.meta.resetAfterSilenceFrames, 6), 4, 150, TOLERANCE);
      assert.ok(compared > 5, `${compared} results compared`);
    });

    it('leaks no tensors over many batched calls', () => {
      checkNoTensorLeak(model, 200, { streams: 8, chunkFrames: 25, offlineFrames: 0 });
    });
  });
}
