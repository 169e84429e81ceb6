/**
 * The shipped model's speaker reference over a real socket: three utterances of one speaker
 * streamed as one session (1 s of silence between them) end on the distribution that
 * predictOffline computes for the whole session's features — whose reference is built from
 * the two earlier utterances — and not on the one the last utterance gets alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { featureOptionsOf } from '../../models/meta.js';
import type { RunningServer } from '../../server/app.js';
import { framesEndingBy } from '../../server/pipeline/hop.js';
import { FIXTURES, readWavMono, startTestServer, streamStartAndBytes, testModelDir } from '../helpers/server.js';

const TOLERANCE = 1e-4;
const RATE_HZ = 16_000;

function toS16(samples: Float32Array): Uint8Array {
  const out = new Int16Array(samples.length);
  samples.forEach((v, i) => {
    out[i] = Math.round(Math.max(-1, Math.min(1, v)) * 32767);
  });
  return new Uint8Array(out.buffer);
}

describe('speaker reference through the server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('a session of three utterances ends where predictOffline on the session ends, not where the last utterance alone does', async (t) => {
    const [{ selectEngine }, { loadModel }, { predictOffline }] = await Promise.all([
      import('../../models/engine.js'),
      import('../../models/io.js'),
      import('../../models/streaming/runner.js'),
    ]);
    await selectEngine();
    const model = await loadModel(await testModelDir());
    try {
      if (model.meta.speakerNorm === undefined) {
        t.skip(`the served model ${model.meta.id} has no speaker reference (meta.speakerNorm)`);
        return;
      }
      const clips = await Promise.all([FIXTURES.neutral, FIXTURES.happy, FIXTURES.angry].map(readWavMono));
      const gap = new Float32Array(RATE_HZ);
      const parts = clips.flatMap((c, i) => (i === 0 ? [c.samples] : [gap, c.samples]));
      const session = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (session.set(p, at), at + p.length), 0);
      // The bytes are quantised to s16 before the server sees them; the reference uses the same bytes.
      const bytes = toS16(session);
      const heard = Float32Array.from(new Int16Array(bytes.buffer), (v) => v / 32768);
      const out = await streamStartAndBytes(server.wsUrl, { type: 'start', sampleRate: RATE_HZ, encoding: 'pcm_s16le', channels: 1, smoothing: 0, hopMs: 500 }, bytes, { seed: 4, maxChunkBytes: 4000 });
      assert.deepEqual(out.errors, [], 'no error');
      const lastVoiced = out.results.filter((r) => r.voiced).at(-1);
      assert.ok(lastVoiced !== undefined, 'a voiced result');
      // The model's own coefficients, floor and gate, as the server's chain uses them.
      const features = featureOptionsOf(model.meta);
      const f = extractFeatures(heard, { inputRateHz: RATE_HZ, ...features });
      const coeffs = f.coeffs.length / f.count;
      const upTo = Math.min(f.count, framesEndingBy((lastVoiced.startMs + 500) * 16, 400, 160));
      const offline = predictOffline(model, f.coeffs.subarray(0, upTo * coeffs), f.voiced.subarray(0, upTo));
      model.meta.labels.forEach((label, i) => {
        const got = lastVoiced.probs[label]!;
        assert.ok(Math.abs(got - offline[i]!) <= TOLERANCE, `${label}: stream ${got} vs offline on the session ${offline[i]}`);
      });
      const lastSamples = Float32Array.from(new Int16Array(toS16(clips[2]!.samples).buffer), (v) => v / 32768);
      const alone = extractFeatures(lastSamples, { inputRateHz: RATE_HZ, ...features });
      const fresh = predictOffline(model, alone.coeffs, alone.voiced);
      const moved = Math.max(...model.meta.labels.map((l, i) => Math.abs(lastVoiced.probs[l]! - fresh[i]!)));
      assert.ok(moved > 1e-3, `the two earlier utterances move the last one's answer (max |Δp| ${moved})`);
    } finally {
      model.dispose();
    }
  });
});
