/**
 * `POST /v1/analyze` against careless and hostile uploaders, over raw HTTP requests that
 * declare a large body and send only its first bytes: an answer that arrives while the
 * body is still incomplete proves the server decided without reading it. Also: the cap on
 * concurrent uploads, an analysis stopped (slot and stream freed) when its client goes
 * away, the security headers, and /metrics behind the key when asked.
 */
import assert from 'node:assert/strict';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { parsePrometheus, scrapeMetrics, startTestServer, until as untilWithin } from '../helpers/server.js';

/** Uploads settle fast: give up on a wait after 20 s. */
const until = (what: string, condition: () => Promise<boolean>): Promise<void> => untilWithin(what, condition, 20_000);

const KEY = 'upload-key-51c';
const MAX_ANALYZE_BYTES = 4 * 1024 * 1024;
const RAW_QUERY = '?sampleRate=16000&encoding=pcm_s16le&channels=1';

interface Partial {
  req: ClientRequest;
  response: Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }>;
}

/** Starts a POST declaring `declaredBytes` and sends only `sentBytes` of it (the rest never comes unless `finish`). */
function partialUpload(server: RunningServer, path: string, declaredBytes: number, sentBytes: number, key: string | null = KEY): Partial {
  const headers: Record<string, string | number> = { 'Content-Length': declaredBytes, 'Content-Type': 'application/octet-stream' };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  const req = request(`${server.url}${path}`, { method: 'POST', headers });
  const response = new Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // Errors after the answer (the server closing the half-sent upload) are expected.
  response.catch(() => undefined);
  req.write(Buffer.alloc(sentBytes));
  return { req, response };
}

const code = (body: string): string => (JSON.parse(body) as { code: string }).code;


describe('uploads that cannot hurt', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({
      apiKeys: [KEY],
      maxAnalyzeBytes: MAX_ANALYZE_BYTES,
      maxConcurrentAnalyses: 1,
      maxSessions: 4,
      // Paced to real time, so an analysis of 20 s of audio is still running when its client leaves.
      maxRealTimeMultiple: 1,
      metricsRequireKey: true,
      staticDir: '/nonexistent-static-dir',
    });
  });
  after(async () => {
    await server.close();
  });

  const metrics = async (): Promise<Map<string, number>> => {
    const response = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } });
    return parsePrometheus(await response.text());
  };

  it('no key: 401 before the body is read', async () => {
    const upload = partialUpload(server, `/v1/analyze${RAW_QUERY}`, MAX_ANALYZE_BYTES - 1, 1024, null);
    const { status, body, headers } = await upload.response;
    assert.equal(status, 401);
    assert.equal(code(body), 'unauthorized');
    assert.equal(headers.connection, 'close');
    upload.req.destroy();
  });

  it('a declared size over maxAnalyzeBytes: 413 before the body is read', async () => {
    const upload = partialUpload(server, `/v1/analyze${RAW_QUERY}`, 60 * 1024 * 1024, 1024);
    const { status, body } = await upload.response;
    assert.equal(status, 413);
    assert.equal(code(body), 'message_too_large');
    upload.req.destroy();
  });

  it('concurrent uploads are capped before their bodies are read; the slot frees when the uploader leaves', async () => {
    const holder = partialUpload(server, `/v1/analyze${RAW_QUERY}`, MAX_ANALYZE_BYTES - 1, 1024);
    await until('the upload to be admitted', async () => (await metrics()).get('ser_analyze_in_flight') === 1);
    const refused = partialUpload(server, `/v1/analyze${RAW_QUERY}`, MAX_ANALYZE_BYTES - 1, 1024);
    const { status, body } = await refused.response;
    assert.equal(status, 503);
    assert.equal(code(body), 'too_many_sessions');
    refused.req.destroy();
    holder.req.destroy();
    await until('the upload slot to free', async () => (await metrics()).get('ser_analyze_in_flight') === 0);
    const readyz = (await (await fetch(`${server.url}/readyz`)).json()) as { capacityLeft: number };
    assert.equal(readyz.capacityLeft, server.config.maxSessions);
    const ok = await fetch(`${server.url}/v1/analyze${RAW_QUERY}`, { method: 'POST', body: new Uint8Array(6_400), headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(ok.status, 200);
  });

  it('an analysis whose client goes away stops within a slice and frees its slot and stream', async () => {
    // The body is read as the analysis takes it (not buffered ahead), so the server sees a client
    // go when it reads the close: a graceful one (FIN) after the bytes sent before it, an abortive
    // one (RST: a crashed client, a reset connection) at its next read of the socket.
    const seconds = 20;
    const before = await metrics();
    const leaves = async (upload: Partial, leave: () => void): Promise<void> => {
      await until('the analysis to run', async () => (await metrics()).get('ser_sessions_active') === 1);
      const abortedAt = performance.now();
      leave();
      await until('the analysis to stop', async () => {
        const m = await metrics();
        return m.get('ser_sessions_active') === 0 && m.get('ser_analyze_in_flight') === 0;
      });
      // Paced to real time, the analysis had ≥ 17 s of audio left; it stopped long before.
      assert.ok(performance.now() - abortedAt < (seconds / 2) * 1000, 'stopped without finishing its audio');
      await upload.response.catch(() => undefined);
    };
    // Gone mid-upload: 3 s of the declared 20 s sent, then a graceful close.
    const graceful = partialUpload(server, `/v1/analyze${RAW_QUERY}`, seconds * 32_000, 3 * 32_000);
    await leaves(graceful, () => graceful.req.destroy());
    // Gone after handing TCP the whole body, abortively.
    const abrupt = partialUpload(server, `/v1/analyze${RAW_QUERY}`, seconds * 32_000, seconds * 32_000);
    abrupt.req.end();
    await leaves(abrupt, () => abrupt.req.socket?.resetAndDestroy());
    // Counted from here: the upload that held the slot in the test before also left mid-analysis.
    const m = await metrics();
    const more = (name: string): number => (m.get(name) ?? 0) - (before.get(name) ?? 0);
    assert.equal(more('ser_sessions_total{outcome="client_closed"}'), 2, 'both analyses counted as client_closed');
    assert.equal(more('ser_analyze_requests_total{status="499"}'), 2, 'both requests counted as 499');
    await until('the worker to drop the stream', async () => (await server.modelStats()).sessions === 0);
  });

  it('security headers on the page and the API; /metrics needs the key when asked', async () => {
    for (const path of ['/', '/readyz']) {
      const response = await fetch(`${server.url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    }
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.ok((await metrics()).has('ser_sessions_active'));
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'probes stay open');
    // scrapeMetrics (no key) is refused on this server.
    await assert.rejects(async () => {
      const m = await scrapeMetrics(server);
      if (!m.has('ser_sessions_active')) throw new Error('no metrics without the key');
    });
  });
});
