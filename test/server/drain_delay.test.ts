/**
 * drainDelayMs (server/drain.ts): a replica told to drain first turns unready (/readyz 503,
 * ser_draining 1) while it still admits sessions and serves live ones, so a load balancer
 * that polls /readyz stops sending it sessions before any is refused; then the drain proper
 * finishes live sessions (final + summary, close 1001) and refuses new ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURES, TestClient, isEmotion, isError, isReady, isSummary, readWavPcm, scrapeMetrics, startTestServer } from '../helpers/server.js';

/** Long enough that the checks made "during the delay" finish inside it on a loaded machine. */
const DELAY_MS = 6000;

async function openSession(wsUrl: string, pcm: Awaited<ReturnType<typeof readWavPcm>>): Promise<TestClient> {
  const client = new TestClient(wsUrl);
  await client.opened;
  client.sendJson({ type: 'start', sampleRate: pcm.sampleRateHz, encoding: pcm.encoding, channels: pcm.channels });
  await client.waitFor(isReady);
  return client;
}

describe('drain delay', () => {
  it('unready but admitting during the delay, then the drain finishes live sessions and refuses new ones', async () => {
    const server = await startTestServer({ drainDelayMs: DELAY_MS, maxSessions: 7, workers: 1 });
    try {
      const pcm = await readWavPcm(FIXTURES.happy);
      const before = await scrapeMetrics(server);
      assert.equal(before.get('ser_sessions_max'), 7);
      assert.equal(before.get('ser_draining'), 0);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

      const early = await openSession(server.wsUrl, pcm);
      early.send(pcm.data.subarray(0, 32_000));
      await early.waitFor(isEmotion);

      const drained = server.drain();
      const readyz = await fetch(`${server.url}/readyz`);
      assert.equal(readyz.status, 503);
      const body = (await readyz.json()) as { status: string; capacityLeft: number };
      assert.equal(body.status, 'draining');
      assert.equal(body.capacityLeft, 0);
      assert.equal((await scrapeMetrics(server)).get('ser_draining'), 1);

      // Still admitting: a session the balancer sends before it notices is served.
      const late = await openSession(server.wsUrl, pcm);
      late.send(pcm.data.subarray(0, 16_000));
      await late.waitFor(isEmotion);
      assert.equal(early.messages.filter(isSummary).length, 0, 'live sessions go on during the delay');
      assert.equal(early.closeCode, null);

      await drained;
      for (const [name, client] of [['early', early], ['late', late]] as const) {
        const { code } = await client.closed;
        assert.equal(code, 1001, `${name}: closed by the drain`);
        assert.equal(client.results.at(-1)?.final, true, `${name}: the last result is final`);
        assert.equal(client.messages.filter(isSummary).length, 1, `${name}: one summary`);
        assert.deepEqual(client.messages.filter(isError), [], `${name}: no error`);
      }

      // After the delay: refused.
      const refused = new TestClient(server.wsUrl);
      await refused.opened;
      const error = await refused.waitFor(isError).catch(() => null);
      assert.equal(error?.code, 'shutting_down');
    } finally {
      await server.close();
    }
  });

  it('drainDelayMs 0: drain() refuses at once (the previous behaviour)', async () => {
    const server = await startTestServer({ workers: 1 });
    try {
      const drained = server.drain();
      const refused = new TestClient(server.wsUrl);
      await refused.opened;
      assert.equal((await refused.waitFor(isError)).code, 'shutting_down');
      await drained;
    } finally {
      await server.close();
    }
  });

  it('rejects a drainDelayMs outside 0–600000', async () => {
    await assert.rejects(startTestServer({ drainDelayMs: -1 }), /drainDelayMs: expected an integer in 0–600000, got -1/);
  });
});
