/**
 * A client that never reads its results, over a real TCP socket: it stops reading (pauses
 * the socket) after `ready` and sends audio as fast as the server takes it at the smallest
 * hop. Over loopback the kernel first absorbs ~4 MB of results (its socket buffers, which no
 * cap can shrink); past that the server's own send buffer may hold at most `maxUnsentBytes`
 * before the session is dropped with `slow_consumer`. Meanwhile two real-time bystanders
 * keep getting results and end normally, and the process's memory stays bounded.
 * (session_limits.test.ts checks the cap itself on a fake socket, in milliseconds.)
 *
 * At the default pacing the kernel's buffers take many minutes to fill with results, so a
 * client that sends flat out (paused by backpressure) and never reads is caught by the
 * heartbeat instead: pinged like any socket, it never answers, and after
 * `pausedPongTimeoutMs` it is dropped with `slow_consumer`. One that sends flat out but
 * reads answers its pings (late: the pong waits behind its audio) and is served to the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { FIXTURES, TestClient, isEmotion, isReady, isSummary, readWavPcm, scrapeMetrics, startTestServer, streamStartAndBytes, until } from '../helpers/server.js';

const START = { type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 } as const;
/** Audio the slow client keeps queued on its own side, bytes. */
const CLIENT_QUEUE_BYTES = 1 << 20;
/** How long the kernel buffers plus the cap may take to fill on a slow machine, ms. */
const DROP_DEADLINE_MS = 300_000;
/** Growth of the process's RSS while the slow client runs that would mean unbounded buffering, MiB. */
const RSS_BOUND_MB = 200;
/** The heartbeat case's quick heartbeat and pong allowance, ms. */
const HEARTBEAT_MS = 500;
const PAUSED_PONG_TIMEOUT_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams `pcm` in a loop at real-time pace, 100 ms a message, until `stop()`; then `end`. */
function bystander(url: string, pcm: Uint8Array): { client: TestClient; stop: () => Promise<void> } {
  const client = new TestClient(url);
  let running = true;
  const loop = (async () => {
    await client.opened;
    client.sendJson({ ...START, hopMs: 250 });
    await client.waitFor(isReady);
    const chunkBytes = 3_200;
    for (let offset = 0; running && client.closeCode === null; offset = (offset + chunkBytes) % (pcm.length - chunkBytes)) {
      client.send(pcm.subarray(offset, offset + chunkBytes));
      await sleep(100);
    }
    client.sendJson({ type: 'end' });
  })();
  return {
    client,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('slow consumer over a real socket', () => {
  let server: RunningServer;
  before(async () => {
    // Unpaced, so the kernel's buffers fill as fast as this machine can analyse audio.
    server = await startTestServer({ maxRealTimeMultiple: 10_000, maxUnsentBytes: 16_384 });
  });
  after(async () => {
    await server.close();
  });

  it('is dropped with slow_consumer while bystanders keep getting results; memory stays bounded', async () => {
    const pcm = (await readWavPcm(FIXTURES.happy)).data;
    const bystanders = [bystander(server.wsUrl, pcm), bystander(server.wsUrl, pcm)];
    const slow = new TestClient(server.wsUrl);
    await slow.opened;
    slow.sendJson({ ...START, hopMs: 50 });
    await slow.waitFor(isReady);
    slow.ws.pause(); // the socket is no longer read: results, pings and the close frame pile up
    const rssStartMb = process.memoryUsage().rss / 2 ** 20;
    let rssMaxMb = rssStartMb;
    const resultsBefore = bystanders.map((b) => b.client.results.length);
    const deadline = Date.now() + DROP_DEADLINE_MS;
    let sentBytes = 0;
    while (slow.closeCode === null && Date.now() < deadline) {
      while (slow.ws.bufferedAmount < CLIENT_QUEUE_BYTES && slow.closeCode === null) {
        slow.send(pcm.subarray(0, pcm.length - (pcm.length % 2)));
        sentBytes += pcm.length;
      }
      rssMaxMb = Math.max(rssMaxMb, process.memoryUsage().rss / 2 ** 20);
      await sleep(50);
    }
    assert.notEqual(slow.closeCode, null, `expected the slow client to be dropped within ${DROP_DEADLINE_MS / 1000} s`);
    // It read nothing after `ready`, so it sees the connection cut (1006) unless it caught the close frame (1008).
    assert.ok([1006, 1008].includes(slow.closeCode ?? 0), `close code ${slow.closeCode}`);
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_timeouts_total{kind="slow_consumer"}'), 1);
    assert.equal(metrics.get('ser_errors_total{code="slow_consumer"}'), 1);
    for (const kind of ['heartbeat', 'stalled', 'idle']) assert.equal(metrics.get(`ser_timeouts_total{kind="${kind}"}`) ?? 0, 0, kind);
    const audioSeconds = sentBytes / 32_000;
    process.stderr.write(`# slow client: ${audioSeconds.toFixed(0)} s of audio handed to its socket, RSS ${rssStartMb.toFixed(0)} → max ${rssMaxMb.toFixed(0)} MiB\n`);
    assert.ok(rssMaxMb - rssStartMb < RSS_BOUND_MB, `RSS grew ${(rssMaxMb - rssStartMb).toFixed(0)} MiB`);

    for (const [i, b] of bystanders.entries()) {
      assert.ok(b.client.results.length > (resultsBefore[i] ?? 0), `bystander ${i} got results while the slow client ran`);
      await b.stop();
      await b.client.waitFor(isSummary);
      assert.equal((await b.client.closed).code, 1000);
      assert.deepEqual(b.client.messages.filter((m) => m.type === 'error'), []);
    }
    await until('no session left', async () => (await scrapeMetrics(server)).get('ser_sessions_active') === 0);
  });
});

describe('slow consumer at the default pacing: caught by the heartbeat', () => {
  let server: RunningServer;
  before(async () => {
    // Default maxRealTimeMultiple (4) and maxUnsentBytes; a quick heartbeat and pong allowance.
    server = await startTestServer({ heartbeatMs: HEARTBEAT_MS, pausedPongTimeoutMs: PAUSED_PONG_TIMEOUT_MS, maxBacklogSeconds: 0.5 });
  });
  after(async () => {
    await server.close();
  });

  it('a paused client that never answers is dropped with slow_consumer; one that sends flat out and reads is not', async () => {
    const pcm = (await readWavPcm(FIXTURES.happy)).data;
    const clip = pcm.subarray(0, pcm.length - (pcm.length % 2));
    const slow = new TestClient(server.wsUrl);
    await slow.opened;
    slow.sendJson({ ...START, hopMs: 50 });
    await slow.waitFor(isReady);
    const keepQueued = (): void => {
      while (slow.ws.bufferedAmount < CLIENT_QUEUE_BYTES / 8 && slow.closeCode === null) slow.send(clip);
    };
    // It sends flat out and stops reading only once backpressure has paused its socket on the
    // server and its first result came (the model is warm): a client that stops reading while
    // the server still reads it is not paused, so one unanswered ping drops it as dead
    // (`heartbeat`), and a paused socket with no result for MAX_STALLED_BEATS beats (a cold
    // model on a loaded machine) is dropped as `stalled`. Both are other cases.
    keepQueued();
    await slow.waitFor(isEmotion);
    await until('the server paused the slow client', async () => ((await scrapeMetrics(server)).get('ser_backlog_pauses_total') ?? 0) >= 1);
    // Stop reading right after a ping was read (and auto-answered), so the first unanswered
    // ping is sent after the pause and the whole allowance counts from it.
    let pinged = false;
    slow.ws.once('ping', () => {
      pinged = true;
    });
    while (!pinged) {
      keepQueued();
      await sleep(10);
    }
    slow.ws.pause();
    const pausedAtMs = Date.now();
    // A careless but reading client: 8 s of audio (the clip looped) handed over at once.
    const eightSeconds = new Uint8Array(8 * 32_000);
    for (let at = 0; at < eightSeconds.length; at += clip.length) eightSeconds.set(clip.subarray(0, Math.min(clip.length, eightSeconds.length - at)), at);
    const reading = streamStartAndBytes(server.wsUrl, { ...START }, eightSeconds, { maxChunkBytes: 32_000 });
    const deadline = pausedAtMs + 60_000;
    while (slow.closeCode === null && Date.now() < deadline) {
      keepQueued();
      await sleep(50);
    }
    assert.notEqual(slow.closeCode, null, 'expected the slow client to be dropped within 60 s');
    const droppedAfterS = (Date.now() - pausedAtMs) / 1000;
    const timeouts = [...(await scrapeMetrics(server)).entries()].filter(([name]) => name.startsWith('ser_timeouts_total'));
    assert.ok(droppedAfterS >= PAUSED_PONG_TIMEOUT_MS / 1000, `dropped ${droppedAfterS} s after it stopped reading, before the pong allowance ran out (timeouts: ${JSON.stringify(timeouts)})`);
    const out = await reading;
    assert.equal(out.closeCode, 1000);
    assert.deepEqual(out.errors, []);
    assert.ok(out.results.length > 0);
    const metrics = await scrapeMetrics(server);
    assert.ok((metrics.get('ser_backlog_pauses_total') ?? 0) >= 2, 'both were paused by backpressure');
    assert.equal(metrics.get('ser_timeouts_total{kind="slow_consumer"}'), 1);
    assert.equal(metrics.get('ser_errors_total{code="slow_consumer"}'), 1);
    for (const kind of ['heartbeat', 'stalled', 'idle']) assert.equal(metrics.get(`ser_timeouts_total{kind="${kind}"}`) ?? 0, 0, kind);
    await until('no session left', async () => (await scrapeMetrics(server)).get('ser_sessions_active') === 0);
  });
});
