/**
 * A 2-minute soak against the real server (in this process, ephemeral port): 6 streams of
 * churn (sessions of 5–20 s), one slow reader and two idle clients. Asserts the verdict's
 * correctness conditions only — every normal session ends with final + summary, the slow
 * reader gets slow_consumer and the idle clients idle_timeout (counted by the server), no
 * other error, sessions and tensors back at their baseline. Never the clock or the trend:
 * two minutes are too short for a slope, and speed belongs in benchmarks.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSoakOptions } from '../../loadtest/soak/options.js';
import { runSoak } from '../../loadtest/soak/orchestrate.js';
import { writeSoakReports } from '../../loadtest/soak/report.js';
import { formatVerdict } from '../../loadtest/soak/summary.js';
import { FIXTURES_DIR, startTestServer } from '../helpers/server.js';

test('2-minute soak with churn, a slow reader and idle clients: correct, and back to baseline', async () => {
  // The default pacing; only the timers are shortened. The slow reader (flat out, paused by
  // backpressure, never reading) is caught by the heartbeat: its ping unanswered for 20 s
  // instead of 5 min. Idle clients are dropped after 5 s instead of 60.
  const server = await startTestServer({ idleTimeoutMs: 5_000, heartbeatMs: 5_000, pausedPongTimeoutMs: 20_000 });
  const out = await mkdtemp(join(tmpdir(), 'ser-soak-'));
  try {
    const argv = ['--url', server.url, '--minutes', '2', '--streams', '6', '--session-seconds', '5-20', '--slow-readers', '1',
      '--idle-clients', '2', '--ramp', '3', '--drop-timeout', '300', '--settle-seconds', '30', '--clips', FIXTURES_DIR,
      '--no-progress', '--out', out, '--seed', '11'];
    const report = await runSoak(parseSoakOptions(argv), argv, () => undefined);
    process.stderr.write(`${formatVerdict(report).replace(/^/gm, '# ')}\n`);
    const failed = report.verdict.checks.filter((c) => c.kind === 'correctness' && !c.pass);
    assert.deepEqual(failed.map((c) => `${c.name}: ${c.detail}`), []);
    assert.equal(report.verdict.correct, true);
    const t = report.tally;
    assert.ok(t.normal.planned >= 12, `churn: expected sessions to follow each other, got ${t.normal.planned}`);
    assert.equal(t.normal.completed, t.normal.planned);
    assert.equal(t.slowReaders.dropped, 1);
    assert.equal(report.serverDeltas.timeoutsByKind.slow_consumer, 1);
    assert.equal(t.idleClients.idleTimeouts, 2);
    assert.equal(report.settle.sessionsActive, 0);
    assert.ok(report.baseline.tensors !== null && report.settle.tensors !== null && report.settle.tensors <= report.baseline.tensors);
    assert.ok(report.samples.length >= 12, `a sample every 10 s, got ${report.samples.length}`);
    const paths = await writeSoakReports(out, report);
    const html = await readFile(paths.html, 'utf8');
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /<script|(?:src|href)="https?:/, 'self-contained: no script, no CDN');
  } finally {
    await server.close();
    await rm(out, { recursive: true, force: true });
  }
});
