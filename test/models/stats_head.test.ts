/**
 * The stats head of cnn-attn-lstm (models/architectures/stats_head.ts): the tfjs statistics
 * equal a direct computation and the host's running sums; a model with a fitted (here:
 * random) head streams exactly what predictOffline and forwardSteps compute; no tensor leaks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel, forward, forwardSteps } from '../../models/architectures/index.js';
import { toLoadedModel, type LoadedModel } from '../../models/io.js';
import { seededRandom } from '../../models/ops/init.js';
import { STATS_VAR_EPS, utteranceStats, utteranceStatsEveryStep } from '../../models/ops/utterance_stats.js';
import { metaForModel } from '../../models/random_model.js';
import { RunningStats } from '../../models/streaming/running_stats.js';
import { statsWindowStart } from '../../models/streaming/stats_window.js';
import { STATS_BATCH_MIN } from '../../models/streaming/stats_batch.js';
import { createStreamState, predictOffline, stepBatch, type StepResult } from '../../models/streaming/runner.js';
import { spanMeta } from './streaming_fixtures.js';
import { clipFeatures, maxAbsDiff, normOf, numTensors, randomFrames, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';

const F = 20;

/** The statistics written out the long way: voiced frames, adjacent voiced pairs. */
function directStats(x: Float32Array, voiced: Uint8Array, f: number): number[] {
  const n = voiced.length;
  const out: number[] = [];
  const meanSd = (rows: number[][]): void => {
    const columns = Array.from({ length: f }, (_, c) => rows.map((r) => r[c]!));
    const means = columns.map((vals) => (vals.length === 0 ? 0 : vals.reduce((a, v) => a + v, 0) / vals.length));
    const sds = columns.map((vals, c) => Math.sqrt((vals.length === 0 ? 0 : vals.reduce((a, v) => a + (v - means[c]!) ** 2, 0) / vals.length) + STATS_VAR_EPS));
    out.push(...means, ...sds);
  };
  const row = (t: number): number[] => Array.from(x.subarray(t * f, (t + 1) * f));
  const frames: number[][] = [];
  const deltas: number[][] = [];
  for (let t = 0; t < n; t++) {
    if (voiced[t] !== 1) continue;
    frames.push(row(t));
    if (t > 0 && voiced[t - 1] === 1) deltas.push(row(t).map((v, c) => v - row(t - 1)[c]!));
  }
  meanSd(frames);
  meanSd(deltas);
  return out;
}

function randomVoiced(n: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => (random() < 0.7 ? 1 : 0));
}

/**
 * A cnn-attn-lstm with a stats head of random weights (a fresh head's output layer is all zeros); hidden 0 = linear; count: the head reads the count feature;
 * `extra`: more hyper-parameters (e.g. netRampFrames).
 */
function modelWithHead(seed: number, norm: { mean: number[]; std: number[] }, hidden = 0, spanFrames?: number, count = false, extra: Record<string, number> = {}): LoadedModel {
  const model = createModel('cnn-attn-lstm', { windowSteps: 6, statsHead: 1, ...(hidden > 0 ? { statsHidden: hidden } : {}), ...(count ? { statsCount: 1 } : {}), ...extra }, seed);
  const random = seededRandom(seed + 100);
  const values = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const rows = hidden > 0 ? hidden : 4 * F + (count ? 1 : 0);
  const head: Record<string, tf.Tensor> = { 'stats.w': tf.tensor2d(values(rows * 8, 1), [rows, 8]), 'stats.b': tf.tensor1d(values(8, 0.5)) };
  if (hidden > 0) head['stats.b1'] = tf.tensor1d(values(hidden, 0.5));
  const loaded = toLoadedModel(metaForModel(model, { norm, ...(spanFrames === undefined ? {} : { training: spanMeta(spanFrames) }) }), { ...model.params, ...head });
  disposeModel(model);
  tf.dispose(Object.values(head));
  return loaded;
}

/** Feeds the clip in random chunks; after each, the stream equals predictOffline on the prefix (1e-4). Returns the comparisons. */
function checkChunks(model: LoadedModel, clip: ClipFeatures, seed: number): number {
  const random = seededRandom(seed);
  const state = createStreamState(model);
  let compared = 0;
  for (let pos = 0; pos < clip.count; ) {
    const n = Math.min(clip.count - pos, Math.floor(random() * 60));
    const [res] = stepBatch(model, [{ state, frames: clip.frames.subarray(pos * F, (pos + n) * F), voiced: clip.voiced.subarray(pos, pos + n) }]) as [StepResult];
    pos += n;
    if (res.probs === null) continue;
    const offline = predictOffline(model, clip.frames.subarray(0, pos * F), clip.voiced.subarray(0, pos));
    assert.ok(maxAbsDiff(res.probs, offline) < 1e-4, `seed ${seed} after ${pos} frames: ${maxAbsDiff(res.probs, offline)}`);
    compared++;
  }
  return compared;
}

/** forwardSteps' answer after step 3 of a random 64-frame clip = forward() on its first 24 frames (1e-4). */
function assertStepsMatchPrefix(model: LoadedModel, message: string): void {
  tf.tidy(() => {
    const frames = 64;
    const x = tf.tensor3d(randomFrames(frames, 5, F, 1), [1, frames, F]);
    const voiced = randomVoiced(frames, 6);
    const all = forwardSteps(model, x, { training: false, voiced }).arraySync();
    const early = forward(model, tf.slice(x, [0, 0, 0], [1, 24, F]) as tf.Tensor3D, { training: false, voiced: voiced.subarray(0, 24) }).arraySync();
    assert.ok(maxAbsDiff(Float32Array.from(all[0]![2]!), Float32Array.from(early[0]!)) < 1e-4, message);
  });
}

describe('stats head', () => {
  let model: LoadedModel;
  const clips = SPEECH_FIXTURES.map(clipFeatures);

  before(async () => {
    await useWasm();
    model = modelWithHead(3, normOf(clips[0]!.frames));
  });
  after(() => model.dispose());

  it('tfjs statistics (left-padded, voiced only) = the direct computation = the running sums', () => {
    const n = 96;
    const pad = 24;
    const x = randomFrames(n, 1, F, 2);
    const voiced = randomVoiced(n, 2);
    const want = directStats(x, voiced, F);
    const padded = new Float32Array((n + pad) * F);
    padded.set(x, pad * F);
    const paddedVoiced = new Uint8Array(n + pad).fill(1); // padding must be masked by validFrames, not by the flags
    paddedVoiced.set(voiced, pad);
    const got = tf.tidy(() => {
      const xt = tf.tensor3d(padded, [1, n + pad, F]);
      const valid = tf.tensor3d(Float32Array.from({ length: n + pad }, (_, t) => (t >= pad ? 1 : 0)), [1, n + pad, 1]);
      return utteranceStats(xt, tf.tensor3d(Float32Array.from(paddedVoiced), [1, n + pad, 1]), valid).dataSync();
    });
    assert.ok(maxAbsDiff(got, Float32Array.from(want)) < 1e-4, `tf vs direct ${maxAbsDiff(got, Float32Array.from(want))}`);
    const running = new RunningStats(F);
    for (let from = 0; from < n; from += 13) running.add(x, from, Math.min(13, n - from), voiced, from);
    assert.ok(maxAbsDiff(running.features(new Float64Array(4 * F)), Float64Array.from(want)) < 1e-9);
    const steps = tf.tidy(() => utteranceStatsEveryStep(tf.tensor3d(x, [1, n, F]), tf.tensor3d(Float32Array.from(voiced), [1, n, 1]), null, 8).arraySync());
    const at5 = directStats(x.subarray(0, 48 * F), voiced.subarray(0, 48), F);
    assert.ok(maxAbsDiff(Float32Array.from(steps[0]![5]!), Float32Array.from(at5)) < 1e-4);
  });

  it('a bounded window: after every random chunk the sums equal the direct statistics of the newest frames, read as an utterance of their own', () => {
    const n = 700;
    const x = randomFrames(n, 1, F, 7);
    const voiced = randomVoiced(n, 8);
    const random = seededRandom(9);
    const windowed = new RunningStats(F, null, 96);
    const whole = new RunningStats(F);
    let checked = 0;
    for (let from = 0; from < n; ) {
      const rows = Math.min(n - from, 1 + Math.floor(random() * 40));
      windowed.add(x, from, rows, voiced, from);
      whole.add(x, from, rows, voiced, from);
      from += rows;
      const start = statsWindowStart(from, 96);
      // 8 blocks of 12 frames: the newest 85–96 frames, or all of a shorter segment.
      assert.ok(from <= 96 ? start === 0 : from - start >= 85 && from - start <= 96, `window start ${start} after ${from} frames`);
      const want = directStats(x.subarray(start * F, from * F), voiced.subarray(start, from), F);
      const got = windowed.features(new Float64Array(4 * F));
      assert.ok(maxAbsDiff(got, Float64Array.from(want)) < 1e-9, `window after ${from} frames: ${maxAbsDiff(got, Float64Array.from(want))}`);
      assert.equal(windowed.voicedFrames, voiced.subarray(start, from).reduce((a, v) => a + v, 0), `voiced frames in the window after ${from}`);
      checked++;
    }
    const all = directStats(x, voiced, F);
    assert.ok(maxAbsDiff(whole.features(new Float64Array(4 * F)), Float64Array.from(all)) < 1e-9, 'no window: the whole segment');
    windowed.reset();
    assert.equal(windowed.voicedFrames, 0, 'reset empties the window');
    windowed.add(x, 0, 50, voiced, 0);
    assert.ok(maxAbsDiff(windowed.features(new Float64Array(4 * F)), Float64Array.from(directStats(x.subarray(0, 50 * F), voiced.subarray(0, 50), F))) < 1e-9, 'a fresh segment after reset');
    assert.ok(checked > 20, `compared after ${checked} chunks`);
    assert.throws(() => new RunningStats(F, null, 5), /stats window: expected an integer ≥ 8 frames or Infinity, got 5/);
  });

  it('streams what predictOffline computes when segments outlast a 64-frame statistics window (training span), after every chunk', () => {
    const short = modelWithHead(5, normOf(clips[0]!.frames), 16, 64);
    let compared = 0;
    try {
      for (const [i, clip] of clips.entries()) {
        assert.ok(clip.count > 200, `fixture ${i} is longer than the window (${clip.count} frames)`);
        compared += checkChunks(short, clip, 80 + i);
      }
      // The window changes the answer of a long segment: the same weights without a window differ.
      const unbounded = modelWithHead(5, normOf(clips[0]!.frames), 16, 100_000);
      try {
        const clip = clips[0]!;
        assert.ok(maxAbsDiff(predictOffline(short, clip.frames, clip.voiced), predictOffline(unbounded, clip.frames, clip.voiced)) > 1e-4, 'the window is not inert');
      } finally {
        unbounded.dispose();
      }
    } finally {
      short.dispose();
    }
    assert.ok(compared > 20, `compared ${compared} results`);
  });

  it('streams what predictOffline computes, after every random-sized chunk (1e-4), linear and hidden-layer heads', () => {
    let compared = 0;
    const mlp = modelWithHead(4, normOf(clips[0]!.frames), 16);
    for (const [i, clip] of clips.entries()) compared += checkChunks(mlp, clip, 60 + i);
    mlp.dispose();
    for (const [i, clip] of clips.entries()) compared += checkChunks(model, clip, 40 + i);
    assert.ok(compared > 20);
  });

  it('the count feature (hyper statsCount): streams what predictOffline computes after every chunk, with and without a window, linear and hidden; it changes the answer; forwardSteps agrees', () => {
    const norm = normOf(clips[0]!.frames);
    const counted = [modelWithHead(7, norm, 0, undefined, true), modelWithHead(8, norm, 16, 64, true)];
    try {
      assert.equal(counted[0]!.params['stats.w']!.shape[0], 4 * F + 1, 'a linear head reads 4F statistics and the count');
      assert.equal(counted[1]!.params['stats.w1']!.shape[0], 4 * F + 1, 'the hidden layer too');
      let compared = 0;
      for (const m of counted) for (const [i, clip] of clips.entries()) compared += checkChunks(m, clip, 90 + i);
      assert.ok(compared > 20, `compared ${compared} results`);
      // The same weights with the count column's weights zeroed give another answer.
      const zeroed = toLoadedModel(counted[0]!.meta, { ...counted[0]!.params, 'stats.w': tf.concat([tf.slice(counted[0]!.params['stats.w']!, [0, 0], [4 * F, 8]), tf.zeros([1, 8])]) });
      try {
        const clip = clips[1]!;
        assert.ok(maxAbsDiff(predictOffline(counted[0]!, clip.frames, clip.voiced), predictOffline(zeroed, clip.frames, clip.voiced)) > 1e-4, 'the count is not inert');
      } finally {
        zeroed.dispose();
      }
      assertStepsMatchPrefix(counted[0]!, 'the count after each step = the count of the prefix');
    } finally {
      for (const m of counted) m.dispose();
    }
  });

  it('the network ramp (hyper netRampFrames): streams what predictOffline computes after every chunk, with and without a window; forwardSteps agrees; the network weighs min(1, voiced / R)', () => {
    const norm = normOf(clips[0]!.frames);
    const ramped = [modelWithHead(7, norm, 0, undefined, true, { netRampFrames: 120 }), modelWithHead(8, norm, 16, 64, true, { netRampFrames: 40 })];
    try {
      let compared = 0;
      for (const m of ramped) for (const [i, clip] of clips.entries()) compared += checkChunks(m, clip, 190 + i);
      assert.ok(compared > 20, `compared ${compared} results`);
      assertStepsMatchPrefix(ramped[0]!, 'the ramp after each step = the ramp of the prefix');
    } finally {
      for (const m of ramped) m.dispose();
    }
    // With the head's output zeroed, the ramped answer is the network's distribution tempered by w = min(1, voiced / R):
    // softmax(w · logits) ∝ p^w. Checked against the same network without a ramp.
    const clip = clips[1]!;
    const voicedFrames = clip.voiced.reduce((a, v) => a + v, 0);
    const rampFrames = 2 * voicedFrames;
    const plain = modelWithHead(9, norm, 0, undefined, true);
    const zeroHead = { 'stats.w': tf.zerosLike(plain.params['stats.w']!), 'stats.b': tf.zerosLike(plain.params['stats.b']!) };
    const flat = toLoadedModel(plain.meta, { ...plain.params, ...zeroHead });
    const rampedFlat = toLoadedModel({ ...plain.meta, hyper: { ...plain.meta.hyper, netRampFrames: rampFrames } }, { ...plain.params, ...zeroHead });
    try {
      const p = predictOffline(flat, clip.frames, clip.voiced);
      const tempered = Float32Array.from(p, (v) => v ** 0.5);
      const sum = tempered.reduce((a, v) => a + v, 0);
      assert.ok(maxAbsDiff(predictOffline(rampedFlat, clip.frames, clip.voiced), tempered.map((v) => v / sum)) < 1e-5, 'half the way up the ramp, the network counts half');
      assert.ok(maxAbsDiff(predictOffline(plain, clip.frames, clip.voiced), predictOffline(toLoadedModel({ ...plain.meta, hyper: { ...plain.meta.hyper, netRampFrames: 1 } }, plain.params), clip.frames, clip.voiced)) < 1e-6, 'past the ramp the network counts fully');
    } finally {
      for (const m of [plain, flat, rampedFlat]) m.dispose();
      tf.dispose(Object.values(zeroHead));
    }
    assert.throws(() => createModel('cnn-attn-lstm', { windowSteps: 6, netRampFrames: 50 }, 1), /netRampFrames: expected a model with a stats head/);
    assert.throws(() => createModel('cnn-attn-lstm', { windowSteps: 6, statsHead: 1, netRampFrames: -1 }, 1), /netRampFrames: expected an integer ≥ 0/);
  });

  it('changes the answer (the head is not inert) and forwardSteps agrees with forward', () => {
    const clip = clips[1]!;
    const plain = createModel('cnn-attn-lstm', { windowSteps: 6 }, 3);
    const plainLoaded = toLoadedModel(metaForModel(plain, { norm: model.meta.norm }), plain.params);
    disposeModel(plain);
    const withHead = predictOffline(model, clip.frames, clip.voiced);
    const without = predictOffline(plainLoaded, clip.frames, clip.voiced);
    plainLoaded.dispose();
    assert.ok(maxAbsDiff(withHead, without) > 1e-3);
    const baseline = numTensors();
    tf.tidy(() => {
      const frames = 64;
      const x = tf.tensor3d(randomFrames(frames, 5, F, 1), [1, frames, F]);
      const voiced = randomVoiced(frames, 6);
      const all = forwardSteps(model, x, { training: false, voiced }).arraySync();
      const last = forward(model, x, { training: false, voiced }).arraySync();
      assert.ok(maxAbsDiff(Float32Array.from(all[0]![7]!), Float32Array.from(last[0]!)) < 1e-4);
      const prefix = tf.slice(x, [0, 0, 0], [1, 24, F]) as tf.Tensor3D;
      const early = forward(model, prefix, { training: false, voiced: voiced.subarray(0, 24) }).arraySync();
      assert.ok(maxAbsDiff(Float32Array.from(all[0]![2]!), Float32Array.from(early[0]!)) < 1e-4);
    });
    assert.equal(numTensors(), baseline);
  });

  it('a batch of streams (hidden layer in one tfjs call) equals each stream alone (host), and predictOffline; with and without the count feature', () => {
    for (const count of [false, true]) {
      const mlp = modelWithHead(6, normOf(clips[0]!.frames), 16, undefined, count);
      const streams = STATS_BATCH_MIN + 4;
      const together = Array.from({ length: streams }, () => createStreamState(mlp));
      const alone = Array.from({ length: streams }, () => createStreamState(mlp));
      const random = seededRandom(77);
      const clipOf = (i: number): ClipFeatures => clips[i % clips.length]!;
      const pos = new Array<number>(streams).fill(0);
      let compared = 0;
      let baseline = -1;
      for (let round = 0; round < 40; round++) {
        if (round === 1) baseline = numTensors();
        const requests = together.map((state, i) => {
          const clip = clipOf(i);
          const n = Math.min(clip.count - pos[i]!, 10 + Math.floor(random() * 40));
          const request = { state, frames: clip.frames.subarray(pos[i]! * F, (pos[i]! + n) * F), voiced: clip.voiced.subarray(pos[i]!, pos[i]! + n) };
          pos[i]! += n;
          return request;
        });
        const batched = stepBatch(mlp, requests);
        requests.forEach((request, i) => {
          const [single] = stepBatch(mlp, [{ ...request, state: alone[i]! }]) as [StepResult];
          const got = batched[i]!.probs;
          if (got === null || single.probs === null) return assert.equal(got, single.probs);
          assert.ok(maxAbsDiff(got, single.probs) < 1e-5, `stream ${i} round ${round}: ${maxAbsDiff(got, single.probs)}`);
          const offline = predictOffline(mlp, clipOf(i).frames.subarray(0, pos[i]! * F), clipOf(i).voiced.subarray(0, pos[i]!));
          assert.ok(maxAbsDiff(got, offline) < 1e-4);
          compared++;
        });
      }
      assert.equal(numTensors(), baseline, 'no tensor left behind by the batched hidden layer');
      mlp.dispose();
      assert.ok(compared > 100);
    }
  });

  it('leaks no tensors while streaming', () => {
    const states = Array.from({ length: 3 }, () => createStreamState(model));
    const frames = randomFrames(25, 9);
    const voiced = randomVoiced(25, 10);
    stepBatch(model, states.map((state) => ({ state, frames, voiced })));
    const baseline = numTensors();
    for (let i = 0; i < 200; i++) stepBatch(model, states.map((state) => ({ state, frames, voiced })));
    assert.equal(numTensors(), baseline);
  });
});
