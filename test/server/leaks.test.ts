/**
 * Resource hygiene: thousands of sessions opened and closed — completed, abandoned
 * mid-stream with hops in flight, failed — leave the workers' tensor count exactly where it
 * was, no stream state behind, and the session gauges at zero.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { FIXTURES, TestClient, isReady, isSummary, readWavPcm, scrapeMetrics, startTestServer, warmUpWorkers } from '../helpers/server.js';

const SESSIONS = 1000;
const PARALLEL = 50;

describe('no leaks', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it(`tensor count and stream states are flat across ${SESSIONS} sessions`, async () => {
    const pcm = await readWavPcm(FIXTURES.angry);
    // 0.4 s of speech from the middle of the clip: model steps, a hop and the final one.
    const speech = pcm.data.subarray(32_000, 32_000 + 12_800);
    await warmUpWorkers(server, speech);
    const baseline = await server.modelStats();
    assert.equal(baseline.sessions, 0);

    const one = async (i: number): Promise<void> => {
      const client = new TestClient(server.wsUrl);
      await client.opened;
      client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1, hopMs: 250 });
      await client.waitFor(isReady);
      client.send(speech);
      switch (i % 4) {
        case 0:
        case 1:
          client.sendJson({ type: 'end' });
          await client.waitFor(isSummary);
          break;
        case 2:
          // Abandoned with hops still in flight.
          client.ws.terminate();
          break;
        case 3:
          // Fails mid-stream.
          client.send('not json');
          break;
      }
      await client.closed;
    };
    for (let i = 0; i < SESSIONS; i += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, SESSIONS - i) }, (_, j) => one(i + j)));
    }
    // Let abandoned sessions' in-flight hops drain through the worker.
    for (let tries = 0; tries < 50; tries += 1) {
      if ((await server.modelStats()).sessions === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const afterStats = await server.modelStats();
    process.stderr.write(`# tensors before ${baseline.numTensors}, after ${SESSIONS} sessions ${afterStats.numTensors}\n`);
    assert.equal(afterStats.numTensors, baseline.numTensors, 'no tensor leaked');
    assert.equal(afterStats.sessions, 0, 'no stream state left in the worker');
    assert.equal(afterStats.inFlight, 0, 'no stream awaited on the main thread');
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_sessions_active'), 0);
    assert.equal(metrics.get('ser_backlog_bytes'), 0);
    assert.equal(metrics.get('ser_sessions_paused'), 0);
    const ended =
      (metrics.get('ser_sessions_total{outcome="completed"}') ?? 0) +
      (metrics.get('ser_sessions_total{outcome="client_closed"}') ?? 0) +
      (metrics.get('ser_sessions_total{outcome="error"}') ?? 0);
    assert.equal(ended, SESSIONS + server.config.workers, 'every session counted once, the warm-ups included');
  });
});
