/**
 * The generator end to end against a fake protocol server (fast, no model): streams pace,
 * every result is traced to a chunk, and injected faults show up as missing results,
 * rejected sessions and errors by code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLoop } from '../../loadtest/clips.js';
import { parseOptions } from '../../loadtest/options.js';
import { runTrial } from '../../loadtest/trial.js';
import { freePort } from '../../loadtest/server_process.js';
import { startFakeServer, type FakeServerOptions } from './fake_server.js';

const audio = buildLoop([new Float32Array(16_000).map((_, i) => Math.sin(i / 10) * 0.3)], ['tone'], 16_000, 1700);

async function trialAgainst(fake: FakeServerOptions, streams: number, extra: string[] = []) {
  const server = await startFakeServer(fake);
  try {
    const options = parseOptions(['--url', server.url, '--duration', '1', '--ramp', '0.2', '--no-progress', '--end-timeout', '2', ...extra]);
    return await runTrial({ url: server.url, mode: 'external' }, streams, audio, options);
  } finally {
    await server.close();
  }
}

test('every result of every stream is traced and the trial passes', async () => {
  const t = await trialAgainst({}, 4, ['--workers', '2']);
  assert.equal(t.sessionsStarted, 4);
  assert.equal(t.sessionsCompleted, 4);
  assert.equal(t.missingResults, 0);
  assert.equal(t.unmatchedResults, 0);
  assert.deepEqual(t.errorsByCode, {});
  // 1 s at hop 250 = 4 hop results + 1 final per stream.
  assert.equal(t.latency.count, 4 * 5);
  assert.ok(t.latency.minMs >= 0);
  assert.ok(t.audioSecondsPerSecond > 0);
  assert.equal(t.generator.workers, 2);
  assert.equal(t.server, null); // the fake has no /metrics
  assert.equal(t.pass, true, t.failReasons.join('; '));
});

test('dropped results are reported as missing and fail the trial', async () => {
  const t = await trialAgainst({ dropSeq: new Set([1, 2]) }, 2);
  assert.equal(t.missingResults, 4);
  assert.equal(t.pass, false);
  assert.match(t.failReasons.join(), /4 missing results/);
});

test('rejected sessions are counted by error code', async () => {
  const t = await trialAgainst({ rejectWith: 'too_many_sessions' }, 3);
  assert.equal(t.sessionsRejected, 3);
  assert.deepEqual(t.errorsByCode, { too_many_sessions: 3 });
  assert.equal(t.missingResults, 0);
  assert.equal(t.pass, false);
});

test('a missing summary times out and is reported', async () => {
  const t = await trialAgainst({ omitSummary: true }, 1, ['--end-timeout', '1']);
  assert.deepEqual(t.errorsByCode, { end_timeout: 1 });
  assert.equal(t.missingSummaries, 1);
  assert.equal(t.pass, false);
});

test('a server that is not there counts as connect_failed, not as missing results', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const options = parseOptions(['--url', url, '--duration', '1', '--ramp', '0', '--no-progress']);
  const t = await runTrial({ url, mode: 'external' }, 2, audio, options);
  assert.deepEqual(t.errorsByCode, { connect_failed: 2 });
  assert.equal(t.sessionsRejected, 2);
  assert.equal(t.missingResults, 0);
  assert.equal(t.latency.count, 0);
  assert.equal(t.pass, false);
});
