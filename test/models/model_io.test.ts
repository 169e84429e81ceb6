import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { currentEngine, selectEngine } from '../../models/engine.js';
import { loadModel, META_FILE } from '../../models/io.js';
import { readFileSync } from 'node:fs';
import { validateMeta, voicedGateOf, type ModelMeta } from '../../models/meta.js';
import { VOICED_GATE_CONFIG } from '../../shared/dsp/vad.js';
import { PITCH_CONFIG } from '../../shared/dsp/pitch.js';
import { createRandomModel } from '../../models/random_model.js';
import { DEFAULT_MODEL_DIR } from '../../models/registry.js';
import { predictOffline } from '../../models/streaming/runner.js';
import { maxAbsDiff, randomFrames, randomLoadedModel, useWasm } from './model_fixtures.js';

describe('engine, registry, save/load', () => {
  before(useWasm);

  it('selectEngine is idempotent and reports the engine in use', async () => {
    assert.equal(await selectEngine('cpu'), 'wasm'); // first choice sticks
    assert.equal(currentEngine(), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('DEFAULT_MODEL_DIR is absolute and names the default model', () => {
    assert.ok(DEFAULT_MODEL_DIR.startsWith('/'));
    assert.ok(DEFAULT_MODEL_DIR.endsWith('models/ravdess-cnn-attn-lstm-v12'));
  });

  it('saveModel → loadModel round-trips weights and meta exactly', async () => {
    const { dir, meta } = await createRandomModel('cnn-attn-lstm', 21);
    try {
      const reference = randomLoadedModel(21);
      const loaded = await loadModel(dir);
      assert.deepEqual(loaded.meta, meta);
      assert.deepEqual(Object.keys(loaded.params).sort(), Object.keys(reference.params).sort());
      for (const [name, t] of Object.entries(reference.params)) {
        assert.deepEqual(loaded.params[name]!.shape, t.shape, name);
        assert.equal(maxAbsDiff(loaded.params[name]!.dataSync(), t.dataSync()), 0, name);
      }
      const frames = randomFrames(300, 2);
      const voiced = new Uint8Array(300).fill(1);
      assert.deepEqual(predictOffline(loaded, frames, voiced), predictOffline(reference, frames, voiced));
      const before = tf.memory().numTensors;
      loaded.dispose();
      reference.dispose();
      assert.ok(tf.memory().numTensors < before);
      const onDisk = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as typeof meta;
      validateMeta(onDisk);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('meta with pitch: its columns count in numCoeffs, the rest must be cepstra, and the flag a boolean', async () => {
    const { dir, meta } = await createRandomModel('cnn-attn-lstm', 5, { hyper: { numCoeffs: 22 } });
    try {
      const width = (n: number, pitch?: unknown): ModelMeta => ({
        ...meta,
        featureConfig: { ...meta.featureConfig, numCoeffs: n, ...(pitch === undefined ? {} : { pitch: pitch as boolean }) },
        norm: { mean: new Array<number>(n).fill(0), std: new Array<number>(n).fill(1) },
      });
      validateMeta(width(22, true));
      validateMeta(width(42, true)); // 40 cepstra + 2 pitch columns
      assert.throws(() => validateMeta(width(42)), /featureConfig\.numCoeffs: expected 1…40 \(the mel bands\), got 42/);
      assert.throws(() => validateMeta(width(2, true)), /featureConfig\.numCoeffs: expected more than the 2 pitch columns, got 2/);
      assert.throws(() => validateMeta(width(22, 1)), /featureConfig\.pitch: expected a boolean, got 1/);
      const other = width(22, true);
      other.featureConfig['pitchConfig'] = JSON.stringify({ ...PITCH_CONFIG, decimation: 8 });
      assert.throws(() => validateMeta(other), /featureConfig\.pitchConfig: expected .* \(the server's pitch stage\), got .*"decimation":8/);
      other.featureConfig['pitchConfig'] = JSON.stringify(PITCH_CONFIG);
      validateMeta(other);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every architecture saves and loads', async () => {
    for (const arch of ['lstm', 'conv1d', 'conv1d-lstm'] as const) {
      const { dir } = await createRandomModel(arch, 3);
      const loaded = await loadModel(dir);
      const probs = predictOffline(loaded, randomFrames(64, 4), new Uint8Array(64).fill(1));
      assert.equal(probs.length, 8);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      loaded.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a meta whose stepFrames does not match the architecture', async () => {
    const { dir } = await createRandomModel('cnn-attn-lstm', 1, { meta: { stepFrames: 8 } });
    const path = join(dir, META_FILE);
    const meta = JSON.parse(await readFile(path, 'utf8')) as { stepFrames: number };
    meta.stepFrames = 4;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, JSON.stringify(meta));
    await assert.rejects(loadModel(dir), /meta.stepFrames: expected 8 for cnn-attn-lstm, got 4/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('selectEngine in a fresh process', () => {
  const run = async (env: Record<string, string>): Promise<string> => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = "const { selectEngine } = await import('./models/engine.ts'); process.stdout.write(await selectEngine());";
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: { ...process.env, SER_ENGINE: '', ...env },
    });
    return stdout;
  };

  it('auto picks the first engine that starts (wasm here, where the native bindings are absent)', async () => {
    assert.ok(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm'].includes(await run({})));
  });

  it('SER_ENGINE forces an engine and rejects unknown names', async () => {
    assert.equal(await run({ SER_ENGINE: 'cpu' }), 'cpu');
    await assert.rejects(run({ SER_ENGINE: 'gpu' }), /expected engine one of auto, tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu, got "gpu"/);
  });
});

describe('voicedGateOf: a model is served with the gate it was trained with', () => {
  it('reads meta.training.voicedGate, else today\'s default; ignores junk', () => {
    const v1 = JSON.parse(readFileSync(new URL('../../models/ravdess-cnn-attn-lstm-v1/meta.json', import.meta.url), 'utf8')) as ModelMeta;
    assert.equal(voicedGateOf(v1).absoluteFloorDb, -55);
    assert.deepEqual(voicedGateOf({}), { ...VOICED_GATE_CONFIG });
    const junk = { training: { voicedGate: { absoluteFloorDb: 'x', hangoverFrames: 7 } } } as unknown as ModelMeta;
    assert.deepEqual(voicedGateOf(junk), { ...VOICED_GATE_CONFIG, hangoverFrames: 7 });
  });
});
