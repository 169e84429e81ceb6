/**
 * The stats head's speaker reference (meta.speakerNorm; models/streaming/speaker_reference.ts):
 * a stream's earlier segments change how its later ones are read, the first segment is read
 * exactly as without a reference, predictOffline builds the same reference from a clip's
 * earlier segments (streaming = offline after every chunk, also a chunk that ends one segment
 * and starts the next), and reset() forgets the speaker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel } from '../../models/architectures/index.js';
import { toLoadedModel, type LoadedModel } from '../../models/io.js';
import { validateMeta, type ModelMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { metaForModel } from '../../models/random_model.js';
import { createStreamState, predictOffline, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { lastSegmentRange, segmentRanges } from '../../models/streaming/segment.js';
import type { SpeakerNormConfig } from '../../models/streaming/speaker_reference.js';
import { clipFeatures, maxAbsDiff, normOf, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';

const F = 20;
const DIM = 4 * F;

/** A cnn-attn-lstm with a random linear stats head; with `speakerNorm`, that reference. */
function model(seed: number, norm: ModelMeta['norm'], speakerNorm: SpeakerNormConfig | null): LoadedModel {
  const m = createModel('cnn-attn-lstm', { windowSteps: 6, statsHead: 1 }, seed);
  const random = seededRandom(seed + 100);
  const values = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const head = { 'stats.w': tf.tensor2d(values(DIM * 8, 1), [DIM, 8]), 'stats.b': tf.tensor1d(values(8, 0.5)) };
  const loaded = toLoadedModel(metaForModel(m, { norm, ...(speakerNorm === null ? {} : { speakerNorm }) }), { ...m.params, ...head });
  disposeModel(m);
  tf.dispose(Object.values(head));
  return loaded;
}

/** Clips joined by `gap` unvoiced frames (the first clip's frame 0 repeated, flagged unvoiced). */
function joined(clips: readonly ClipFeatures[], gap: number): ClipFeatures {
  const count = clips.reduce((n, c) => n + c.count, 0) + gap * (clips.length - 1);
  const frames = new Float32Array(count * F);
  const voiced = new Uint8Array(count);
  let at = 0;
  clips.forEach((c, i) => {
    if (i > 0) {
      for (let t = 0; t < gap; t++) frames.set(clips[0]!.frames.subarray(0, F), (at + t) * F);
      at += gap;
    }
    frames.set(c.frames, at * F);
    voiced.set(c.voiced, at);
    at += c.count;
  });
  return { frames, voiced, count };
}

function stream(m: LoadedModel, clip: ClipFeatures, seed: number, check: boolean): Float32Array | null {
  const random = seededRandom(seed);
  const state = createStreamState(m);
  let last: Float32Array | null = null;
  for (let pos = 0; pos < clip.count; ) {
    const n = Math.min(clip.count - pos, 1 + Math.floor(random() * 70));
    const [res] = stepBatch(m, [{ state, frames: clip.frames.subarray(pos * F, (pos + n) * F), voiced: clip.voiced.subarray(pos, pos + n) }]) as [StepResult];
    pos += n;
    if (res.probs === null) continue;
    last = Float32Array.from(res.probs);
    if (check) {
      const offline = predictOffline(m, clip.frames.subarray(0, pos * F), clip.voiced.subarray(0, pos));
      assert.ok(maxAbsDiff(res.probs, offline) < 1e-4, `seed ${seed} after ${pos} frames: stream vs offline ${maxAbsDiff(res.probs, offline)}`);
    }
  }
  state.dispose();
  return last;
}

describe('speaker reference of the stats head', () => {
  const clips = SPEECH_FIXTURES.map(clipFeatures);
  const norm = normOf(clips[0]!.frames);
  const random = seededRandom(9);
  const config: SpeakerNormConfig = {
    priorUtterances: 2,
    mean: Array.from({ length: DIM }, () => random() - 0.5),
    variance: Array.from({ length: DIM }, () => 0.2 + random()),
    minVoicedFrames: 10,
  };
  let withRef: LoadedModel;
  let plain: LoadedModel;
  const session = joined(clips, 80);

  before(async () => {
    await useWasm();
    withRef = model(5, norm, config);
    plain = model(5, norm, null);
  });
  after(() => {
    withRef.dispose();
    plain.dispose();
  });

  it('cuts a clip into the segments a fresh stream makes', () => {
    const v = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1]);
    assert.deepEqual(segmentRanges(v, { resetAfterSilenceFrames: 3 }), [{ start: 0, end: 3 }, { start: 5, end: 10 }, { start: 11, end: 15 }], 'silence run > 3 ends a segment, the next voiced frame starts one');
    assert.deepEqual(lastSegmentRange(v, { resetAfterSilenceFrames: 3 }), { start: 11, end: 15 }, 'the last of them');
    assert.equal(segmentRanges(session.voiced, withRef.meta).length >= clips.length, true, 'the joined clips make at least one segment each');
  });

  it('streams what predictOffline computes after every chunk, the reference built from earlier segments', () => {
    const last = stream(withRef, session, 21, true);
    assert.ok(last !== null, 'a result');
  });

  it('one chunk holding the end of a segment and the start of the next: the whole old segment joins the reference (as in small chunks and offline)', () => {
    // The first chunk stops 16 frames before the first segment's last speech (its end is R fed unvoiced frames later), so the second chunk holds that speech, the pause and the next segment's start.
    const segments = segmentRanges(session.voiced, withRef.meta);
    const k = segments.findIndex((seg, i) => i + 1 < segments.length && session.voiced.subarray(seg.start, seg.end).includes(1));
    const [first, second] = [segments[k]!, segments[k + 1]!];
    const split = first.end - withRef.meta.resetAfterSilenceFrames - 16;
    assert.equal(session.voiced[split], 1, 'the first chunk ends inside speech');
    const cut = second.start;
    const state = createStreamState(withRef);
    const end = cut + 200;
    stepBatch(withRef, [{ state, frames: session.frames.subarray(0, split * F), voiced: session.voiced.subarray(0, split) }]);
    const [whole] = stepBatch(withRef, [{ state, frames: session.frames.subarray(split * F, end * F), voiced: session.voiced.subarray(split, end) }]) as [StepResult];
    const offline = predictOffline(withRef, session.frames.subarray(0, end * F), session.voiced.subarray(0, end));
    assert.ok(whole.probs !== null && maxAbsDiff(whole.probs, offline) < 1e-4, `streaming = offline after the chunk (${whole.probs === null ? 'no result' : maxAbsDiff(whole.probs, offline)})`);
    state.dispose();
  });

  it('changes the later segments only', () => {
    const first = clips[0]!;
    const a = predictOffline(withRef, first.frames, first.voiced);
    const b = predictOffline(plain, first.frames, first.voiced);
    assert.ok(maxAbsDiff(a, b) < 1e-6, `one segment: no history, the same answer (${maxAbsDiff(a, b)})`);
    const c = predictOffline(withRef, session.frames, session.voiced);
    const d = predictOffline(plain, session.frames, session.voiced);
    assert.ok(maxAbsDiff(c, d) > 1e-3, `after two earlier segments the reference moves the answer (${maxAbsDiff(c, d)})`);
  });

  it('forgets the speaker on reset(): a reused state answers like a fresh one', () => {
    const state = createStreamState(withRef);
    stepBatch(withRef, [{ state, frames: session.frames, voiced: session.voiced }]);
    state.reset();
    const last = clips[2]!;
    const [again] = stepBatch(withRef, [{ state, frames: last.frames, voiced: last.voiced }]) as [StepResult];
    const fresh = predictOffline(withRef, last.frames, last.voiced);
    assert.ok(again.probs !== null && maxAbsDiff(again.probs, fresh) < 1e-4, `after reset: ${again.probs === null ? 'no result' : maxAbsDiff(again.probs, fresh)}`);
    state.dispose();
  });

  it('is refused in meta without a stats head or with the wrong width', () => {
    const bare = createModel('cnn-attn-lstm', { windowSteps: 6 }, 1);
    assert.throws(() => validateMeta(metaForModel(bare, { norm, speakerNorm: config })), /speakerNorm: expected a model with a stats head/);
    disposeModel(bare);
    const meta = { ...withRef.meta, speakerNorm: { ...config, mean: config.mean.slice(1) } };
    assert.throws(() => validateMeta(meta), /expected 80 means and variances, got 79 and 80/);
  });
});
