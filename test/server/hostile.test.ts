/**
 * Careless and hostile WebSocket clients against a real server: one that sends `start` and
 * then nothing gets `idle_timeout` (one that never reads its results: slow_consumer.test.ts), a socket paused by backpressure for long stretches is kept
 * while it makes progress, a file sent flat out is paced (same results, audio counted as
 * paced), /readyz says `full` at capacity. (A worker crash: worker_crash.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES } from '../../shared/error_codes.js';
import type { RunningServer } from '../../server/app.js';
import {
  FIXTURES,
  TestClient,
  assertResultsClose,
  isError,
  isReady,
  isSummary,
  readWavPcm,
  scrapeMetrics,
  startTestServer,
  streamWav,
  type StreamOutcome,
  until,
} from '../helpers/server.js';

const START = { type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 } as const;


describe('hostile and careless clients', () => {
  /** Unpaced, short idle timeout. */
  let fast: RunningServer;
  /** Paced at 2× real time, tiny backlog, fast heartbeat, two slots. */
  let paced: RunningServer;

  before(async () => {
    fast = await startTestServer({ maxRealTimeMultiple: 10_000, idleTimeoutMs: 400 });
    paced = await startTestServer({ maxRealTimeMultiple: 2, maxBacklogSeconds: 0.5, heartbeatMs: 200, maxSessions: 2 });
  });
  after(async () => {
    await Promise.all([fast.close(), paced.close()]);
  });

  it('idle_timeout: start and then nothing is closed; a client sending audio is not', async () => {
    const idle = new TestClient(fast.wsUrl);
    await idle.opened;
    idle.sendJson(START);
    await idle.waitFor(isReady);
    const talker = new TestClient(fast.wsUrl);
    await talker.opened;
    talker.sendJson(START);
    await talker.waitFor(isReady);
    // The talker sends 100 ms of silence every 100 ms for 1.2 s: three idle timeouts long.
    for (let i = 0; i < 12; i += 1) {
      talker.send(new Uint8Array(3_200));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const error = await idle.waitFor(isError);
    assert.equal(error.code, 'idle_timeout');
    assert.equal(error.retryable, true);
    assert.equal((await idle.closed).code, ERROR_CODES.idle_timeout.closeCode);
    assert.equal(talker.closeCode, null, 'the talker is still connected');
    talker.sendJson({ type: 'end' });
    await talker.waitFor(isSummary);
    assert.equal((await talker.closed).code, 1000);
    assert.deepEqual(talker.messages.filter(isError), []);
    assert.ok(((await scrapeMetrics(fast)).get('ser_timeouts_total{kind="idle"}') ?? 0) >= 1);
  });

  it('live first: a file sent flat out is paced and kept alive while paused; its results are unchanged', async () => {
    const reference: StreamOutcome = await streamWav(fast.wsUrl, FIXTURES.angry, { seed: 3, maxChunkBytes: 16_000 });
    const pcm = await readWavPcm(FIXTURES.angry);
    const startedMs = performance.now();
    const out = await streamWav(paced.wsUrl, FIXTURES.angry, { seed: 3, maxChunkBytes: 16_000 });
    const wallSeconds = (performance.now() - startedMs) / 1000;
    assert.equal(out.closeCode, 1000);
    assert.deepEqual(out.errors, []);
    assertResultsClose(out.results, reference.results, 'paced');
    const audioSeconds = pcm.data.length / 32_000;
    // 1 s burst, then at most 2 s of audio per second: a floor, never a timing assertion on speed.
    assert.ok(wallSeconds >= (audioSeconds - 1) / 2 - 0.1, `paced: ${audioSeconds} s of audio took ${wallSeconds.toFixed(2)} s`);
    const metrics = await scrapeMetrics(paced);
    assert.ok((metrics.get('ser_audio_paced_seconds_total') ?? 0) > 0, 'audio waited for its budget');
    assert.ok((metrics.get('ser_backlog_pauses_total') ?? 0) >= 1, 'the socket was paused');
    assert.equal(metrics.get('ser_timeouts_total{kind="stalled"}') ?? 0, 0, 'never dropped while making progress');
  });

  it('/readyz answers 503 "full" when no capacity is left, 200 again once a slot frees', async () => {
    const holders = [new TestClient(paced.wsUrl), new TestClient(paced.wsUrl)];
    for (const h of holders) {
      await h.opened;
      h.sendJson(START);
      await h.waitFor(isReady);
    }
    const full = await fetch(`${paced.url}/readyz`);
    assert.equal(full.status, 503);
    const body = (await full.json()) as { status: string; capacityLeft: number };
    assert.equal(body.status, 'full');
    assert.equal(body.capacityLeft, 0);
    holders[0]?.ws.close(1000);
    await holders[0]?.closed;
    await until('/readyz 200', async () => (await fetch(`${paced.url}/readyz`)).status === 200);
    holders[1]?.ws.close(1000);
    await holders[1]?.closed;
  });
});
