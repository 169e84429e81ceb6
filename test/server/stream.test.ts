/**
 * End to end over a real socket: a clip streamed in random chunk sizes ends with a final
 * result and a summary; any chunking gives the same results; the stream's final distribution
 * equals POST /v1/analyze and the offline model on the same clip; other formats (8 kHz µ-law,
 * 48 kHz stereo float) are resampled and served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeMulaw } from '../../shared/dsp/g711.js';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { featureOptionsOf } from '../../models/meta.js';
import type { EmotionMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import { framesEndingBy } from '../../server/pipeline/hop.js';
import {
  FIXTURES,
  TestClient,
  isReady,
  isSummary,
  randomChunks,
  readWavMono,
  startTestServer,
  streamWav,
  testModelDir,
} from '../helpers/server.js';

const PROB_TOLERANCE = 1e-4;

function assertProbsClose(actual: Record<string, number>, expected: Record<string, number> | Float32Array, labels: string[], what: string): void {
  labels.forEach((label, i) => {
    const e = expected instanceof Float32Array ? (expected[i] ?? NaN) : (expected[label] ?? NaN);
    const a = actual[label] ?? NaN;
    assert.ok(Math.abs(a - e) <= PROB_TOLERANCE, `${what}: ${label} expected ${e}, got ${a}`);
  });
}

function assertWellFormed(results: EmotionMessage[], labels: string[], hopMs: number): void {
  results.forEach((r, i) => {
    assert.equal(r.seq, i, 'seq counts 0, 1, 2, …');
    assert.equal(r.startMs, i * hopMs, 'hop k starts at k·hopMs');
    assert.ok(r.endMs <= (i + 1) * hopMs + 1e-6 || r.final === true, `endMs ${r.endMs} within hop ${i}`);
    assert.deepEqual(Object.keys(r.probs), labels);
    const sum = Object.values(r.probs).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probs sum to 1, got ${sum}`);
    assert.equal(r.confidence, Math.max(...Object.values(r.probs)));
    assert.equal(r.probs[r.top], r.confidence);
    assert.ok(r.arousal >= -1 && r.arousal <= 1 && r.valence >= -1 && r.valence <= 1);
    if (!r.voiced && i === 0) {
      // Leading studio silence: exactly uniform, no pretended confidence.
      for (const p of Object.values(r.probs)) assert.ok(Math.abs(p - 1 / labels.length) < 1e-6);
      assert.equal(r.arousal, 0);
      assert.equal(r.valence, 0);
    }
  });
}

describe('streaming a clip', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('ends with a final result, a summary and close 1000 when sent in random chunk sizes', async () => {
    const out = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 11, maxChunkBytes: 3000 });
    assert.deepEqual(out.errors, []);
    assert.equal(out.closeCode, 1000);
    assert.equal(out.ready.protocol, 1);
    assert.equal(out.ready.hopMs, 250);
    assert.deepEqual(out.ready.model.labels, server.model.labels);
    const labels = out.ready.model.labels;
    assertWellFormed(out.results, labels, 250);
    const last = out.results.at(-1);
    assert.ok(last?.final === true, 'the last result is final');
    assert.equal(out.results.filter((r) => r.final === true).length, 1);
    assert.ok(out.results.some((r) => r.voiced), 'speech is voiced');
    assert.ok(!out.results[0]?.voiced, 'the leading silence is not');
    // Message order: ready, results…, summary, then close.
    assert.equal(out.messages[0]?.type, 'ready');
    assert.equal(out.messages.at(-1)?.type, 'summary');
    const { summary } = out;
    assert.ok(summary !== undefined);
    const clip = await readWavMono(FIXTURES.angry);
    const clipMs = (clip.samples.length / clip.sampleRateHz) * 1000;
    assert.ok(Math.abs(summary.durationMs - clipMs) < 1, `duration ${summary.durationMs} ≈ ${clipMs}`);
    assert.ok(summary.voicedMs > 500 && summary.voicedMs < summary.durationMs);
    assert.ok(labels.includes(summary.dominant));
    assert.ok(summary.segments.length >= 1);
    for (const s of summary.segments) assert.ok(s.startMs < s.endMs && labels.includes(s.label));
    assert.ok(last.endMs <= clipMs + 1e-6 && last.endMs > clipMs - 1000, `final endMs ${last.endMs} near the clip end ${clipMs}`);
  });

  it('gives identical results for any chunking (one message, random chunks, odd byte splits)', async () => {
    const whole = await streamWav(server.wsUrl, FIXTURES.happy, { seed: 1, maxChunkBytes: 10_000_000, smoothing: 0.3 });
    const random = await streamWav(server.wsUrl, FIXTURES.happy, { seed: 5, maxChunkBytes: 777, smoothing: 0.3 });
    assert.equal(whole.results.length, random.results.length);
    whole.results.forEach((r, i) => assert.deepEqual(random.results[i], r, `hop ${i}`));
    assert.deepEqual(random.summary, whole.summary);
  });

  it('matches POST /v1/analyze and the offline model on the same clip', async () => {
    const stream = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 2, smoothing: 0, hopMs: 500 });
    const wav = await import('node:fs/promises').then((fs) => fs.readFile(FIXTURES.angry));
    const response = await fetch(`${server.url}/v1/analyze?hopMs=500&smoothing=0`, { method: 'POST', body: wav });
    assert.equal(response.status, 200);
    const analyzed = (await response.json()) as { results: EmotionMessage[]; summary: unknown };
    assert.deepEqual(analyzed.results, stream.results, 'analyze = stream, hop by hop');
    assert.deepEqual(analyzed.summary, stream.summary);

    // Offline reference: the whole clip through the model at once (smoothing 0 ⇒ the final
    // result is the model's last window, unsmoothed).
    const [{ selectEngine }, { loadModel }, { predictOffline }] = await Promise.all([
      import('../../models/engine.js'),
      import('../../models/io.js'),
      import('../../models/streaming/runner.js'),
    ]);
    await selectEngine();
    const model = await loadModel(await testModelDir());
    try {
      const clip = await readWavMono(FIXTURES.angry);
      // The model's own coefficients, floor and gate (featureOptionsOf), as the server's chain uses them.
      const frames = extractFeatures(clip.samples, { inputRateHz: clip.sampleRateHz, ...featureOptionsOf(model.meta) });
      const voiced = frames.voiced;
      const offline = predictOffline(model, frames.coeffs, voiced);
      const final = stream.final;
      assert.ok(final !== undefined);
      process.stderr.write(`# offline comparison on the ${final.voiced ? 'final' : 'last voiced'} hop\n`);
      if (final.voiced) assertProbsClose(final.probs, offline, server.model.labels, 'stream final vs predictOffline');
      else {
        // The clip ends in a pause long enough that the final hop is unvoiced; compare the
        // last voiced hop's raw distribution instead (smoothing 0, so nothing is carried).
        const lastVoiced = stream.results.filter((r) => r.voiced).at(-1);
        assert.ok(lastVoiced !== undefined);
        const upTo = framesEndingBy((lastVoiced.startMs + 500) * 16, 400, 160);
        const numCoeffs = frames.coeffs.length / frames.count;
        const head = predictOffline(model, frames.coeffs.subarray(0, upTo * numCoeffs), voiced.subarray(0, upTo));
        assertProbsClose(lastVoiced.probs, head, server.model.labels, 'last voiced hop vs predictOffline');
      }
    } finally {
      model.dispose();
    }
  });

  it('resamples other rates and encodings: 8 kHz µ-law and 48 kHz stereo float', async () => {
    const clip = await readWavMono(FIXTURES.neutral);
    const cases: { name: string; rate: number; encoding: 'mulaw' | 'pcm_f32le'; channels: 1 | 2; bytes: Uint8Array }[] = [];
    const up = resampleWhole(clip.samples, 16_000, 48_000);
    const stereo = new Float32Array(up.length * 2);
    up.forEach((v, i) => {
      stereo[2 * i] = v;
      stereo[2 * i + 1] = v;
    });
    cases.push({ name: '48k stereo f32', rate: 48_000, encoding: 'pcm_f32le', channels: 2, bytes: new Uint8Array(stereo.buffer) });
    const down = resampleWhole(clip.samples, 16_000, 8_000);
    cases.push({ name: '8k mulaw', rate: 8_000, encoding: 'mulaw', channels: 1, bytes: encodeMulaw(down) });
    for (const c of cases) {
      const client = new TestClient(server.wsUrl);
      await client.opened;
      client.sendJson({ type: 'start', sampleRate: c.rate, encoding: c.encoding, channels: c.channels, hopMs: 200 });
      await client.waitFor(isReady);
      for (const chunk of randomChunks(c.bytes, 3, 1, 5000)) client.send(chunk);
      client.sendJson({ type: 'end' });
      const summary = await client.waitFor(isSummary);
      const { code } = await client.closed;
      assert.equal(code, 1000, c.name);
      const expectedMs = (clip.samples.length / clip.sampleRateHz) * 1000;
      assert.ok(Math.abs(summary.durationMs - expectedMs) < 5, `${c.name}: duration ${summary.durationMs} ≈ ${expectedMs}`);
      assert.ok(client.results.some((r) => r.voiced), `${c.name}: speech detected`);
      assert.equal(client.results.at(-1)?.final, true);
    }
  });
});
