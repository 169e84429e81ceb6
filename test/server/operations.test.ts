/**
 * Operational behaviour: backpressure by pausing the socket (a file far faster than real
 * time is fully processed, nothing dropped, the pauses counted), the heartbeat dropping a
 * peer that stops answering pings, the start timeout, and the naive baseline mode speaking
 * the same protocol.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import {
  FIXTURES,
  TestClient,
  isError,
  isReady,
  isSummary,
  readWavPcm,
  scrapeMetrics,
  startTestServer,
  streamWav,
} from '../helpers/server.js';

describe('operations', () => {
  let server: RunningServer;
  let staticDir: string;
  before(async () => {
    staticDir = await mkdtemp(join(tmpdir(), 'ser-static-'));
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>ser test page</title>');
    server = await startTestServer({ maxBacklogSeconds: 1, backlogPolicy: 'pause', heartbeatMs: 200, startTimeoutMs: 500, staticDir });
  });
  after(async () => {
    await server.close();
    await rm(staticDir, { recursive: true, force: true });
  });

  it('GET / serves the browser client when it is built', async () => {
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /ser test page/);
  });

  it('backpressure: 40 s of audio sent at once against a 1 s backlog is paused, not dropped', async () => {
    const pcm = await readWavPcm(FIXTURES.happy);
    const repeats = Math.ceil((40 * 32_000) / pcm.data.length);
    const client = new TestClient(server.wsUrl);
    await client.opened;
    client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1, hopMs: 500 });
    await client.waitFor(isReady);
    let sentBytes = 0;
    for (let r = 0; r < repeats; r += 1) {
      for (let offset = 0; offset < pcm.data.length; offset += 32_000) {
        const chunk = pcm.data.subarray(offset, offset + 32_000);
        client.send(chunk);
        sentBytes += chunk.length;
      }
    }
    client.sendJson({ type: 'end' });
    const summary = await client.waitFor(isSummary, 120_000);
    const { code } = await client.closed;
    assert.equal(code, 1000);
    assert.deepEqual(client.messages.filter(isError), []);
    assert.ok(Math.abs(summary.durationMs - sentBytes / 32) < 1, `every byte processed: ${summary.durationMs} ms of ${sentBytes / 32}`);
    // Every full hop of 500 ms plus the final one.
    assert.equal(client.results.length, Math.floor(sentBytes / 32 / 500) + 1);
    client.results.forEach((r, i) => assert.equal(r.seq, i));
    const metrics = await scrapeMetrics(server);
    assert.ok((metrics.get('ser_backlog_pauses_total') ?? 0) >= 1, 'reading was paused at least once');
    assert.equal(metrics.get('ser_sessions_paused'), 0);
    assert.equal(metrics.get('ser_backlog_bytes'), 0);
  });

  it('heartbeat: a peer that stops answering pings is dropped', async () => {
    const client = new TestClient(server.wsUrl, { autoPong: false });
    await client.opened;
    client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 });
    await client.waitFor(isReady);
    const started = Date.now();
    const { code } = await client.closed;
    assert.equal(code, 1006, 'terminated without a close frame');
    assert.ok(Date.now() - started < 2_000);
    const metrics = await scrapeMetrics(server);
    assert.ok((metrics.get('ser_sessions_total{outcome="client_closed"}') ?? 0) >= 1);
  });

  it('a healthy idle peer survives several heartbeats', async () => {
    const client = new TestClient(server.wsUrl);
    await client.opened;
    client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 });
    await client.waitFor(isReady);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(client.closeCode, null);
    client.sendJson({ type: 'end' });
    await client.waitFor(isSummary);
    assert.equal((await client.closed).code, 1000);
  });

  it('start timeout: a connection that never sends start gets bad_message', async () => {
    const client = new TestClient(server.wsUrl);
    await client.opened;
    const error = await client.waitFor(isError, 5_000);
    assert.equal(error.code, 'bad_message');
    assert.equal((await client.closed).code, 1008);
  });
});

describe('start-up', () => {
  it('fails with a clear error when the model cannot be loaded', async () => {
    await assert.rejects(startTestServer({ modelDir: '/nonexistent/model' }), /could not load the model/);
  });
});

describe('naive baseline mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ mode: 'naive' });
  });
  after(async () => {
    await server.close();
  });

  it('speaks the same protocol, one model call per session per hop', async () => {
    const out = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 3 });
    assert.deepEqual(out.errors, []);
    assert.equal(out.closeCode, 1000);
    assert.equal(out.results.at(-1)?.final, true);
    assert.ok(out.results.some((r) => r.voiced));
    out.results.forEach((r, i) => {
      assert.equal(r.seq, i);
      const sum = Object.values(r.probs).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4);
    });
    assert.ok(out.summary !== undefined);
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_inference_batch_size_sum'), metrics.get('ser_inference_batch_size_count'), 'batch size is always 1');
    const readyz = (await (await fetch(`${server.url}/readyz`)).json()) as { engine: string; mode: string };
    assert.equal(readyz.mode, 'naive');
    assert.equal(metrics.get(`ser_model_info{model_id="${server.model.id}",engine="${readyz.engine}",mode="naive"}`), 1);
  });
});
