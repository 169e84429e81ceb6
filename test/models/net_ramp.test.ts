/**
 * `npm run net-ramp` (models/train/net_ramp.ts): sets hyper netRampFrames on every network
 * with a stats head — the model's own or each ensemble member's — removes it at 0, refuses a
 * model without a head and a bad frame count, and copies a CV run's folds and records with
 * the weights unchanged.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createModel, disposeModel, resolveHyper } from '../../models/architectures/index.js';
import { loadModel, saveModel } from '../../models/io.js';
import type { ModelMeta } from '../../models/meta.js';
import { metaForModel } from '../../models/random_model.js';
import { rampCv, withNetRamp } from '../../models/train/net_ramp.js';
import { maxAbsDiff, useWasm } from './model_fixtures.js';

const BASE = metaForModel({ arch: 'cnn-attn-lstm', hyper: resolveHyper('cnn-attn-lstm') });
/** A meta whose hyper-parameters are just `hyper` (withNetRamp reads nothing else). */
const meta = (hyper: ModelMeta['hyper']): ModelMeta => ({ ...BASE, id: 'm', hyper });

describe('net-ramp', () => {
  let dir: string;
  before(async () => {
    await useWasm();
    dir = mkdtempSync(join(tmpdir(), 'net-ramp-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sets the ramp on every member with a stats head, removes it at 0, and refuses what it cannot ramp', () => {
    const ensemble = meta({ members: 2, 'm0.statsHead': 1, 'm1.statsHead': 1, 'm1.netRampFrames': 50 });
    const ramped = withNetRamp(ensemble, 200, 'renamed');
    assert.equal(ramped.hyper['m0.netRampFrames'], 200);
    assert.equal(ramped.hyper['m1.netRampFrames'], 200);
    assert.equal(ramped.id, 'renamed');
    assert.equal(ensemble.hyper['m0.netRampFrames'], undefined, 'the input is not changed');
    const removed = withNetRamp(ramped, 0);
    assert.ok(!Object.keys(removed.hyper).some((k) => k.endsWith('netRampFrames')), 'R = 0 removes the ramp');
    assert.equal(withNetRamp(meta({ statsHead: 1 }), 120).hyper['netRampFrames'], 120, 'a single network');
    assert.throws(() => withNetRamp(meta({ statsHead: 0 }), 120), /expected a network with a stats head/);
    assert.throws(() => withNetRamp(meta({ statsHead: 1 }), -5), /--frames: expected an integer ≥ 0, got -5/);
    assert.throws(() => withNetRamp(meta({ statsHead: 1 }), 1.5), /--frames: expected an integer ≥ 0/);
  });

  it('copies every fold of a CV run and its records with the ramp set and the weights unchanged', async () => {
    const cv = join(dir, 'cv');
    const model = createModel('cnn-attn-lstm', { windowSteps: 6, statsHead: 1, statsCount: 1 }, 3);
    try {
      for (const k of [1, 2]) await saveModel(join(cv, `fold${k}`), metaForModel(model), model.params);
    } finally {
      disposeModel(model);
    }
    mkdirSync(join(cv, 'notafold'));
    writeFileSync(join(cv, 'recipe.json'), '{"id":"r"}\n');
    await rampCv(cv, join(dir, 'out'), 150);
    assert.equal(readFileSync(join(dir, 'out', 'recipe.json'), 'utf8'), '{"id":"r"}\n');
    for (const k of [1, 2]) {
      const [before, after] = await Promise.all([loadModel(join(cv, `fold${k}`)), loadModel(join(dir, 'out', `fold${k}`))]);
      try {
        assert.equal(after.meta.hyper['netRampFrames'], 150);
        assert.equal(before.meta.hyper['netRampFrames'], undefined);
        for (const [name, t] of Object.entries(before.params)) assert.equal(maxAbsDiff(t.dataSync(), after.params[name]!.dataSync()), 0, name);
      } finally {
        before.dispose();
        after.dispose();
      }
    }
    await assert.rejects(rampCv(join(cv, 'notafold'), join(dir, 'none'), 150), /expected fold<k>\/ model directories, got none/);
  });
});
