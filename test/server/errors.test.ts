/**
 * Every protocol error code over a real socket: the error message is sent once with the
 * documented `retryable`, then the socket closes with the code's close code — while a
 * bystander session streams a clip the whole time and finishes with exactly the results it
 * gets alone. Ends with a worker crash (resumed, no error) and recovery, then a drain (`shutting_down`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '../../shared/error_codes.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import {
  FIXTURES,
  assertResultsClose,
  TestClient,
  isEmotion,
  isError,
  isReady,
  isSummary,
  readWavPcm,
  scrapeMetrics,
  startTestServer,
  streamWav,
  type StreamOutcome,
} from '../helpers/server.js';

const KEY = 'test-key-7f3a';
const ORIGIN = 'https://dashboard.example';
const MAX_MESSAGE_BYTES = 16_384;
const START = { type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 } as const;

describe('error codes', () => {
  let server: RunningServer;
  let reference: StreamOutcome;
  let bystander: Promise<StreamOutcome>;

  const connect = async (options: { key?: string | null; origin?: string; query?: string } = {}): Promise<TestClient> => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? KEY : options.key;
    if (key !== null) headers.Authorization = `Bearer ${key}`;
    if (options.origin !== undefined) headers.Origin = options.origin;
    const client = new TestClient(`${server.wsUrl}${options.query ?? ''}`, { headers });
    await client.opened;
    return client;
  };

  const started = async (start: Record<string, unknown> = START): Promise<TestClient> => {
    const client = await connect();
    client.sendJson(start);
    await client.waitFor(isReady);
    return client;
  };

  const expectError = async (client: TestClient, code: ErrorCode): Promise<void> => {
    const error = await client.waitFor(isError);
    assert.equal(error.code, code);
    assert.equal(error.retryable, ERROR_CODES[code].retryable, `${code}: retryable`);
    assert.ok(error.message.length > 0);
    const { code: closeCode } = await client.closed;
    assert.equal(closeCode, ERROR_CODES[code].closeCode, `${code}: close code`);
    assert.equal(client.messages.filter(isError).length, 1, `${code}: exactly one error message`);
  };

  before(async () => {
    server = await startTestServer({
      apiKeys: [KEY],
      allowedOrigins: [ORIGIN],
      maxSessions: 3,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      backlogPolicy: 'reject',
      maxBacklogSeconds: 2,
    });
    const auth = { clientOptions: { headers: { Authorization: `Bearer ${KEY}` } }, seed: 4, maxChunkBytes: 3200 };
    // Paced (this server rejects more than 2 s of unanswered audio).
    reference = await streamWav(server.wsUrl, FIXTURES.angry, { ...auth, chunkDelayMs: 10 });
    assert.equal(reference.closeCode, 1000);
    // Paced (~2.5× real time), so it is live through the tests below.
    bystander = streamWav(server.wsUrl, FIXTURES.angry, { ...auth, chunkDelayMs: 20 });
  });

  after(async () => {
    await server.close();
  });

  it('bad_message: text that is not JSON', async () => {
    const client = await connect();
    client.send('hello');
    await expectError(client, 'bad_message');
  });

  it('bad_message: an unknown message type', async () => {
    const client = await connect();
    client.sendJson({ type: 'pause' });
    await expectError(client, 'bad_message');
  });

  it('bad_message: audio before start', async () => {
    const client = await connect();
    client.send(new Uint8Array(320));
    await expectError(client, 'bad_message');
  });

  it('bad_message: a hop outside its range', async () => {
    const client = await connect();
    client.sendJson({ ...START, hopMs: 10 });
    await expectError(client, 'bad_message');
  });

  it('unsupported_format: encoding, sample rate, channels', async () => {
    for (const start of [
      { ...START, encoding: 'mp3' },
      { ...START, sampleRate: 7_999 },
      { ...START, sampleRate: 96_000 },
      { ...START, channels: 3 },
    ]) {
      const client = await connect();
      client.sendJson(start);
      await expectError(client, 'unsupported_format');
    }
  });

  it('message_too_large: over maxMessageBytes gets the error; far over it a bare 1009', async () => {
    const client = await started();
    client.send(new Uint8Array(MAX_MESSAGE_BYTES + 2));
    await expectError(client, 'message_too_large');
    const huge = await started();
    huge.send(new Uint8Array(MAX_MESSAGE_BYTES * 3));
    const { code } = await huge.closed;
    assert.equal(code, 1009);
  });

  it('bad_audio: NaN in float audio', async () => {
    const client = await started({ ...START, encoding: 'pcm_f32le' });
    const samples = new Float32Array(1600).fill(0.1);
    samples[700] = Number.NaN;
    client.send(new Uint8Array(samples.buffer));
    await expectError(client, 'bad_audio');
  });

  it('rate_limited: audio far faster than the backlog allows (reject policy)', async () => {
    const client = await started();
    // 20 × 0.5 s sent at once against a 2 s backlog.
    for (let i = 0; i < 20; i += 1) client.send(new Uint8Array(16_000));
    await expectError(client, 'rate_limited');
  });

  it('unauthorized: no key, a wrong key; a good key by header or ?token= works', async () => {
    await expectError(await connect({ key: null }), 'unauthorized');
    await expectError(await connect({ key: 'wrong' }), 'unauthorized');
    const byQuery = await connect({ key: null, query: `?token=${KEY}` });
    byQuery.sendJson(START);
    await byQuery.waitFor(isReady);
    byQuery.sendJson({ type: 'end' });
    await byQuery.waitFor(isSummary);
    assert.equal((await byQuery.closed).code, 1000);
  });

  it('unauthorized over HTTP: POST /v1/analyze needs the key too; probes do not', async () => {
    const body = new Uint8Array(3200);
    const query = '?sampleRate=16000&encoding=pcm_s16le&channels=1';
    const denied = await fetch(`${server.url}/v1/analyze${query}`, { method: 'POST', body });
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { code: string }).code, 'unauthorized');
    const allowed = await fetch(`${server.url}/v1/analyze${query}&token=${KEY}`, { method: 'POST', body });
    assert.equal(allowed.status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });

  it('forbidden_origin: an Origin not in the list; a listed one works', async () => {
    await expectError(await connect({ origin: 'https://evil.example' }), 'forbidden_origin');
    const ok = await connect({ origin: ORIGIN });
    ok.sendJson(START);
    await ok.waitFor(isReady);
    ok.ws.close(1000);
    await ok.closed;
  });

  it('too_many_sessions: past maxSessions, with close 1013', async () => {
    // Fill the server (the bystander may or may not still hold a slot), then one more.
    const holders: TestClient[] = [];
    let refused: TestClient | null = null;
    for (let i = 0; i <= server.config.maxSessions && refused === null; i += 1) {
      const client = await connect();
      client.sendJson(START);
      const first = await client.waitFor((m): m is ServerMessage => m.type === 'ready' || m.type === 'error');
      if (first.type === 'ready') holders.push(client);
      else refused = client;
    }
    assert.ok(refused !== null, 'a connection past maxSessions is refused');
    await expectError(refused, 'too_many_sessions');
    assert.ok(holders.length <= server.config.maxSessions);
    for (const h of holders) h.ws.close(1000);
    await Promise.all(holders.map((h) => h.closed));
  });

  it('the bystander session was unaffected by all of the above', async () => {
    const out = await bystander;
    assert.deepEqual(out.errors, []);
    assert.equal(out.closeCode, 1000);
    // It shared model calls with the other sessions: equal up to float rounding.
    assertResultsClose(out.results, reference.results, 'bystander');
    const metrics = await scrapeMetrics(server);
    for (const code of ['bad_message', 'unsupported_format', 'message_too_large', 'bad_audio', 'rate_limited', 'unauthorized', 'forbidden_origin', 'too_many_sessions']) {
      assert.ok((metrics.get(`ser_errors_total{code="${code}"}`) ?? 0) >= 1, `ser_errors_total counts ${code}`);
    }
  });

  it('a crashed inference worker is no error: its session resumes (worker_restarted), then the server recovers', async () => {
    // `internal` after a crash only when no worker can take the stream (worker_crash.test.ts).
    const victim = await started();
    victim.send(new Uint8Array(8000));
    await server.crashInferenceWorker(0);
    await victim.waitFor((m): m is ServerMessage => m.type === 'notice');
    victim.send(new Uint8Array(8000));
    victim.sendJson({ type: 'end' });
    await victim.waitFor(isSummary);
    assert.equal((await victim.closed).code, 1000);
    assert.deepEqual(victim.messages.filter(isError), []);
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_worker_restarts_total'), 1);
    const after = await streamWav(server.wsUrl, FIXTURES.angry, {
      clientOptions: { headers: { Authorization: `Bearer ${KEY}` } },
      seed: 4,
      maxChunkBytes: 3200,
      chunkDelayMs: 10,
    });
    assert.equal(after.closeCode, 1000);
    assert.deepEqual(after.results, reference.results, 'the restarted worker gives the same results');
  });

  it('shutting_down: a connection during a drain gets 1001', async () => {
    const pcm = await readWavPcm(FIXTURES.neutral);
    const live = await started();
    live.send(pcm.data.subarray(0, 16_000));
    await live.waitFor(isEmotion);
    const draining = server.drain();
    const late = await connect();
    await expectError(late, 'shutting_down');
    await draining;
    const { code } = await live.closed;
    assert.equal(code, 1001, 'live sessions close with 1001 after their summary');
    assert.ok(live.messages.some(isSummary));
  });
});
