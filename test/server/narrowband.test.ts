/**
 * A narrowband model beside the main one (`narrowbandModelDir`): streams at 8 kHz or less
 * are served by it, every other stream by the main model, in the same workers, and each
 * stream's results are exactly those of a server serving its model alone — also when
 * wideband and narrowband streams share a worker's rounds. A narrowband model that does
 * not share the main model's pipeline contract is refused at start-up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { contractMismatch, PIPELINE_CONTRACT } from '../../models/contract.js';
import { createRandomModel } from '../../models/random_model.js';
import { telephoneMulaw8k } from '../../models/train/telephone.js';
import type { RunningServer } from '../../server/app.js';
import { configFromEnvAndArgs } from '../../server/config_sources.js';
import { resolveConfig } from '../../server/config_resolve.js';
import { streamBytes } from '../helpers/channels.js';
import { FIXTURES, readWavMono, readWavPcm, startTestServer, type StreamOutcome } from '../helpers/server.js';

const probsOf = (o: StreamOutcome): Record<string, number>[] => o.results.map((r) => r.probs);

describe('narrowband model: 8 kHz streams served by their own model', () => {
  let wideDir: string;
  let narrowDir: string;
  let narrowId: string;
  let both: RunningServer;
  let call: Uint8Array;
  let wide: Awaited<ReturnType<typeof readWavPcm>>;

  before(async () => {
    wideDir = (await createRandomModel('cnn-attn-lstm', 11, { meta: { id: 'test-wideband' } })).dir;
    const narrow = await createRandomModel('cnn-attn-lstm', 12, { meta: { id: 'test-narrowband' } });
    narrowDir = narrow.dir;
    narrowId = narrow.meta.id;
    both = await startTestServer({ modelDir: wideDir, narrowbandModelDir: narrowDir, workers: 1 });
    call = telephoneMulaw8k((await readWavMono(FIXTURES.angry)).samples);
    wide = await readWavPcm(FIXTURES.happy);
  });
  after(async () => {
    await both?.close();
  });

  const callStart = { sampleRate: 8000, encoding: 'mulaw', channels: 1 } as const;
  const wideStart = (): { sampleRate: number; encoding: 'pcm_s16le'; channels: 1 } => ({ sampleRate: wide.sampleRateHz, encoding: 'pcm_s16le', channels: 1 });

  it('names the model serving each stream in ready, and equals a server serving that model alone', async () => {
    const [narrowAlone, wideAlone] = [await startTestServer({ modelDir: narrowDir, workers: 1 }), await startTestServer({ modelDir: wideDir, workers: 1 })];
    try {
      const gotCall = await streamBytes(both.wsUrl, callStart, call, 3);
      const gotWide = await streamBytes(both.wsUrl, wideStart(), wide.data, 4);
      assert.equal(gotCall.ready.model.id, narrowId, 'an 8 kHz call is served by the narrowband model');
      assert.equal(gotWide.ready.model.id, 'test-wideband', 'a 16 kHz stream by the main model');
      assert.deepEqual(gotCall.errors, []);
      assert.ok(gotCall.results.length > 5 && gotCall.final !== undefined, 'the call got its results and a final one');
      assert.deepEqual(probsOf(gotCall), probsOf(await streamBytes(narrowAlone.wsUrl, callStart, call, 5)), 'call = the narrowband model alone');
      assert.deepEqual(probsOf(gotWide), probsOf(await streamBytes(wideAlone.wsUrl, wideStart(), wide.data, 6)), 'wideband = the main model alone');
      assert.notDeepEqual(probsOf(gotCall), probsOf(await streamBytes(wideAlone.wsUrl, callStart, call, 7)), 'the two models differ on the call');
    } finally {
      await Promise.all([narrowAlone.close(), wideAlone.close()]);
    }
  });

  it('wideband and narrowband streams at once in one worker: each as when alone', async () => {
    const alone = [await streamBytes(both.wsUrl, callStart, call, 8), await streamBytes(both.wsUrl, wideStart(), wide.data, 9)];
    const together = await Promise.all([
      streamBytes(both.wsUrl, callStart, call, 10),
      streamBytes(both.wsUrl, wideStart(), wide.data, 11),
      streamBytes(both.wsUrl, callStart, call, 12),
      streamBytes(both.wsUrl, wideStart(), wide.data, 13),
    ]);
    together.forEach((o, i) => assert.deepEqual(probsOf(o), probsOf(alone[i % 2]!), `stream ${i}`));
    const stats = await both.modelStats();
    assert.equal(stats.sessions, 0, 'every state released');
  });

  it('POST /v1/analyze names the serving model too; /readyz and /metrics name the narrowband model', async () => {
    const res = await fetch(`${both.url}/v1/analyze?encoding=mulaw&sampleRate=8000&channels=1`, { method: 'POST', body: Buffer.from(call), headers: { 'content-type': 'application/octet-stream' } });
    const body = (await res.json()) as { model?: { id: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.model?.id, narrowId);
    const ready = (await (await fetch(`${both.url}/readyz`)).json()) as { model: { id: string }; narrowbandModel: { id: string } | null };
    assert.deepEqual([ready.model.id, ready.narrowbandModel], ['test-wideband', { id: narrowId }]);
    const metrics = await (await fetch(`${both.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^ser_narrowband_model_info\\{model_id="${narrowId}"\\} 1$`, 'm'));
  });

  it('refuses a narrowband model with another pipeline contract (here: labels), naming the field', async () => {
    const other = await createRandomModel('cnn-attn-lstm', 13, { meta: { id: 'test-other-labels', labels: ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'bored'] } });
    await assert.rejects(startTestServer({ modelDir: wideDir, narrowbandModelDir: other.dir, workers: 1 }), /narrowband model test-other-labels: expected the labels of the main model test-wideband/);
  });

  it('the contract ignores featureCodeHash (the training code version) but not a frame setting', async () => {
    const wide = (await createRandomModel('cnn-attn-lstm', 14, { meta: { id: 'a' } })).meta;
    const later = { ...wide, featureConfig: { ...wide.featureConfig, featureCodeHash: 'another-commit' } };
    assert.equal(contractMismatch(later, wide, PIPELINE_CONTRACT), null);
    const otherFrames = { ...wide, featureConfig: { ...wide.featureConfig, preEmphasis: 0.9 } };
    assert.equal(contractMismatch(otherFrames, wide, PIPELINE_CONTRACT), 'featureConfig');
    // A model's own log floor is served, so two models must agree on it to share a pipeline.
    const otherFloor = { ...wide, featureConfig: { ...wide.featureConfig, logFloor: 1e-8 } };
    assert.equal(contractMismatch(otherFloor, wide, PIPELINE_CONTRACT), 'featureConfig');
  });

  it('configuration: --narrowband-model <dir> or none; SER_NARROWBAND_MODEL_DIR', () => {
    assert.equal(configFromEnvAndArgs({}, ['--narrowband-model', '/m/nb']).narrowbandModelDir, '/m/nb');
    assert.equal(configFromEnvAndArgs({}, ['--narrowband-model=none']).narrowbandModelDir, null);
    assert.equal(configFromEnvAndArgs({ SER_NARROWBAND_MODEL_DIR: 'NONE' }, []).narrowbandModelDir, null);
    assert.throws(() => resolveConfig({ narrowbandModelDir: '' }), /narrowbandModelDir: expected a directory path or null/);
  });
});
