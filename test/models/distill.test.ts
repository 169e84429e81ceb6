/**
 * Knowledge distillation (models/train/distill.ts): the options reach the recipe and its
 * hash, the soft target is the teachers' softened answer, a label-only soft target trains
 * exactly like the label, and a teacher that heard a validation speaker is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel } from '../../models/architectures/index.js';
import { saveTempered } from '../../models/eval/calibrate.js';
import { selectEngine } from '../../models/engine.js';
import { loadModel } from '../../models/io.js';
import type { Example } from '../../models/train/batching.js';
import { foldConfig } from '../../models/train/cv.js';
import { softenLogProbs } from '../../models/train/distill.js';
import { ensembleMeta } from '../../models/train/ensemble.js';
import { parseTrainArgs } from '../../models/train/train.js';
import { configHash, validateTrainConfig } from '../../models/train/train_config.js';
import { recordedPath } from '../../models/train/train_meta.js';
import { runTraining } from '../../models/train/train_run.js';
import { trainStep } from '../../models/train/train_step.js';
import { smokeConfig, writeSyntheticDataset } from './train_fixture.js';

const BASE = ['--data', '/nonexistent-data', '--out', '/tmp/ser-distill-args-test'];

describe('distillation options', () => {
  it('--teachers, --distill-weight and --distill-temperature reach the config and its hash; {fold} is the fold', () => {
    const taught = parseTrainArgs([...BASE, '--teachers', 'models/cv/a/fold{fold},/abs/b/fold{fold}', '--distill-weight', '0.7', '--distill-temperature', '3']);
    const plain = parseTrainArgs(BASE);
    assert.ok(taught !== null && plain !== null);
    assert.equal(taught.teachers.length, 2);
    assert.ok(taught.teachers[0]!.endsWith('models/cv/a/fold{fold}'), 'relative paths are resolved');
    assert.equal(taught.teachers[1], '/abs/b/fold{fold}');
    assert.equal(taught.distillWeight, 0.7);
    assert.equal(taught.distillTemperature, 3);
    assert.deepEqual(plain.teachers, []);
    assert.notEqual(configHash(taught), configHash(plain));
    // Without teachers the weight and temperature do not change the hash: earlier recipes keep theirs.
    assert.equal(configHash({ ...plain, distillWeight: 0.9 }), configHash(plain));
    const fold = foldConfig(taught, '/tmp/cv', { index: 3, trainSpeakers: ['01'], testSpeakers: ['02'] });
    assert.ok(fold.teachers[0]!.endsWith('models/cv/a/fold3'));
    assert.equal(fold.teachers[1], '/abs/b/fold3');
    assert.throws(() => validateTrainConfig({ ...taught, mixupAlpha: 0.4 }), /no mixup with teachers/);
    assert.throws(() => validateTrainConfig({ ...taught, distillWeight: 1.5 }), /distillWeight in \[0, 1\]/);
    assert.throws(() => validateTrainConfig({ ...taught, distillTemperature: 0.5 }), /distillTemperature in \[1, 10\]/);
  });

  it('teachers are recorded relative to the checkout when inside it, as given otherwise', () => {
    assert.equal(recordedPath('/repo/models/cv/a/fold1', '/repo'), 'models/cv/a/fold1');
    assert.equal(recordedPath('/elsewhere/models/v9', '/repo'), '/elsewhere/models/v9');
    assert.equal(recordedPath('/repo-other/x', '/repo'), '/repo-other/x');
  });

  it('the soft target is softmax(mean log p / T): T = 1 gives the teachers back, a higher T is flatter', () => {
    const p = [0.7, 0.2, 0.1];
    const logP = Float64Array.from(p, Math.log);
    const same = softenLogProbs(logP, 1);
    p.forEach((v, k) => assert.ok(Math.abs(same[k]! - v) < 1e-6, `class ${k}: ${same[k]} vs ${v}`));
    const flat = softenLogProbs(logP, 3);
    assert.ok(Math.abs(flat.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(flat[0]! < same[0]! && flat[2]! > same[2]!, 'a higher temperature moves mass to the unlikely classes');
    assert.ok(flat[0]! > flat[1]! && flat[1]! > flat[2]!, 'the ranking is kept');
  });
});

describe('distillation loss', () => {
  before(async () => {
    await selectEngine('cpu');
  });

  it('a one-hot soft target at T = 1 and weight 1 gives the label-only loss', () => {
    const hyper = { convChannels: [4, 4, 4], lstmUnits: 4, attentionUnits: 4, denseUnits: 4, windowSteps: 8, dropout: 0, numCoeffs: 3, numClasses: 3 };
    const examples: Example[] = [0, 1, 2, 1].map((labelIdx, i) => {
      const frames = 16 + 8 * i;
      const x = Float32Array.from({ length: frames * 3 }, (_, j) => Math.sin(0.37 * j + i));
      const soft = new Float32Array(3);
      soft[labelIdx] = 1;
      return { x, frames, minFrames: frames, labelIdx, voiced: new Uint8Array(frames).fill(1), soft };
    });
    const classWeight = Float32Array.from([1, 0.8, 1.2]);
    const losses = [null, { weight: 1, temperature: 1 }].map((distill) => {
      const model = createModel('cnn-attn-lstm', hyper, 5);
      const optimizer = tf.train.adam(0.01);
      const r = trainStep(model, optimizer, examples, classWeight, 11, { distill });
      optimizer.dispose();
      disposeModel(model);
      return r.loss;
    });
    assert.ok(Math.abs(losses[0]! - losses[1]!) < 1e-5, `label ${losses[0]} vs one-hot teacher ${losses[1]}`);
    const model = createModel('cnn-attn-lstm', hyper, 5);
    const optimizer = tf.train.adam(0.01);
    const unlabelled = examples.map(({ soft: _s, ...e }) => e);
    assert.throws(() => trainStep(model, optimizer, unlabelled, classWeight, 11, { distill: { weight: 0.5, temperature: 2 } }), /soft target of 3 classes on every example/);
    optimizer.dispose();
    disposeModel(model);
  });
});

describe('distillation run (synthetic data)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-distill-'));
  const data = join(root, 'data');
  const teacher = join(root, 'teacher');
  before(() => {
    writeSyntheticDataset(data);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a student learns from a teacher of its own training speakers, calibrated or not; a teacher that heard a validation speaker is refused', async () => {
    await runTraining(smokeConfig(data, teacher, { epochs: 2 }));
    const student = join(root, 'student');
    const result = await runTraining(smokeConfig(data, student, { epochs: 2, teachers: [teacher], distillWeight: 0.7, distillTemperature: 2 }));
    assert.ok(result.history.every((h) => Number.isFinite(h.loss)));
    const meta = JSON.parse(readFileSync(join(student, 'meta.json'), 'utf8')) as { training: { distill?: unknown } };
    assert.deepEqual(meta.training.distill, { teachers: [teacher], weight: 0.7, temperature: 2 });
    // An ensemble keeps where each member's knowledge came from.
    const pair = [await loadModel(teacher), await loadModel(student)];
    try {
      const members = ensembleMeta(pair, 'pair', ['teacher', 'student']).training?.['members'] as { distill?: unknown }[];
      assert.equal(members[0]?.distill, undefined);
      assert.deepEqual(members[1]?.distill, meta.training.distill);
    } finally {
      for (const m of pair) m.dispose();
    }
    const log = readFileSync(join(student, 'train.log'), 'utf8');
    assert.match(log, /teacher smoke: answered \d+ clip versions/);
    const soft = /soft targets \(T = 2\): argmax = label on [\d.]+ % of \d+ clip versions, mean top probability 0\.\d{3}/;
    assert.match(log, soft);
    // The same teacher calibrated (logits / 3) answers with its trained logits: the same soft targets.
    const calibrated = join(root, 'teacher-cal');
    const loaded = await loadModel(teacher);
    try {
      await saveTempered(loaded, calibrated, 3, 'test');
    } finally {
      loaded.dispose();
    }
    const viaCal = join(root, 'student-cal');
    await runTraining(smokeConfig(data, viaCal, { epochs: 1, teachers: [calibrated], distillWeight: 0.7, distillTemperature: 2 }));
    const calLog = readFileSync(join(viaCal, 'train.log'), 'utf8');
    assert.match(calLog, /teacher smoke: answered \d+ clip versions \(calibration T = 3\.000 undone\)/);
    assert.equal(calLog.match(soft)?.[0], log.match(soft)?.[0]);
    // The teacher heard s1–s3; a student validated on s3 must not learn from it.
    await assert.rejects(
      runTraining(smokeConfig(data, join(root, 'leaky'), { epochs: 1, valSpeakers: ['s3'], trainSpeakers: ['s1', 's2', 's4'], teachers: [teacher] })),
      /trained on speakers s3 outside the student's training speakers/,
    );
  });
});
