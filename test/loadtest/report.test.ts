import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyCurve, renderHtml, showcaseTrials } from '../../loadtest/report.js';
import { formatReport, formatTrial } from '../../loadtest/summary.js';
import { summarizeTrial } from '../../loadtest/trial.js';
import { FixedHistogram } from '../../loadtest/stats.js';
import type { LoadtestReport, StreamOutcome, TrialResult } from '../../loadtest/types.js';

function outcome(streamId: number, extra: Partial<StreamOutcome> = {}): StreamOutcome {
  return {
    streamId, started: true, errorCode: null, results: 4, missingResults: 0, finalSeen: true, summarySeen: true,
    unmatchedResults: 0, outOfOrder: 0, audioSentSeconds: 1, audioCoveredSeconds: 1, endToSummaryMs: 3,
    maxLatencyMs: 10, maxStalenessMs: 0, ...extra,
  };
}

function trial(mode: string, streams: number, latencies: number[], streamsOut: StreamOutcome[]): TrialResult {
  return summarizeTrial(
    {
      latenciesMs: Float64Array.from(latencies),
      fromHopEndMs: Float64Array.from(latencies),
      callFlags: new Float64Array(latencies.length),
      streams: streamsOut,
      lateness: new FixedHistogram(1, 10),
      eventLoopUtilization: [0.1],
      wallSeconds: 2,
      cpuSeconds: 0.2,
    },
    { mode, streams, durationSeconds: 1, hopMs: 250, startedAt: 'x' },
    { server: null, serverProcessCpuCores: null, workers: 1, p95BudgetMs: 100 },
  );
}

test('summarizeTrial aggregates streams and judges the budget', () => {
  const ok = trial('streaming', 2, [5, 6, 7, 8], [outcome(0), outcome(1)]);
  assert.equal(ok.pass, true);
  assert.equal(ok.resultsPerSecond, 2);
  assert.equal(ok.audioSecondsPerSecond, 1);
  assert.equal(ok.generator.cpuCores, 0.1);
  const bad = trial('naive', 3, [50, 150, 150], [
    outcome(0, { started: false, errorCode: 'too_many_sessions', results: 0 }),
    outcome(1, { missingResults: 2, errorCode: 'internal' }),
    outcome(2, { summarySeen: false, finalSeen: false }),
  ]);
  assert.equal(bad.pass, false);
  assert.equal(bad.sessionsRejected, 1);
  assert.deepEqual(bad.errorsByCode, { too_many_sessions: 1, internal: 1 });
  assert.equal(bad.missingResults, 2);
  assert.equal(bad.missingSummaries, 1);
  assert.match(bad.failReasons.join(';'), /p95 150\.0 ms > 100 ms.*2 errors.*1 sessions rejected.*2 missing results/);
  assert.match(formatTrial(bad), /FAIL/);
});

test('a mixed load reports the calls and the 16 kHz streams apart', () => {
  const pool = {
    latenciesMs: Float64Array.from([5, 80, 6, 90, 7]),
    fromHopEndMs: Float64Array.from([4, 70, Number.NaN, 60, 6]),
    callFlags: Float64Array.from([0, 1, 0, 1, 0]),
    streams: [outcome(0), outcome(1)],
    lateness: new FixedHistogram(1, 10),
    eventLoopUtilization: [0.1],
    wallSeconds: 2,
    cpuSeconds: 0.2,
  };
  const base = { mode: 'streaming', streams: 2, durationSeconds: 1, hopMs: 250, startedAt: 'x' };
  const extra = { server: null, serverProcessCpuCores: null, workers: 1, p95BudgetMs: 100 };
  const mixed = summarizeTrial(pool, { ...base, calls: 1 }, extra);
  const byKind = mixed.latencyByKind;
  assert.ok(byKind !== undefined);
  assert.equal(byKind.wideband.latency.count, 3);
  assert.equal(byKind.wideband.latency.maxMs, 7);
  assert.equal(byKind.calls.latency.count, 2);
  assert.equal(byKind.calls.latency.maxMs, 90);
  // An untraceable result counts in `latency` but not in `latencyFromHopEnd`.
  assert.equal(byKind.wideband.latencyFromHopEnd.count, 2);
  assert.match(formatTrial(mixed), /calls +p50 .* \(n=2\); from hop end p95/);
  assert.equal(summarizeTrial(pool, base, extra).latencyByKind, undefined);
  const html = renderHtml({
    tool: 'ser-loadtest', reportVersion: 1, createdAt: 'now', argv: [],
    machine: { cpus: 2, cpuModel: 'x', totalMemoryGb: 1, loadAverage1m: 0, node: 'v20', platform: 'linux-x64' },
    options: {}, clips: { dir: 'clips', count: 1, loopSeconds: 1 }, trials: [mixed], capacity: [], comparison: null,
  });
  assert.match(html, /p95 ms 16 kHz \/ calls/);
  assert.match(html, /<td>7\.0 \/ 90\.0<\/td>/);
});

test('the HTML report has both charts, every trial, and escapes text', () => {
  const trials = [
    trial('streaming', 10, [5, 6], [outcome(0)]),
    trial('streaming', 100, [9, 12], [outcome(0)]),
    trial('naive', 10, [40, 300], [outcome(0)]),
  ];
  const report: LoadtestReport = {
    tool: 'ser-loadtest', reportVersion: 1, createdAt: 'now', argv: ['--url', '<script>'],
    machine: { cpus: 2, cpuModel: 'CPU', totalMemoryGb: 8, loadAverage1m: 0.1, node: 'v20', platform: 'linux' },
    options: {}, clips: { dir: 'clips', count: 3, loopSeconds: 11 }, trials,
    capacity: [
      { mode: 'streaming', p95BudgetMs: 100, capacityStreams: 100, firstFailingStreams: null, steps: [] },
      { mode: 'naive', p95BudgetMs: 100, capacityStreams: 0, firstFailingStreams: 10, steps: [] },
    ],
    comparison: { streamingCapacity: 100, naiveCapacity: 0, ratio: null },
  };
  const html = renderHtml(report);
  assert.equal((html.match(/<svg /g) ?? []).length, 1 + 2); // curve + one histogram per mode
  assert.equal((html.match(/<tr><td>/g) ?? []).length, 3);
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('&lt;script&gt;'));
  assert.match(html, /budget p95 ≤ 100 ms/);
  assert.match(formatReport(report), /= ∞×/);
  // The histogram shows each mode's largest passing trial.
  assert.deepEqual(showcaseTrials(trials).map((t) => [t.mode, t.streams]), [['streaming', 100], ['naive', 10]]);
  const curve = latencyCurve(trials);
  assert.deepEqual(curve.map((s) => s.label), ['streaming p95', 'streaming p50', 'naive p95', 'naive p50']);
  assert.deepEqual(curve[0]?.points.map((p) => p.x), [10, 100]);
});
