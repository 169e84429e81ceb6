/**
 * Smoke run of the generator against the real server (in this process, ephemeral port):
 * 5 streams × 5 s of the speech fixtures at real-time pace. Checks the bookkeeping, never
 * the clock: every hop answered and traced, no errors, server figures scraped. Then a
 * call-centre mix: half the streams 8 kHz μ-law calls, served by a narrowband model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCallClips, loadClips } from '../../loadtest/clips.js';
import { createRandomModel } from '../../models/random_model.js';
import { parseOptions } from '../../loadtest/options.js';
import { runLoadtest } from '../../loadtest/orchestrate.js';
import { runTrial } from '../../loadtest/trial.js';
import { formatTrial } from '../../loadtest/summary.js';
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

test('a call-centre mix (--call-share 0.5) against a server with a narrowband model: every hop of both kinds answered', async () => {
  // Two untrained models of one pipeline contract: what is measured here is the serving, not the answers.
  const main = await createRandomModel('cnn-attn-lstm', 4, { meta: { id: 'test-wideband' } });
  const narrow = await createRandomModel('cnn-attn-lstm', 5, { meta: { id: 'test-narrowband' } });
  const server = await startTestServer({ modelDir: main.dir, narrowbandModelDir: narrow.dir });
  try {
    const options = parseOptions(['--url', server.url, '--duration', '3', '--ramp', '0.5', '--no-progress', '--clips', FIXTURES_DIR, '--call-share', '0.5']);
    const audio = await loadClips(options.clipsDir, 1601);
    const calls = await loadCallClips(options.clipsDir, 1601);
    assert.equal(calls.sampleRateHz, 8000);
    assert.equal(calls.encoding, 'mulaw');
    assert.ok(Math.abs(calls.loopSamples - audio.loopSamples / 2) <= 3, `call loop of ${calls.loopSamples} samples`);
    await assert.rejects(runTrial({ url: server.url, mode: 'external' }, 4, audio, options), /--call-share: expected the call loop/);
    const t = await runTrial({ url: server.url, mode: 'external' }, 4, audio, options, calls);
    assert.deepEqual(t.errorsByCode, {});
    assert.equal(t.calls, 2);
    assert.match(formatTrial(t), /4 streams \(2 of them 8 kHz μ-law calls\)/);
    assert.equal(t.sessionsCompleted, 4);
    assert.equal(t.missingResults, 0);
    assert.equal(t.missingFinals, 0);
    assert.equal(t.unmatchedResults, 0);
    // 3 s at hop 250 = 12 hops (+ the final) per stream, calls and wideband alike.
    assert.ok(t.latency.count >= 4 * 12, `got ${t.latency.count} results`);
    // Each kind's results are reported apart, and together they are all the results.
    const byKind = t.latencyByKind;
    assert.ok(byKind !== undefined);
    assert.ok(byKind.calls.latency.count >= 2 * 12 && byKind.wideband.latency.count >= 2 * 12, JSON.stringify(byKind));
    assert.equal(byKind.calls.latency.count + byKind.wideband.latency.count, t.latency.count);
  } finally {
    await server.close();
  }
});

test('a capacity search first warms the server up, uncounted: the search starts on a warm server', async () => {
  const server = await startTestServer();
  try {
    const options = parseOptions([
      '--url', server.url, '--find-capacity', '--start-streams', '2', '--max-streams', '2', '--duration', '2',
      '--warmup', '1', '--ramp', '0.2', '--cooldown', '0', '--no-progress', '--clips', FIXTURES_DIR,
    ]);
    const lines: string[] = [];
    const report = await runLoadtest(options, [], (line) => lines.push(line));
    assert.ok(lines.some((l) => l.startsWith('warm-up (not counted): 1 streams × 1 s, p95 ')), lines.join('\n'));
    assert.deepEqual(report.trials.map((t) => t.streams), [2], 'the warm-up is not a trial');
    assert.deepEqual(report.capacity[0]?.steps.map((s) => s.streams), [2], 'nor a step of the search');
  } finally {
    await server.close();
  }
});
