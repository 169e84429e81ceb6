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
import { createStreamState, predictOffline, stepBatch, WindowStreamState, type StepResult } from '../../models/streaming/runner.js';
import { windowSpanFrames } from '../../models/meta.js';
import { naiveWindowFrames, resultSpanFrames } from '../../models/streaming/span.js';
import { clipFeatures, maxAbsDiff, normOf, randomFrames, randomLoadedModel, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';
import { itStreamsLikeOffline, spanMeta } from './streaming_fixtures.js';

const F = 20;
/** Float tolerance for streaming vs offline: the same forward(), only the batch padding differs. */
const TOLERANCE = 1e-5;
/** The recurrent comparison models step statefully instead (streaming_stateful.test.ts). */
const WINDOW_ARCHS: ArchName[] = ['conv1d'];

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
      assert.ok(createStreamState(model) instanceof WindowStreamState, 'a WindowStreamState');
      assert.equal(windowSpanFrames(model.meta), 96);
      assert.equal(resultSpanFrames(model), 96);
      assert.equal(naiveWindowFrames(model), 96);
    });

    itStreamsLikeOffline(() => ({ model, clips }), {
      tolerance: TOLERANCE,
      batchTolerance: TOLERANCE,
      leakCalls: 200,
      createOther: () => randomLoadedModel(22, { arch }),
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
        assert.ok(maxAbsDiff(predictOffline(model, frames, voiced), newest) < 1e-6, 'offline on the utterance = offline on its newest 800 frames');
      } finally {
        model.dispose();
      }
    }
  });
});
