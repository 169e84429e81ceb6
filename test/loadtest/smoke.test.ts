/**
 * Smoke run of the generator against the real server (in this process, ephemeral port):
 * 5 streams × 5 s of the speech fixtures at real-time pace. Checks the bookkeeping, never
 * the clock: every hop answered and traced, no errors, server figures scraped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClips } from '../../loadtest/clips.js';
import { parseOptions } from '../../loadtest/options.js';
import { runTrial } from '../../loadtest/trial.js';
import { FIXTURES_DIR, startTestServer } from '../helpers/server.js';

test('5 streams × 5 s against the real server: all results, no errors', async () => {
  const server = await startTestServer();
  try {
    const options = parseOptions(['--url', server.url, '--duration', '5', '--ramp', '0.5', '--no-progress', '--clips', FIXTURES_DIR]);
    const audio = await loadClips(options.clipsDir, 1601);
    assert.equal(audio.clipNames.length, 3);
    const t = await runTrial({ url: server.url, mode: 'external' }, 5, audio, options);
    assert.deepEqual(t.errorsByCode, {});
    assert.equal(t.sessionsStarted, 5);
    assert.equal(t.sessionsCompleted, 5);
    assert.equal(t.missingResults, 0);
    assert.equal(t.missingFinals, 0);
    assert.equal(t.unmatchedResults, 0);
    // 5 s at hop 250 = 20 hops (+ the final) per stream, every one traced to a chunk.
    assert.ok(t.latency.count >= 5 * 20, `got ${t.latency.count} results`);
    assert.ok(Number.isFinite(t.latency.p95Ms) && t.latency.minMs >= 0);
    assert.ok(t.server !== null, 'expected /metrics figures');
    assert.ok((t.server.resultsSent ?? 0) >= t.latency.count);
    assert.ok((t.server.batchSize?.count ?? 0) > 0);
  } finally {
    await server.close();
  }
});
