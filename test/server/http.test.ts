/**
 * The HTTP endpoints: /healthz, /readyz, /, POST /v1/analyze (WAV and raw PCM, and its
 * errors), and /metrics with every named series holding sane values after real traffic.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { EmotionMessage, SummaryMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import { FIXTURES, readWavPcm, scrapeMetrics, startTestServer, streamWav } from '../helpers/server.js';

interface AnalyzeBody {
  model: { id: string; labels: string[] };
  sampleRate: number;
  hopMs: number;
  smoothing: number;
  results: EmotionMessage[];
  summary: SummaryMessage;
}

/** A 16 kHz WAV file around `data` (interleaved, little-endian): integer PCM, or float with formatTag 3. */
function wavFile(data: Uint8Array, channels: number, bits: number, formatTag = 1): Uint8Array {
  const out = new Uint8Array(44 + data.length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => [...text].forEach((ch, i) => view.setUint8(at + i, ch.charCodeAt(0)));
  const blockAlign = (channels * bits) / 8;
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + data.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, formatTag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 16_000 * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bits, true);
  ascii(36, 'data');
  view.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

describe('HTTP endpoints', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ maxAnalyzeBytes: 200_000, staticDir: '/nonexistent-static-dir' });
  });
  after(async () => {
    await server.close();
  });

  it('/healthz and /readyz', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; model: { id: string }; engine: string; capacityLeft: number };
    assert.equal(body.status, 'ready');
    assert.equal(body.model.id, server.model.id);
    assert.ok(['wasm', 'cpu', 'tfjs-node', 'webgpu', 'tfjs-node-gpu'].includes(body.engine));
    assert.equal(body.capacityLeft, server.config.maxSessions);
  });

  it('GET / answers with a plain message when the browser client is not built', async () => {
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /browser client/);
  });

  it('POST /v1/analyze: a WAV file gives the timeline and the summary', async () => {
    const wav = await readFile(FIXTURES.happy);
    const response = await fetch(`${server.url}/v1/analyze?hopMs=500`, { method: 'POST', body: wav, headers: { 'Content-Type': 'audio/wav' } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as AnalyzeBody;
    assert.equal(body.sampleRate, 16_000);
    assert.equal(body.hopMs, 500);
    assert.deepEqual(body.model, server.model);
    assert.ok(body.results.length >= 7);
    body.results.forEach((r, i) => assert.equal(r.seq, i));
    assert.equal(body.results.at(-1)?.final, true);
    assert.equal(body.summary.type, 'summary');
    assert.ok(body.summary.voicedMs > 0);
  });

  it('POST /v1/analyze: raw PCM with the start parameters in the query equals the WAV answer', async () => {
    const pcm = await readWavPcm(FIXTURES.happy);
    const raw = await fetch(`${server.url}/v1/analyze?sampleRate=16000&encoding=pcm_s16le&channels=1&hopMs=500`, {
      method: 'POST',
      body: Buffer.from(pcm.data),
    });
    assert.equal(raw.status, 200);
    const wav = await fetch(`${server.url}/v1/analyze?hopMs=500`, { method: 'POST', body: await readFile(FIXTURES.happy) });
    const a = (await raw.json()) as AnalyzeBody;
    const b = (await wav.json()) as AnalyzeBody;
    assert.deepEqual(a.results, b.results);
    assert.deepEqual(a.summary, b.summary);
  });

  it('POST /v1/analyze: a stereo 16-bit WAV (decoded in the worker) equals its samples sent raw; a 24-bit WAV (decoded here) answers too', async () => {
    const left = (await readWavPcm(FIXTURES.happy)).data;
    const right = (await readWavPcm(FIXTURES.angry)).data;
    const frames = Math.min(left.length, right.length, 2 * 32_000) / 2; // 2 s: under the test server's maxAnalyzeBytes
    const stereo = new Uint8Array(frames * 4);
    for (let i = 0; i < frames; i++) {
      stereo.set(left.subarray(2 * i, 2 * i + 2), 4 * i);
      stereo.set(right.subarray(2 * i, 2 * i + 2), 4 * i + 2);
    }
    const asWav = await fetch(`${server.url}/v1/analyze?hopMs=500`, { method: 'POST', body: Buffer.from(wavFile(stereo, 2, 16)) });
    const asRaw = await fetch(`${server.url}/v1/analyze?sampleRate=16000&encoding=pcm_s16le&channels=2&hopMs=500`, { method: 'POST', body: Buffer.from(stereo) });
    assert.equal(asWav.status, 200);
    assert.equal(asRaw.status, 200);
    const a = (await asWav.json()) as AnalyzeBody;
    const b = (await asRaw.json()) as AnalyzeBody;
    assert.deepEqual(a.results, b.results);
    assert.deepEqual(a.summary, b.summary);
    // The same mono clip as 24-bit samples: an encoding only files use, decoded on the main thread.
    const pcm24 = new Uint8Array((left.length / 2) * 3);
    for (let i = 0; i < left.length / 2; i++) pcm24.set([0, left[2 * i]!, left[2 * i + 1]!], 3 * i);
    const deep = await fetch(`${server.url}/v1/analyze?hopMs=500`, { method: 'POST', body: Buffer.from(wavFile(pcm24, 1, 24)) });
    assert.equal(deep.status, 200);
    const c = (await deep.json()) as AnalyzeBody;
    assert.equal(c.results.at(-1)?.final, true);
    assert.ok(c.summary.voicedMs > 0);
    // The stereo pair as 24-bit samples, channels analysed separately: decoded slice by slice here.
    const stereo24 = new Uint8Array(frames * 6);
    for (let i = 0; i < frames * 2; i++) stereo24.set([0, stereo[2 * i]!, stereo[2 * i + 1]!], 3 * i);
    const split = await fetch(`${server.url}/v1/analyze?hopMs=500&channelMode=separate`, { method: 'POST', body: Buffer.from(wavFile(stereo24, 2, 24)) });
    assert.equal(split.status, 200);
    const d = (await split.json()) as AnalyzeBody & { summary: { channels?: unknown[] } };
    for (const channel of [0, 1]) assert.ok(d.results.some((r) => r.channel === channel && r.final), `channel ${channel} has its final result`);
    assert.equal(d.summary.channels?.length, 2);
    // A float64 WAV with a non-finite sample half-way: found as its slice is decoded, still bad_audio.
    const f64 = new Float64Array(16_000).fill(0.01);
    f64[8_000] = Number.POSITIVE_INFINITY;
    const bad = await fetch(`${server.url}/v1/analyze`, { method: 'POST', body: Buffer.from(wavFile(new Uint8Array(f64.buffer), 1, 64, 3)) });
    assert.equal(bad.status, 422);
    assert.equal(((await bad.json()) as { code: string }).code, 'bad_audio');
  });

  it('POST /v1/analyze errors: empty, unknown format, too large, bad audio', async () => {
    const cases: { query: string; body: Uint8Array; status: number; code: string }[] = [
      { query: '', body: new Uint8Array(0), status: 400, code: 'bad_message' },
      { query: '', body: new Uint8Array(1000), status: 400, code: 'bad_message' },
      { query: '?sampleRate=16000&encoding=opus', body: new Uint8Array(1000), status: 415, code: 'unsupported_format' },
      { query: '?sampleRate=16000&encoding=pcm_s16le', body: new Uint8Array(300_000), status: 413, code: 'message_too_large' },
      {
        query: '?sampleRate=16000&encoding=pcm_f32le',
        body: new Uint8Array(new Float32Array([0.1, Number.POSITIVE_INFINITY, 0.2, 0.1]).buffer),
        status: 422,
        code: 'bad_audio',
      },
    ];
    for (const c of cases) {
      const response = await fetch(`${server.url}/v1/analyze${c.query}`, { method: 'POST', body: Buffer.from(c.body) });
      assert.equal(response.status, c.status, `${c.code} status`);
      const body = (await response.json()) as { type: string; code: string; retryable: boolean };
      assert.equal(body.type, 'error');
      assert.equal(body.code, c.code);
    }
  });

  it('/metrics exposes the named series with sane values after traffic', async () => {
    const out = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 8 });
    assert.equal(out.closeCode, 1000);
    const m = await scrapeMetrics(server);
    const get = (name: string): number => {
      const value = m.get(name);
      assert.ok(value !== undefined, `${name} is exported`);
      return value;
    };
    assert.equal(get('ser_sessions_active'), 0);
    assert.ok(get('ser_sessions_total{outcome="completed"}') >= 1 + 7, 'the stream and the analyses completed');
    const clip = await readWavPcm(FIXTURES.angry);
    assert.ok(get('ser_audio_received_seconds_total') >= clip.data.length / 32_000);
    assert.ok(get('ser_audio_received_bytes_total') >= clip.data.length);
    assert.ok(get('ser_results_sent_total') >= out.results.length);
    assert.ok(get('ser_result_latency_seconds_count') >= out.results.length);
    const latencyMean = get('ser_result_latency_seconds_sum') / get('ser_result_latency_seconds_count');
    assert.ok(latencyMean >= 0 && latencyMean < 10, `mean latency ${latencyMean} s`);
    // The seven analyses above that completed (failed ones are not timed).
    assert.equal(get('ser_analyze_duration_seconds_count'), 7);
    assert.ok(get('ser_analyze_duration_seconds_sum') > 0);
    assert.ok(get('ser_inference_batch_size_count') >= 1 && get('ser_inference_batch_size_sum') >= get('ser_inference_batch_size_count'));
    assert.ok(get('ser_inference_duration_seconds_count') >= 1 && get('ser_inference_duration_seconds_sum') > 0);
    assert.ok(get('ser_feature_extraction_seconds_count') >= 1);
    const rtf = get('ser_real_time_factor');
    assert.ok(rtf > 0 && rtf < 5, `real-time factor ${rtf}`);
    assert.ok(get('ser_errors_total{code="bad_audio"}') >= 1);
    assert.equal(get('ser_backlog_bytes'), 0);
    assert.ok(get('ser_event_loop_lag_seconds_count') > 0);
    assert.ok(get('ser_model_tensors') > 0);
    assert.ok(get('ser_worker_memory_bytes{worker="0",kind="heap_used"}') > 0, 'worker 0 reports its V8 heap');
    assert.ok(get('ser_worker_memory_bytes{worker="0",kind="external"}') >= 0, 'worker 0 reports its external memory');
    assert.ok(get('ser_worker_memory_bytes{worker="0",kind="wasm"}') >= 2 ** 24, 'worker 0 reports its wasm memory (at least 16 MiB on wasm)');
    assert.equal(get(`ser_model_info{model_id="${server.model.id}",engine="${(await (await fetch(`${server.url}/readyz`)).json() as { engine: string }).engine}",mode="streaming"}`), 1);
    // Default process metrics are there too.
    assert.ok(get('process_cpu_user_seconds_total') > 0);
    assert.ok(get('nodejs_eventloop_lag_p99_seconds') >= 0);
  });
});
