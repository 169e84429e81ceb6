/**
 * Cross-validation end to end on a small synthetic corpus (4 speakers, 3 labels): `npm run cv`
 * trains 2 speaker-disjoint folds with the per-step loss, then `npm run evaluate -- --cv`
 * serves each fold's model with the real server and scores it under several conditions.
 * Plus the pure parts: fold assignment and the scores (UAR of final/live/summary, ECE).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { makeFolds } from '../../models/train/cv.js';
import { reliability, scoreCondition } from '../../models/eval/scores.js';
import { soxAvailable } from '../../models/eval/conditions.js';
import type { CvReport } from '../../models/eval/cv_eval.js';
import { runTraining } from '../../models/train/train_run.js';
import { smokeConfig, writeSyntheticDataset, SYNTH_LABELS } from './train_fixture.js';

const run = promisify(execFile);

describe('folds', () => {
  it('cuts sorted speakers into contiguous groups; each tested once, never trained on in its fold', () => {
    const speakers = Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, '0'));
    const folds = makeFolds([...speakers].reverse(), 5);
    assert.deepEqual(folds.map((f) => f.testSpeakers), [['01', '02', '03', '04'], ['05', '06', '07', '08'], ['09', '10', '11', '12'], ['13', '14', '15', '16'], ['17', '18', '19', '20']]);
    for (const f of folds) {
      assert.equal(f.trainSpeakers.length, 16);
      assert.ok(f.testSpeakers.every((s) => !f.trainSpeakers.includes(s)));
    }
    assert.equal(makeFolds(['a', 'b', 'c'], 2).flatMap((f) => f.testSpeakers).length, 3);
    assert.throws(() => makeFolds(['a', 'b'], 3), /expected folds an integer in \[2, 2\]/);
  });
});

describe('scores', () => {
  it('final, live and summary UAR; a clip with no result counts wrong', () => {
    const labels = ['a', 'b'];
    const s = scoreCondition(
      [
        { label: 0, final: 0, summary: 0, live: [{ pred: 0, confidence: 0.9 }, { pred: 1, confidence: 0.6 }] },
        { label: 1, final: 1, summary: 0, live: [{ pred: 1, confidence: 0.7 }] },
        { label: 1, final: null, summary: null, live: [] },
      ],
      labels,
    );
    assert.equal(s.final.uar, (1 + 0.5) / 2);
    assert.equal(s.summary.uar, (1 + 0) / 2);
    assert.equal(s.live.uar, (0.5 + 1) / 2);
    assert.equal(s.noResult, 1);
    assert.equal(s.liveHops, 3);
    // First voiced hops: label 0 → 0 (right), label 1 → 1 (right); the second: label 0 → 1 (wrong).
    assert.deepEqual(
      s.liveByPosition.map((b) => [b.from, b.to, b.hops]),
      [[1, 1, 2], [2, 2, 1], [3, 4, 0], [5, 8, 0], [9, null, 0]],
      'hops counted by their position in the clip',
    );
    assert.equal(s.liveByPosition[0]?.uar, 1, 'first hops: both right');
    assert.equal(s.liveByPosition[1]?.uar, 0, 'second hop: wrong (recall of label 0 is 0, label 1 has none)');
  });

  it('ECE is the hop-weighted gap between accuracy and confidence per bin', () => {
    const { ece, table } = reliability([
      { correct: true, confidence: 0.95 },
      { correct: false, confidence: 0.95 },
      { correct: true, confidence: 0.35 },
    ]);
    // Bin 0.9–1.0: accuracy 0.5, confidence 0.95 (2 hops); bin 0.3–0.4: 1 vs 0.35 (1 hop).
    assert.ok(Math.abs(ece - ((2 / 3) * 0.45 + (1 / 3) * 0.65)) < 1e-12);
    assert.equal(table[9]?.hops, 2);
  });
});

describe('npm run cv + npm run evaluate -- --cv (synthetic corpus, real server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-cv-'));
  const data = join(root, 'data');
  const cvDir = join(root, 'cv');
  before(() => {
    writeSyntheticDataset(data, 2);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('trains speaker-disjoint folds that keep their last epoch, then scores them through the server', async () => {
    const hyper = 'convChannels=8:8:8,lstmUnits=8,attentionUnits=8,denseUnits=8,windowSteps=8,dropout=0';
    await run('node', ['--import', 'tsx', 'models/train/cv.ts', '--data', data, '--out', cvDir, '--folds', '2', '--epochs', '2', '--hyper', hyper, '--augment-copies', '1', '--no-cache', '--engine', 'wasm', '--step-loss', '0.5', '--batch-size', '6', '--quiet'], { timeout: 300_000 });
    const metas = [1, 2].map((k) => JSON.parse(readFileSync(join(cvDir, `fold${k}`, 'meta.json'), 'utf8')) as { training: Record<string, unknown> });
    assert.deepEqual(metas.map((m) => m.training['valSpeakers']), [['s1', 's2'], ['s3', 's4']]);
    assert.deepEqual(metas.map((m) => m.training['keptEpoch']), [2, 2]);
    assert.equal(metas[0]?.training['stepLossWeight'], 0.5);

    const conditions = soxAvailable() ? 'wideband,telephone,gain-20dB,babble10dB' : 'wideband,gain-20dB,babble10dB';
    if (!soxAvailable()) console.log('# sox not installed: the telephone condition is not exercised here (apt-get install sox libsox-fmt-all)');
    const { stdout } = await run('node', ['--import', 'tsx', 'models/eval/evaluate.ts', '--cv', cvDir, '--data', data, '--conditions', conditions], { timeout: 300_000 });
    assert.match(stdout, /\| wideband — /);
    const report = JSON.parse(readFileSync(join(cvDir, 'cv-report.json'), 'utf8')) as CvReport;
    assert.deepEqual(report.labels, [...SYNTH_LABELS]);
    assert.equal(report.conditions.length, conditions.split(',').length);
    for (const c of report.conditions) {
      assert.equal(c.folds, 2);
      assert.equal(c.clips, 3 * 4 * 2);
      for (const score of [c.final, c.live, c.summary]) assert.ok(score.mean >= 0 && score.mean <= 1 && score.perFold.length === 2);
    }
    assert.ok(existsSync(join(cvDir, 'reliability-wideband.svg')));
    assert.ok(existsSync(join(cvDir, 'fold1', 'eval', 'cv-wideband.json')));
  });

  it('trains the final model on every speaker (no validation), keeping the last epoch', async () => {
    const out = join(root, 'final');
    await assert.rejects(runTraining(smokeConfig(data, out, { valSpeakers: [], epochs: 2 })), /expected keep 'last' when there are no validation speakers/);
    const result = await runTraining(smokeConfig(data, out, { valSpeakers: [], keep: 'last', epochs: 2 }));
    assert.equal(result.valMetrics, null);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { training: Record<string, unknown>; metrics: Record<string, unknown> };
    assert.deepEqual(meta.training['trainSpeakers'], ['s1', 's2', 's3', 's4']);
    assert.deepEqual(meta.training['valSpeakers'], []);
    assert.equal(meta.training['keptEpoch'], 2);
    assert.deepEqual(meta.metrics, {});
  });
});
