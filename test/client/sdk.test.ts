/**
 * SDK against the real server (ephemeral port, real model runtime, real WAV fixtures):
 * Observable and async-iterator delivery, every WAV encoding/rate through `fromWav`,
 * real-time pacing, typed errors (protocol codes and transport), and auto-reconnect.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { firstValueFrom, filter, toArray } from 'rxjs';
import type { RunningServer } from '../../server/app.js';
import type { ReadyMessage, SummaryMessage } from '../../shared/protocol.js';
import {
  ClientStateError,
  ConnectionError,
  EmotionServerError,
  createNodeClient,
  fromWav,
  streamAudio,
  streamWavFile,
  type EmotionResult,
  type ReconnectedEvent,
  type StreamEvent,
} from '../../client/sdk/node.js';
import { FIXTURES, readWavMono, startTestServer } from '../helpers/server.js';
import { encodeWav, resample, type VariantEncoding } from './wav_variants.js';

/** A port nothing listens on: bound then released by a throwaway server. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function assertDistribution(result: EmotionResult, labels: string[]): void {
  assert.deepEqual(Object.keys(result.probs).sort(), [...labels].sort());
  const sum = Object.values(result.probs).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `probs sum to ${sum}`);
  assert.ok(labels.includes(result.top));
}

describe('EmotionStreamClient against the real server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('delivers typed results through the Observable and the async iterator', async () => {
    const client = createNodeClient({ url: server.wsUrl });
    const viaObservable = firstValueFrom(client.results$.pipe(toArray()));
    const iterated: StreamEvent[] = [];
    const viaIterator = (async () => {
      for await (const ev of client) iterated.push(ev);
    })();
    const summary = await streamWavFile(client, FIXTURES.angry, { pace: 'fast' });
    const results = await viaObservable;
    await viaIterator;

    const ready = iterated[0] as ReadyMessage;
    assert.equal(ready.type, 'ready');
    assert.deepEqual(ready.model.labels, server.model.labels);
    assert.equal(iterated.at(-1)?.type, 'summary');
    assert.deepEqual(iterated.filter((e) => e.type === 'emotion'), results);
    assert.ok(results.length >= 10, `expected ≥ 10 results for a 4 s clip, got ${results.length}`);
    results.forEach((r, i) => {
      assert.equal(r.seq, i);
      assertDistribution(r, ready.model.labels);
      assert.ok(r.latencyMs === null || r.latencyMs >= 0);
    });
    assert.ok(results.some((r) => r.latencyMs !== null), 'latency measured');
    assert.equal(results.at(-1)?.final, true);
    assert.ok(ready.model.labels.includes(summary.dominant));
    assert.equal(client.state, 'closed');
  });

  test('streams WAVs of every supported encoding, channel count and rate', async () => {
    const { sampleRateHz, samples } = await readWavMono(FIXTURES.happy);
    const variants: [VariantEncoding, number, number][] = [
      ['mulaw', 8000, 1],
      ['pcm_s16le', 44100, 2],
      ['pcm_s24le', 22050, 1],
      ['pcm_u8', 16000, 1],
      ['pcm_f32le', 48000, 2],
      ['pcm_f64le', 96000, 1],
    ];
    const expectedMs = (samples.length / sampleRateHz) * 1000;
    for (const [encoding, rateHz, channels] of variants) {
      const wav = encodeWav(resample(samples, sampleRateHz, rateHz), rateHz, encoding, channels);
      const source = fromWav(wav);
      const client = createNodeClient({ url: server.wsUrl });
      const summary = await streamAudio(client, source, { pace: 'fast' });
      const what = `${encoding} ${rateHz} Hz ×${channels} (sent as ${source.encoding} ${source.sampleRate} Hz)`;
      assert.ok(Math.abs(summary.durationMs - expectedMs) < 30, `${what}: duration ${summary.durationMs} ms, expected ${expectedMs}`);
      assert.ok(summary.voicedMs > 0, `${what}: some speech detected`);
    }
  });

  test('real-time pacing gives the same results as fast pacing', async () => {
    const run = async (pace: 'fast' | 'realtime'): Promise<EmotionResult[]> => {
      const client = createNodeClient({ url: server.wsUrl });
      const results = firstValueFrom(client.results$.pipe(toArray()));
      await streamWavFile(client, FIXTURES.neutral, { pace, speed: 8 });
      return results;
    };
    const fast = await run('fast');
    const paced = await run('realtime');
    assert.equal(paced.length, fast.length);
    assert.deepEqual(
      paced.map((r) => [r.voiced, r.endMs]),
      fast.map((r) => [r.voiced, r.endMs]),
    );
    // Same audio, same hops: the same distributions, up to float noise of differently batched model calls.
    paced.forEach((r, i) => {
      for (const [label, p] of Object.entries(r.probs)) {
        const q = fast[i]?.probs[label] ?? NaN;
        assert.ok(Math.abs(p - q) < 1e-3, `result ${i} ${label}: ${p} vs ${q}`);
      }
    });
  });

  test('a refused format surfaces as EmotionServerError with the protocol code', async () => {
    const client = createNodeClient({ url: server.wsUrl });
    const failure = firstValueFrom(client.events$).catch((e: unknown) => e);
    await client.connect();
    await assert.rejects(client.start({ sampleRate: 4000, encoding: 'pcm_s16le', channels: 1 }), (err: unknown) => {
      assert.ok(err instanceof EmotionServerError);
      assert.equal(err.code, 'unsupported_format');
      assert.equal(err.retryable, false);
      return true;
    });
    assert.ok((await failure) instanceof EmotionServerError, 'events$ errors too');
    assert.equal(client.state, 'failed');
    assert.throws(() => client.send(new Uint8Array(2)), EmotionServerError);
  });

  test('an unreachable server is a retryable ConnectionError; misuse is a ClientStateError', async () => {
    const client = createNodeClient({ url: `ws://127.0.0.1:${await closedPort()}/v1/stream` });
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.code, 'connection_failed');
      assert.equal(err.retryable, true);
      return true;
    });
    const idle = createNodeClient({ url: server.wsUrl });
    assert.throws(() => idle.send(new Uint8Array(2)), ClientStateError);
    await assert.rejects(idle.end(), ClientStateError);

    const closedEarly = createNodeClient({ url: server.wsUrl });
    const connecting = closedEarly.connect();
    closedEarly.close();
    await assert.rejects(connecting, ClientStateError, 'close() settles a pending connect()');
  });

  test('aborting streamAudio closes the client and rejects with the reason', async () => {
    const client = createNodeClient({ url: server.wsUrl });
    const abort = new AbortController();
    client.results$.subscribe(() => abort.abort(new Error('enough')));
    const source = fromWav(new Uint8Array(await readFile(FIXTURES.neutral)));
    await assert.rejects(streamAudio(client, source, { pace: 'realtime', speed: 4, signal: abort.signal }), /enough/);
    assert.equal(client.state, 'closed');
  });
});

describe('authentication', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ apiKeys: ['s3cret'] });
  });
  after(async () => {
    await server.close();
  });

  test('without a token: unauthorized, not retryable; with it: a session', async () => {
    const denied = createNodeClient({ url: server.wsUrl });
    await assert.rejects(streamWavFile(denied, FIXTURES.neutral, { pace: 'fast' }), (err: unknown) => {
      assert.ok(err instanceof EmotionServerError);
      assert.equal(err.code, 'unauthorized');
      assert.equal(err.retryable, false);
      return true;
    });
    const allowed = createNodeClient({ url: server.wsUrl, token: 's3cret' });
    const summary: SummaryMessage = await streamWavFile(allowed, FIXTURES.neutral, { pace: 'fast' });
    assert.equal(summary.type, 'summary');
  });
});

describe('auto-reconnect', () => {
  test('end() while the session is being replaced waits for the new session and ends it cleanly', async () => {
    let server = await startTestServer();
    const { port } = server;
    const client = createNodeClient({ url: server.wsUrl, reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxAttempts: 40 } });
    const source = fromWav(new Uint8Array(await readFile(FIXTURES.happy)));
    try {
      await client.connect();
      await client.start({ sampleRate: source.sampleRate, encoding: source.encoding, channels: source.channels });
      const firstResult = firstValueFrom(client.results$);
      client.send(source.data.subarray(0, source.data.length / 2));
      await firstResult;
      const reconnecting = firstValueFrom(client.events$.pipe(filter((e) => e.type === 'reconnecting')));
      await server.close();
      await reconnecting;
      assert.equal(client.state, 'reconnecting');
      const ended = client.end();
      server = await startTestServer({ port });
      const summary = await ended;
      assert.equal(summary.type, 'summary');
      assert.equal(summary.durationMs, 0, 'the new session had no audio');
      assert.equal(await firstValueFrom(client.state$.pipe(filter((s) => s === 'closed' || s === 'failed'))), 'closed');
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a drain racing the end: end() called as the unasked summary arrives resolves with it; after it, audio counts as dropped', async () => {
    const server = await startTestServer();
    const source = fromWav(new Uint8Array(await readFile(FIXTURES.happy)));
    const drained = createNodeClient({ url: server.wsUrl, reconnect: { initialDelayMs: 100, maxDelayMs: 200, maxAttempts: 2 } });
    const late = createNodeClient({ url: server.wsUrl, reconnect: { initialDelayMs: 100, maxDelayMs: 200, maxAttempts: 2 } });
    try {
      const both = [drained, late];
      for (const client of both) {
        await client.connect();
        await client.start({ sampleRate: source.sampleRate, encoding: source.encoding, channels: source.channels });
      }
      const results = both.map((client) => firstValueFrom(client.results$));
      for (const client of both) client.send(source.data.subarray(0, source.data.length / 2));
      await Promise.all(results);
      // The call hangs up in the same tick as the drain's summary arrives (before the close).
      const ended = new Promise<Promise<SummaryMessage>>((resolve) => {
        drained.events$.subscribe({ next: (e) => e.type === 'summary' && resolve(drained.end()), error: () => undefined });
      });
      // Another sends one more chunk just after it: the session is gone, so the chunk is reported as dropped.
      const afterSummary = new Promise<{ state: string; sent: boolean }>((resolve) => {
        late.events$.subscribe({
          next: (e) => e.type === 'summary' && queueMicrotask(() => resolve({ state: late.state, sent: late.send(new Uint8Array(320)) })),
          error: () => undefined,
        });
      });
      const draining = server.drain();
      const summary = await (await ended);
      assert.equal(summary.type, 'summary');
      assert.ok(summary.durationMs > 0, 'the summary covers the audio sent');
      assert.equal(await firstValueFrom(drained.state$.pipe(filter((s) => s === 'closed' || s === 'failed'))), 'closed');
      assert.deepEqual(await afterSummary, { state: 'reconnecting', sent: false });
      await draining;
    } finally {
      drained.close();
      late.close();
      await server.close();
    }
  });

  test('a server restart mid-stream yields a new session, reported as such', async () => {
    let server = await startTestServer();
    const { port } = server;
    const client = createNodeClient({ url: server.wsUrl, reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxAttempts: 40 } });
    const events: StreamEvent[] = [];
    client.events$.subscribe({ next: (e) => events.push(e) });
    const source = fromWav(new Uint8Array(await readFile(FIXTURES.happy)));
    try {
      await client.connect();
      const first = await client.start({ sampleRate: source.sampleRate, encoding: source.encoding, channels: source.channels });
      const firstResult = firstValueFrom(client.results$);
      client.send(source.data.subarray(0, source.data.length / 2));
      await firstResult;

      const reconnecting = firstValueFrom(client.events$.pipe(filter((e) => e.type === 'reconnecting')));
      await server.close(); // live sessions get shutting_down (retryable)
      await reconnecting;
      assert.equal(client.state, 'reconnecting');
      assert.equal(client.send(new Uint8Array(320)), false, 'audio sent while disconnected is reported as dropped');

      const reconnected = firstValueFrom(client.events$.pipe(filter((e): e is ReconnectedEvent => e.type === 'reconnected')));
      server = await startTestServer({ port });
      const ev = await reconnected;
      assert.equal(ev.previousSessionId, first.sessionId);
      assert.notEqual(ev.sessionId, first.sessionId);
      assert.equal(ev.droppedBytes, 320);
      assert.equal(client.state, 'streaming');

      const resultsAfter = firstValueFrom(client.results$.pipe(toArray()));
      client.send(source.data);
      const summary = await client.end();
      const after = await resultsAfter;
      assert.ok(after.length > 0);
      assert.equal(after[0]?.seq, 0, 'the new session numbers its results from 0');
      assert.ok(summary.durationMs > 0);
      const reconnectingEvents = events.filter((e) => e.type === 'reconnecting');
      assert.ok(reconnectingEvents.length >= 1);
    } finally {
      client.close();
      await server.close();
    }
  });
});
