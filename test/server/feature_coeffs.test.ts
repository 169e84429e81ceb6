/**
 * The coefficient count, the log floor and the pitch columns follow the model: a model trained on all 40
 * cepstra (the whole log-mel spectrum) is served 40-coefficient frames, a model trained
 * with its own floor under the mel powers is served that floor, a model that reads pitch
 * is served 20 cepstra + the 2 pitch columns, and each streamed result
 * equals the offline model on the same clip; a model whose extractor differs from the
 * server's in anything else is refused at load, naming the setting.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { PITCH_FEATURES } from '../../shared/dsp/pitch.js';
import { featureSettingsOf, voicedGateOf, type ModelMeta } from '../../models/meta.js';
import { createRandomModel } from '../../models/random_model.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { framesEndingBy } from '../../server/pipeline/hop.js';
import { FIXTURES, readWavMono, streamWav } from '../helpers/server.js';

const NUM_COEFFS = 40;

const HOP_MS = 500;

/**
 * Streams the angry fixture to the server (smoothing 0, so a hop's result is its raw
 * distribution) and answers its last voiced hop offline, on the frames up to that hop's end,
 * once per feature setting given: the served result and the offline ones to compare it with.
 */
async function lastHopAndOffline(
  modelDir: string,
  wsUrl: string,
  seed: number,
  settings: readonly { numCoeffs?: number; logFloor?: number; pitch?: boolean }[],
): Promise<{ meta: ModelMeta; streamed: Record<string, number>; offline: Float32Array[] }> {
  const stream = await streamWav(wsUrl, FIXTURES.angry, { seed, smoothing: 0, hopMs: HOP_MS });
  const last = stream.results.filter((r) => r.voiced).at(-1);
  assert.ok(last !== undefined, 'a voiced hop');
  const [{ loadModel }, { predictOffline }] = await Promise.all([import('../../models/io.js'), import('../../models/streaming/runner.js')]);
  const model = await loadModel(modelDir);
  try {
    const clip = await readWavMono(FIXTURES.angry);
    const upTo = framesEndingBy((last.startMs + HOP_MS) * 16, MFCC_CONFIG.frameSamples, MFCC_CONFIG.hopSamples);
    const offline = settings.map((s) => {
      const frames = extractFeatures(clip.samples, { inputRateHz: clip.sampleRateHz, ...s, voicedGate: voicedGateOf(model.meta) });
      return predictOffline(model, frames.coeffs.subarray(0, upTo * frames.numCoeffs), frames.voiced.subarray(0, upTo));
    });
    return { meta: model.meta, streamed: last.probs, offline };
  } finally {
    model.dispose();
  }
}

function assertClose(labels: readonly string[], streamed: Record<string, number>, offline: Float32Array): void {
  labels.forEach((label, i) => {
    assert.ok(Math.abs((streamed[label] ?? NaN) - (offline[i] as number)) <= 1e-4, `${label}: stream ${streamed[label]}, offline ${offline[i]}`);
  });
}

describe('a 40-coefficient model', () => {
  let dir = '';
  let server: RunningServer;
  before(async () => {
    ({ dir } = await createRandomModel('cnn-attn-lstm', 7, { hyper: { numCoeffs: NUM_COEFFS } }));
    server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served 40-coefficient frames: the stream equals the offline model', async () => {
    const { meta, streamed, offline } = await lastHopAndOffline(dir, server.wsUrl, 5, [{ numCoeffs: NUM_COEFFS }]);
    assert.equal(meta.featureConfig.numCoeffs, NUM_COEFFS);
    assertClose(meta.labels, streamed, offline[0] as Float32Array);
  });
});

describe('a model with its own log floor', () => {
  const LOG_FLOOR = 1e-6;
  let dir = '';
  let server: RunningServer;
  before(async () => {
    let meta;
    ({ dir, meta } = await createRandomModel('cnn-attn-lstm', 9));
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, featureConfig: { ...meta.featureConfig, logFloor: LOG_FLOOR } }));
    server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served frames with that floor: the stream equals the offline model, not the default floor', async () => {
    const { meta, streamed, offline } = await lastHopAndOffline(dir, server.wsUrl, 3, [{ logFloor: LOG_FLOOR }, { logFloor: MFCC_CONFIG.logFloor }]);
    const [own, plain] = offline as [Float32Array, Float32Array];
    assert.deepEqual(featureSettingsOf(meta), { numCoeffs: MFCC_CONFIG.numCoeffs, logFloor: LOG_FLOOR, pitch: false });
    const gap = Math.max(...meta.labels.map((_, i) => Math.abs((own[i] as number) - (plain[i] as number))));
    assert.ok(gap > 1e-3, `the floor should change this clip's result (gap ${gap})`);
    assertClose(meta.labels, streamed, own);
  });
});

describe('a model that reads pitch', () => {
  const WIDTH = MFCC_CONFIG.numCoeffs + PITCH_FEATURES;
  let dir = '';
  let server: RunningServer;
  before(async () => {
    let meta;
    ({ dir, meta } = await createRandomModel('cnn-attn-lstm', 21, { hyper: { numCoeffs: WIDTH } }));
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, featureConfig: { ...meta.featureConfig, pitch: true } }));
    server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served 20 cepstra + 2 pitch columns: the stream equals the offline model, not 22 cepstra', async () => {
    const { meta, streamed, offline } = await lastHopAndOffline(dir, server.wsUrl, 4, [
      { numCoeffs: WIDTH, pitch: true },
      { numCoeffs: WIDTH },
    ]);
    const [own, cepstra] = offline as [Float32Array, Float32Array];
    assert.deepEqual(featureSettingsOf(meta), { numCoeffs: WIDTH, logFloor: MFCC_CONFIG.logFloor, pitch: true });
    const gap = Math.max(...meta.labels.map((_, i) => Math.abs((own[i] as number) - (cepstra[i] as number))));
    // A random model barely reads 2 of 22 columns (gap ≈ 8e-4 over seeds): still 4× the 1e-4 the stream must match within.
    assert.ok(gap > 4e-4, `pitch should change this clip's result (gap ${gap})`);
    assertClose(meta.labels, streamed, own);
  });
});

it('refuses a model whose feature extractor differs from the server’s, naming the setting', async () => {
  const { dir, meta } = await createRandomModel('cnn-attn-lstm', 7);
  try {
    // Saving checks meta too, so the mismatch is written behind its back.
    const patched = { ...meta, featureConfig: { ...meta.featureConfig, numMelBins: 64 } };
    await writeFile(join(dir, 'meta.json'), JSON.stringify(patched));
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir }), /featureConfig\.numMelBins: expected 40/);
    // A log floor may follow the model, but only a floor under silence, not one over speech.
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, featureConfig: { ...meta.featureConfig, logFloor: 0.5 } }));
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir }), /featureConfig\.logFloor: expected a number in \(0, 1e-3\], got 0\.5/);
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, featureConfig: { ...meta.featureConfig, pitch: 'yes' } }));
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: dir }), /featureConfig\.pitch: expected a boolean, got yes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
