import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadModel } from '../../models/io.js';
import { runTraining } from '../../models/train/train_run.js';
import { loadCheckpointState } from '../../models/train/checkpoint.js';
import { smokeConfig, writeSyntheticDataset, SYNTH_LABELS } from './train_fixture.js';

const run = promisify(execFile);

describe('training smoke run (synthetic generic-layout data)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-train-'));
  const data = join(root, 'data');
  const out = join(root, 'model');

  before(() => {
    writeSyntheticDataset(data);
    // One corrupt and one empty file: skipped, named and counted, not fatal.
    writeFileSync(join(data, 'low', 's1_corrupt.wav'), Buffer.from('RIFF\u0000\u0000garbage, not a wave file'));
    writeFileSync(join(data, 'high', 's2_empty.wav'), Buffer.alloc(0));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('trains: loss decreases, a loadable model with meta is written, bad files are skipped', async () => {
    const result = await runTraining(smokeConfig(data, out));
    const losses = result.history.map((h) => h.loss);
    assert.equal(losses.length, 6);
    assert.ok((losses.at(-1) as number) < (losses[0] as number), `expected the loss to fall, got ${losses.join(', ')}`);
    assert.equal(result.skipped, 2);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    assert.deepEqual(meta.labels, [...SYNTH_LABELS]);
    assert.deepEqual(meta.training.valSpeakers, ['s4']);
    assert.ok(!meta.training.trainSpeakers.includes('s4'));
    assert.deepEqual(meta.training.skippedFiles.sort(), [join('high', 's2_empty.wav'), join('low', 's1_corrupt.wav')]);
    assert.equal(meta.norm.mean.length, 20);
    assert.equal(typeof meta.metrics.valUar, 'number');
    const log = readFileSync(join(out, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.filter((e) => e.event === 'epoch').length, 6);
    const model = await loadModel(out);
    assert.equal(model.meta.id, 'smoke');
    model.dispose();
  });

  it('resumes from the checkpoint and continues the same run', async () => {
    const out2 = join(root, 'resumed');
    const paused = await runTraining(smokeConfig(data, out2, { epochs: 5, stopAfterEpoch: 3 }));
    assert.equal(paused.valMetrics, null);
    assert.ok(!existsSync(join(out2, 'meta.json')), 'a paused run saves no model yet');
    const first = loadCheckpointState(out2);
    assert.equal(first?.epoch, 3);
    const resumed = await runTraining(smokeConfig(data, out2, { epochs: 5, resume: true }));
    assert.equal(resumed.history.length, 5);
    assert.deepEqual(resumed.history.slice(0, 3), first?.history);
    assert.ok(existsSync(join(out2, 'meta.json')));
    const log = readFileSync(join(out2, 'train.log'), 'utf8');
    assert.match(log, /resumed after epoch 3/);
    await assert.rejects(
      runTraining(smokeConfig(data, out2, { epochs: 5, resume: true, seed: 99 })),
      /expected the settings of the checkpointed run/,
    );
  });

  it('an unknown label is an error naming it', async () => {
    await assert.rejects(
      runTraining(smokeConfig(data, join(root, 'labels'), { labels: ['high', 'low'] })),
      /unknown label "noise"/,
    );
  });

  it('evaluate CLI: tables, JSON and SVGs in offline and streaming mode', async () => {
    assert.ok(existsSync(join(out, 'meta.json')), 'needs the model of the first test');
    const json = join(root, 'eval', 'smoke.json');
    mkdirSync(join(root, 'eval'), { recursive: true });
    const { stdout } = await run(process.execPath, [
      '--import', 'tsx', 'models/eval/evaluate.ts',
      '--model', out, '--data', data, '--actors', 's4', '--out', json, '--engine', 'cpu', '--no-cache',
    ]);
    assert.match(stdout, /offline wideband/);
    assert.match(stdout, /streaming wideband/);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(result.clips, 9);
    for (const mode of ['offline', 'streaming']) {
      assert.equal(result[mode].confusion.length, 3);
      assert.ok(result[mode].uar >= 0 && result[mode].uar <= 1);
      assert.match(readFileSync(join(root, 'eval', `smoke.${mode}.svg`), 'utf8'), /^<svg/);
    }
    const tel = await run(process.execPath, [
      '--import', 'tsx', 'models/eval/evaluate.ts',
      '--model', out, '--data', data, '--actors', 's4', '--telephone', '--mode', 'offline',
      '--out', join(root, 'eval', 'tel.json'), '--engine', 'cpu', '--no-cache',
    ]);
    assert.match(tel.stdout, /offline telephone/);
  });
});
