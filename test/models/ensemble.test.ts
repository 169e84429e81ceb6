/**
 * Ensembles (models/architectures/ensemble.ts, models/streaming/ensemble_runner.ts): the
 * logits are the mean of the members'; streaming = offline after every chunk, chunking
 * invariance, batched = alone and no tensor leak, for members of two widths with stats
 * heads (count feature, speaker reference), the same with the network ramp, and for a fused + stateful pair; calibration
 * scales every member's logit layers; `npm run ensemble`'s build round-trips through disk
 * and refuses members that do not share their input.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ensembleHyper, memberModels, memberParamPrefix } from '../../models/architectures/ensemble.js';
import { createModel, disposeModel, forward, logitParamsOf, resolveHyper, stepFramesOf, windowStepsOf, type ArchName, type Hyper } from '../../models/architectures/index.js';
import { loadModel, saveModel, toLoadedModel, type LoadedModel } from '../../models/io.js';
import { validateMeta, type ModelMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { metaForModel } from '../../models/random_model.js';
import { createStreamState, EnsembleStreamState, predictOffline } from '../../models/streaming/runner.js';
import { buildEnsemble } from '../../models/train/ensemble.js';
import { clipFeatures, maxAbsDiff, normOf, randomFrames, SPEECH_FIXTURES, useWasm, type ClipFeatures } from './model_fixtures.js';
import { itStreamsLikeOffline, spanMeta } from './streaming_fixtures.js';

const F = 20;
const TOLERANCE = 1e-4;
const BATCH_TOLERANCE = 1e-5;

/** A member network with random weights everywhere, a stats head's output layer included (a fresh one is all zeros). */
function memberParams(arch: ArchName, hyper: Hyper, seed: number): { hyper: Hyper; params: Record<string, tf.Tensor> } {
  const model = createModel(arch, hyper, seed);
  const random = seededRandom(seed + 100);
  const params: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(model.params)) {
    params[name] = name === 'stats.w' || name === 'stats.b' ? tf.tensor(Float32Array.from({ length: v.size }, () => (random() * 2 - 1) * 0.5), v.shape) : tf.clone(v);
  }
  const resolved = model.hyper;
  disposeModel(model);
  return { hyper: resolved, params };
}

const SPEAKER_NORM = { priorUtterances: 8, mean: new Array<number>(4 * F).fill(0), variance: new Array<number>(4 * F).fill(1), minVoicedFrames: 20 };

/** An ensemble of random members as a LoadedModel; `speakerNorm`: every member's heads read a speaker reference. */
function randomEnsemble(members: { arch: ArchName; hyper: Hyper; seed: number }[], norm: ModelMeta['norm'], speakerNorm = false): LoadedModel {
  const built = members.map((m) => ({ arch: m.arch, ...memberParams(m.arch, m.hyper, m.seed) }));
  const shape = { arch: 'ensemble' as const, hyper: ensembleHyper(built) };
  const params: Record<string, tf.Tensor> = {};
  built.forEach((m, i) => {
    for (const [name, t] of Object.entries(m.params)) params[`${memberParamPrefix(i)}${name}`] = t;
  });
  const meta = metaForModel(shape, {
    norm,
    resetAfterSilenceFrames: 12,
    training: spanMeta(96),
    stepFrames: stepFramesOf(shape),
    windowSteps: windowStepsOf(shape),
    ...(speakerNorm ? { speakerNorm: SPEAKER_NORM } : {}),
  });
  const loaded = toLoadedModel(meta, params);
  tf.dispose(Object.values(params));
  return loaded;
}

const WIDE = { statsHead: 1, statsHidden: 6, statsCount: 1, windowSteps: 6 };
const TWO_WIDTHS = [
  { arch: 'cnn-attn-lstm' as const, hyper: { ...WIDE }, seed: 3 },
  { arch: 'cnn-attn-lstm' as const, hyper: { ...WIDE, convChannels: [12, 16, 20], lstmUnits: 24, denseUnits: 16, windowSteps: 9 }, seed: 4 },
];

describe('ensemble: two cnn-attn-lstm widths with stats heads and a speaker reference', () => {
  let clips: ClipFeatures[];
  let model: LoadedModel;
  let norm: ModelMeta['norm'];

  before(async () => {
    await useWasm();
    clips = SPEECH_FIXTURES.map(clipFeatures);
    norm = normOf(clips[0]!.frames);
    model = randomEnsemble(TWO_WIDTHS, norm, true);
  });
  after(() => model.dispose());

  it('forward() is the mean of the members\' logits; the members are views of the ensemble\'s tensors', () => {
    const x = tf.tensor3d(randomFrames(48, 7, F, 1), [1, 48, F]);
    const members = memberModels(model);
    assert.equal(members.length, 2);
    assert.equal(members[1]!.params['lstm.wx'], model.params['m1/lstm.wx'], 'member 1 reads the ensemble\'s tensor');
    const ensemble = forward(model, x).dataSync();
    const mean = tf.tidy(() => tf.div(tf.add(forward(members[0]!, x), forward(members[1]!, x)), 2).dataSync());
    assert.ok(maxAbsDiff(ensemble, mean) < 1e-6, `ensemble logits = mean of members' (max diff ${maxAbsDiff(ensemble, mean)})`);
    x.dispose();
  });

  it('a stream holds one state per member', () => {
    const state = createStreamState(model);
    assert.ok(state instanceof EnsembleStreamState, 'an EnsembleStreamState');
    assert.equal(state.members.length, 2);
  });

  itStreamsLikeOffline(() => ({ model, clips }), {
    tolerance: TOLERANCE,
    batchTolerance: BATCH_TOLERANCE,
    leakCalls: 200,
    createOther: () => randomEnsemble(TWO_WIDTHS.map((m) => ({ ...m, seed: m.seed + 10 })), norm, true),
  });

  it('calibration scales every member\'s logit layers: the result is softmax(mean logits / T)', () => {
    const names = logitParamsOf(model);
    assert.deepEqual(names, ['m0/out.w', 'm0/out.b', 'm0/stats.w', 'm0/stats.b', 'm1/out.w', 'm1/out.b', 'm1/stats.w', 'm1/stats.b']);
    const t = 2.5;
    const scaled: Record<string, tf.Tensor> = { ...model.params };
    for (const name of names) scaled[name] = tf.div(model.params[name]!, t);
    const tempered = toLoadedModel(model.meta, scaled);
    for (const name of names) scaled[name]!.dispose();
    try {
      const clip = clips[1]!;
      const x = tf.tensor3d(randomFrames(64, 8, F, 1), [1, 64, F]);
      const expected = tf.tidy(() => tf.softmax(tf.div(forward(model, x), t)).dataSync());
      const got = tf.tidy(() => tf.softmax(forward(tempered, x)).dataSync());
      x.dispose();
      assert.ok(maxAbsDiff(expected, got) < 1e-5, `tempered ensemble = softmax(logits / T) (max diff ${maxAbsDiff(expected, got)})`);
      assert.ok(maxAbsDiff(predictOffline(tempered, clip.frames, clip.voiced), predictOffline(model, clip.frames, clip.voiced)) > 1e-3, 'T changes the answer');
    } finally {
      tempered.dispose();
    }
  });
});

describe('ensemble: the same members with the network ramp (hyper m<i>.netRampFrames, as served since v12)', () => {
  let clips: ClipFeatures[];
  let model: LoadedModel;
  const ramped = TWO_WIDTHS.map((m, i) => ({ ...m, hyper: { ...m.hyper, netRampFrames: [40, 90][i]! } }));

  before(async () => {
    await useWasm();
    clips = SPEECH_FIXTURES.map(clipFeatures);
    model = randomEnsemble(ramped, normOf(clips[0]!.frames), true);
  });
  after(() => model.dispose());

  it('each member keeps its own ramp, and the ramp changes the answer on a short prefix', () => {
    assert.equal(model.meta.hyper['m0.netRampFrames'], 40);
    assert.equal(model.meta.hyper['m1.netRampFrames'], 90);
    const plain = randomEnsemble(TWO_WIDTHS, model.meta.norm, true);
    try {
      const clip = clips[1]!;
      const frames = 48;
      const prefix = (m: LoadedModel): Float32Array => predictOffline(m, clip.frames.subarray(0, frames * F), clip.voiced.subarray(0, frames));
      assert.ok(maxAbsDiff(prefix(plain), prefix(model)) > 1e-4, 'the ramp is not inert');
    } finally {
      plain.dispose();
    }
  });

  itStreamsLikeOffline(() => ({ model, clips }), {
    tolerance: TOLERANCE,
    batchTolerance: BATCH_TOLERANCE,
    leakCalls: 100,
    createOther: () => randomEnsemble(ramped.map((m) => ({ ...m, seed: m.seed + 10 })), normOf(clips[0]!.frames), true),
  });
});

describe('ensemble: a fused member and a stateful member', () => {
  let clips: ClipFeatures[];
  let model: LoadedModel;
  const members: { arch: ArchName; hyper: Hyper; seed: number }[] = [
    { arch: 'cnn-attn-lstm', hyper: { windowSteps: 6 }, seed: 5 },
    { arch: 'conv1d-lstm', hyper: { convKernels: [3, 3], convStrides: [1, 1], convChannels: [8, 8], poolSizes: [2, 4], lstmUnits: [10] }, seed: 6 },
  ];

  before(async () => {
    await useWasm();
    clips = SPEECH_FIXTURES.map(clipFeatures);
    model = randomEnsemble(members, normOf(clips[0]!.frames));
  });
  after(() => model.dispose());

  itStreamsLikeOffline(() => ({ model, clips }), {
    tolerance: TOLERANCE,
    batchTolerance: BATCH_TOLERANCE,
    leakCalls: 100,
    createOther: () => randomEnsemble(members.map((m) => ({ ...m, seed: m.seed + 10 })), normOf(clips[0]!.frames)),
  });
});

describe('ensemble: validation and the build tool', () => {
  before(useWasm);

  it('refuses a window member, members of other step grids or classes, and a speaker reference without any stats head', () => {
    const cnn = { arch: 'cnn-attn-lstm' as const, hyper: resolveHyper('cnn-attn-lstm') };
    assert.throws(() => resolveHyper('ensemble', ensembleHyper([cnn, { arch: 'conv1d', hyper: resolveHyper('conv1d') }])), /hyper.m1.arch: expected a member that streams statefully \(fused-recurrent or stateful\), got conv1d \(window\)/);
    assert.throws(() => resolveHyper('ensemble', ensembleHyper([cnn, { arch: 'cnn-attn-lstm', hyper: resolveHyper('cnn-attn-lstm', { convStrides: [2, 2, 1] }) }])), /hyper.m1: expected 8 frames per step as member 0, got 4/);
    assert.throws(() => resolveHyper('ensemble', ensembleHyper([cnn, { arch: 'cnn-attn-lstm', hyper: resolveHyper('cnn-attn-lstm', { numClasses: 4 }) }])), /hyper.m1.numClasses: expected 8 \(hyper.numClasses\), got 4/);
    assert.throws(() => ensembleHyper([cnn, { arch: 'ensemble', hyper: {} }]), /ensemble member 1: expected one of cnn-attn-lstm, lstm, conv1d, conv1d-lstm, got ensemble/);
    const hyper = ensembleHyper([cnn, cnn]);
    const shape = { arch: 'ensemble' as const, hyper };
    const meta = metaForModel(shape, { speakerNorm: SPEAKER_NORM });
    assert.throws(() => validateMeta(meta), /speakerNorm: expected a model with a stats head/);
  });

  it('npm run ensemble: builds from saved members, loads back with the same answers; undoes a calibrated member\'s temperature; refuses members of another normalisation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ser-ensemble-'));
    try {
      const norm = normOf(randomFrames(200, 1, F, 20));
      const dirs: string[] = [];
      for (const [i, m] of TWO_WIDTHS.entries()) {
        const { hyper, params } = memberParams(m.arch, m.hyper, m.seed);
        const memberDir = join(dir, `member${i}`);
        await saveModel(memberDir, metaForModel({ arch: m.arch, hyper }, { id: `member-${i}`, norm, speakerNorm: SPEAKER_NORM }), params);
        tf.dispose(Object.values(params));
        dirs.push(memberDir);
      }
      const meta = await buildEnsemble(dirs, join(dir, 'ensemble'), 'test-ensemble');
      assert.equal(meta.arch, 'ensemble');
      assert.equal((meta.training?.['members'] as unknown[]).length, 2);
      const [ensemble, a, b] = [await loadModel(join(dir, 'ensemble')), await loadModel(dirs[0]!), await loadModel(dirs[1]!)];
      try {
        const frames = randomFrames(150, 2, F, 20);
        const voiced = new Uint8Array(150).fill(1);
        const pa = predictOffline(a, frames, voiced), pb = predictOffline(b, frames, voiced);
        const geo = Array.from(pa, (p, k) => Math.sqrt(p * pb[k]!));
        const sum = geo.reduce((s, v) => s + v, 0);
        assert.ok(maxAbsDiff(predictOffline(ensemble, frames, voiced), geo.map((v) => v / sum)) < 1e-5, 'the loaded ensemble answers the normalised geometric mean of its members');
      } finally {
        for (const m of [ensemble, a, b]) m.dispose();
      }
      const { hyper, params } = memberParams('cnn-attn-lstm', WIDE, 9);
      await saveModel(join(dir, 'other'), metaForModel({ arch: 'cnn-attn-lstm', hyper }, { id: 'other', norm: { ...norm, mean: norm.mean.map((v) => v + 1) }, speakerNorm: SPEAKER_NORM }), params);
      const logitLayers = logitParamsOf({ arch: 'cnn-attn-lstm', hyper });
      const tempered = logitLayers.map((name) => tf.div(params[name]!, 2));
      const calibrated = { ...params, ...Object.fromEntries(logitLayers.map((name, i) => [name, tempered[i]!])) };
      await saveModel(join(dir, 'calibrated'), metaForModel({ arch: 'cnn-attn-lstm', hyper }, { id: 'calibrated', norm, speakerNorm: SPEAKER_NORM, calibration: { temperature: 2, method: 'test', fittedOn: 'test' } }), calibrated);
      await assert.rejects(buildEnsemble([dirs[0]!, join(dir, 'other')], join(dir, 'bad'), 'bad'), /ensemble member 1 \(other\): expected the norm of member 0 \(member-0\), got another/);
      // A member whose reference differs only in its global statistics (another augmentation):
      // refused by default, served with member 0's reference under sharedSpeakerNorm.
      const shiftedNorm = { ...SPEAKER_NORM, mean: SPEAKER_NORM.mean.map((v, j) => (j === 3 ? v + 0.5 : v)) };
      await saveModel(join(dir, 'shifted'), metaForModel({ arch: 'cnn-attn-lstm', hyper }, { id: 'shifted', norm, speakerNorm: shiftedNorm }), params);
      await assert.rejects(buildEnsemble([dirs[0]!, join(dir, 'shifted')], join(dir, 'bad'), 'bad'), /expected the speakerNorm of member 0 \(member-0\), got another \(--shared-speaker-norm/);
      const sharedMeta = await buildEnsemble([dirs[0]!, join(dir, 'shifted')], join(dir, 'shared'), 'shared', { sharedSpeakerNorm: true });
      assert.deepEqual(sharedMeta.speakerNorm, SPEAKER_NORM, "member 0's reference serves both");
      assert.equal((sharedMeta.training?.['members'] as { speakerNormShiftSd?: number }[])[1]!.speakerNormShiftSd, 0.5);
      // …but not a different rule of the reference.
      await saveModel(join(dir, 'other-rule'), metaForModel({ arch: 'cnn-attn-lstm', hyper }, { id: 'other-rule', norm, speakerNorm: { ...SPEAKER_NORM, priorUtterances: 4 } }), params);
      await assert.rejects(buildEnsemble([dirs[0]!, join(dir, 'other-rule')], join(dir, 'bad'), 'bad', { sharedSpeakerNorm: true }), /expected the speakerNorm\.priorUtterances of member 0/);
      // A calibrated member goes back to its trained logits: the same ensemble as from the uncalibrated one.
      await saveModel(join(dir, 'raw'), metaForModel({ arch: 'cnn-attn-lstm', hyper }, { id: 'raw', norm, speakerNorm: SPEAKER_NORM }), params);
      tf.dispose([...Object.values(params), ...tempered]);
      await buildEnsemble([dirs[0]!, join(dir, 'raw')], join(dir, 'from-raw'), 'from-raw');
      const fromCalibrated = await buildEnsemble([dirs[0]!, join(dir, 'calibrated')], join(dir, 'from-calibrated'), 'from-calibrated');
      assert.equal((fromCalibrated.training?.['members'] as { uncalibratedFromT?: number }[])[1]!.uncalibratedFromT, 2);
      const [x, y] = [await loadModel(join(dir, 'from-raw')), await loadModel(join(dir, 'from-calibrated'))];
      try {
        const frames = randomFrames(150, 3, F, 20);
        const voiced = new Uint8Array(150).fill(1);
        const diff = maxAbsDiff(predictOffline(x, frames, voiced), predictOffline(y, frames, voiced));
        assert.ok(diff < 1e-5, `the calibrated member's T is undone (max diff ${diff})`);
      } finally {
        x.dispose();
        y.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
