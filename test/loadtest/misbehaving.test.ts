/**
 * The soak's clients against the fake protocol server (fast, no model): sessions created
 * shortly before their start still run on time, an idle client records the server's
 * `idle_timeout`, a slow reader that is cut counts as dropped, and one the server never
 * drops gives up after its drop timeout and says so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLoop } from '../../loadtest/clips.js';
import type { StreamPlan } from '../../loadtest/plan.js';
import { runPool } from '../../loadtest/pool.js';
import { streamUrlOf } from '../../loadtest/trial.js';
import type { StreamOutcome } from '../../loadtest/types.js';
import { startFakeServer, type FakeServerOptions } from './fake_server.js';

const audio = buildLoop([new Float32Array(16_000).map((_, i) => Math.sin(i / 10) * 0.3)], ['tone'], 16_000, 1700);

const plan = (streamId: number, startOffsetMs: number, seconds: number, behavior?: StreamPlan['behavior']): StreamPlan => ({
  streamId, startOffsetMs, audioOffsetSamples: 0, chunkSamples: 1600,
  totalSamples: Number.isFinite(seconds) ? seconds * 16_000 : Number.MAX_SAFE_INTEGER, ...(behavior !== undefined ? { behavior } : {}),
});

async function drive(fake: FakeServerOptions, plans: StreamPlan[], dropTimeoutMs: number): Promise<StreamOutcome[]> {
  const server = await startFakeServer(fake);
  try {
    const pool = await runPool({
      streamUrl: streamUrlOf(server.url), plans, pcm: audio.pcm, loopSamples: audio.loopSamples, sampleRateHz: 16_000,
      hopMs: 250, endTimeoutMs: 2_000, coverageToleranceMs: 30, dropTimeoutMs, workers: 1,
    });
    return pool.streams;
  } finally {
    await server.close();
  }
}

test('churn: a slot\'s second session, created later, completes like the first', async () => {
  const [first, second] = await drive({}, [plan(0, 0, 1), plan(1, 2_500, 1)], 2_000);
  for (const s of [first, second]) {
    assert.equal(s?.errorCode, null);
    assert.equal(s?.summarySeen, true);
    assert.equal(s?.missingResults, 0);
  }
});

test('an idle client records idle_timeout and counts as dropped', async () => {
  const [idle] = await drive({ idleTimeoutMs: 300 }, [plan(0, 0, 0, 'idle')], 5_000);
  assert.equal(idle?.behavior, 'idle');
  assert.equal(idle?.started, true);
  assert.equal(idle?.errorCode, 'idle_timeout');
  assert.equal(idle?.closeCode, 1008);
  assert.equal(idle?.dropped, true);
});

test('a slow reader that is cut counts as dropped; one never cut gives up and says so', async () => {
  const [cut] = await drive({ terminateAfterAudioBytes: 200_000 }, [plan(0, 0, Infinity, 'slow_reader')], 5_000);
  assert.equal(cut?.behavior, 'slow_reader');
  assert.equal(cut?.dropped, true);
  assert.equal(cut?.closeCode, 1006);
  assert.ok((cut?.audioSentSeconds ?? 0) >= 200_000 / 32_000, 'it sent flat out');
  const [kept] = await drive({}, [plan(0, 0, Infinity, 'slow_reader')], 500);
  assert.equal(kept?.dropped, false);
  assert.equal(kept?.closeCode, undefined);
});
