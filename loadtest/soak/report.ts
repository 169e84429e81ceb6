/**
 * Writes the soak's report.json and report.html (self-contained: inline SVG from ../svg.ts,
 * no scripts, no CDN): the verdict, plots of memory, tensors, sessions, latency and
 * event-loop lag against time, how the sessions ended and what the server counted.
 */
import { writeReportFiles } from '../report.js';
import { GENERATOR_LATE_P95_MS } from '../trial.js';
import { escapeHtml, lineChartSvg, type Series } from '../svg.js';
import { churnWindow, leastSquaresFit, secondHalfPoints, type TimePoint } from './slope.js';
import type { SoakReport, SoakSample } from './types.js';

const f = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));

/** One line of `pick` against minutes (the baseline at t = 0 is left to the caption: the charts' x starts after 0). */
function series(samples: readonly SoakSample[], label: string, color: string, pick: (s: SoakSample) => number | null, dashed = false): Series {
  const points = samples.flatMap((s) => {
    const y = pick(s);
    return y === null || !Number.isFinite(y) || s.tSeconds <= 0 ? [] : [{ x: s.tSeconds / 60, y }];
  });
  return { label, color, dashed, points };
}

/** The second-half least-squares line of `pick`, as a two-point dashed series. */
function fitLine(samples: readonly SoakSample[], churnSeconds: number, label: string, color: string, pick: (s: SoakSample) => number | null): Series {
  const points = secondHalfPoints(churnWindow(samples, churnSeconds), pick);
  const { slope, intercept } = leastSquaresFit(points);
  const ends = [points[0], points.at(-1)].filter((p): p is TimePoint => p !== undefined && p.tSeconds > 0);
  if (!Number.isFinite(slope) || ends.length < 2) return { label, color, points: [] };
  return { label, color, dashed: true, points: ends.map((p) => ({ x: p.tSeconds / 60, y: intercept + slope * p.tSeconds })) };
}

function chart(title: string, yLabel: string, lines: Series[], hLine?: { y: number; label: string }): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption>${lineChartSvg(lines, { xLabel: 'minutes', yLabel, title, ...(hLine !== undefined ? { hLine } : {}) })}</figure>`;
}

const counts = (c: Record<string, number>): string => Object.entries(c).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';

export function renderSoakHtml(r: SoakReport): string {
  const s = r.samples;
  const v = r.verdict;
  const churnSeconds = r.churnSeconds;
  const verdictRows = v.checks
    .map((c) => `<tr><td>${c.pass ? '✓' : '✗'}</td><td>${escapeHtml(c.kind)}</td><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.detail)}</td></tr>`)
    .join('\n');
  const charts = [
    chart(`Memory (RSS floor ${f(v.rssFloorSlopeMbPerMin, 2)} MB/min, least squares ${f(v.rssSlopeMbPerMin, 2)} MB/min, heap ${f(v.heapSlopeMbPerMin, 2)} MB/min over the second half of the churn)`, 'MB', [
      series(s, 'RSS', '#1f6fb4', (x) => x.rssMb),
      fitLine(s, churnSeconds, 'RSS fit, 2nd half', '#c33', (x) => x.rssMb),
      series(s, 'heap used', '#2e8b57', (x) => x.heapUsedMb),
      series(s, 'workers: heap used', '#9acd32', (x) => x.memory?.workerHeapMb ?? null),
      series(s, 'workers: wasm memory', '#d2691e', (x) => x.memory?.wasmMb ?? null),
      series(s, 'external (ArrayBuffers), all threads', '#8a2be2', (x) => x.memory?.externalMb ?? null),
    ]),
    chart(
      `tfjs tensors (${f(v.tensorSlopePerMin, 2)}/min over the second half)`,
      'tensors',
      [series(s, 'tensors', '#8a2be2', (x) => x.tensors), fitLine(s, churnSeconds, 'fit, 2nd half', '#c33', (x) => x.tensors)],
      r.baseline.tensors !== null ? { y: r.baseline.tensors, label: `baseline ${r.baseline.tensors}` } : undefined,
    ),
    chart('Sessions', 'sessions', [
      series(s, 'server ser_sessions_active', '#1f6fb4', (x) => x.sessionsActive),
      series(s, 'generator open', '#d2691e', (x) => x.clientSessionsOpen, true),
    ]),
    chart('End-to-end latency of the normal sessions per window', 'ms', [
      series(s, 'p99', '#c33', (x) => x.latency.p99Ms),
      series(s, 'p95', '#1f6fb4', (x) => x.latency.p95Ms),
      series(s, 'p50', '#2e8b57', (x) => x.latency.p50Ms),
    ]),
    chart('Server turnaround p95 per window (ser_result_latency_seconds: all sessions, a slow reader\'s paced backlog included)', 'ms', [
      series(s, 'server p95', '#555', (x) => x.serverLatencyP95Ms),
    ]),
    chart('Event-loop lag p99 per window', 'ms', [series(s, 'lag p99', '#d2691e', (x) => x.eventLoopLagP99Ms)]),
    chart('Host CPU per window (/proc/stat: every process on the machine; steal = time the hypervisor gave to others)', '% of all cores', [
      series(s, 'busy', '#1f6fb4', (x) => x.hostCpu?.busyPct ?? null),
      series(s, 'steal', '#c33', (x) => x.hostCpu?.stealPct ?? null),
    ]),
  ].join('\n');
  const t = r.tally;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Soak ${escapeHtml(r.createdAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
th{background:#f0f0f0}.big{font-size:18px}figure{display:inline-block;margin:0 16px 16px 0}
figcaption{font-size:12px;color:#444}code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>Speech emotion stream — soak</h1>
<p>${escapeHtml(r.createdAt)} · <code>npm run soak -- ${escapeHtml(r.argv.join(' '))}</code> · ${escapeHtml(r.server.spawned ? 'spawned server' : r.server.url)} · ${f(r.wallSeconds / 60)} min</p>
<p>Machine: ${r.machine.cpus} × ${escapeHtml(r.machine.cpuModel)}, load average ${f(r.machine.loadAverage1m, 2)} at start, Node ${escapeHtml(r.machine.node)}.
Baseline after warm-up: ${f(r.baseline.rssMb, 0)} MB RSS, ${f(r.baseline.tensors, 0)} tensors, ${f(r.baseline.sessionsActive, 0)} sessions.
Generator: ${r.generator.workers} worker(s), ${f(r.generator.cpuCores, 2)} cores, busy ${r.generator.eventLoopUtilization.map((u) => `${Math.round(u * 100)} %`).join(' / ')}, chunks sent late by p95 ${f(r.generator.latenessP95Ms, 0)} ms${r.generator.latenessP95Ms > GENERATOR_LATE_P95_MS ? ' — <b>the generator lagged: latency figures include its lag</b>' : ''}.</p>
<p class="big">Verdict: <b>${v.pass ? 'PASS' : 'FAIL'}</b> (correctness ${v.correct ? 'pass' : 'FAIL'}, trend ${v.flat ? 'flat' : 'NOT flat'})</p>
<table><thead><tr><th></th><th>kind</th><th>check</th><th>detail</th></tr></thead><tbody>
${verdictRows}
</tbody></table>
<h2>Over time</h2>
${charts}
<h2>Sessions</h2>
<ul>
<li>normal: ${t.normal.planned} planned, ${t.normal.started} started, ${t.normal.completed} completed with final + summary; errors ${escapeHtml(counts(t.normal.errorsByCode))}</li>
<li>slow readers: ${t.slowReaders.planned}, dropped ${t.slowReaders.dropped}; close codes ${escapeHtml(counts(t.slowReaders.closeCodes))}</li>
<li>idle clients: ${t.idleClients.planned}, idle_timeout ${t.idleClients.idleTimeouts}; close codes ${escapeHtml(counts(t.idleClients.closeCodes))}</li>
<li>server: errors ${escapeHtml(counts(r.serverDeltas.errorsByCode))}; timeouts ${escapeHtml(counts(r.serverDeltas.timeoutsByKind))}; sessions ${escapeHtml(counts(r.serverDeltas.sessionsByOutcome))}; worker restarts ${f(r.serverDeltas.workerRestarts, 0)}</li>
</ul>
<p>Slow readers stop reading their socket and send audio flat out at the smallest hop; they cannot read the <code>slow_consumer</code> error behind their unread results, so they see the connection cut (1006) and the server's <code>ser_timeouts_total{kind="slow_consumer"}</code> says why. Latency = arrival of a result − send time of the chunk holding its last contributing sample. Every sample is in report.json.</p>
</body></html>
`;
}

/** Writes report.json and report.html into `dir`; returns their paths. */
export function writeSoakReports(dir: string, report: SoakReport): Promise<{ json: string; html: string }> {
  return writeReportFiles(dir, report, renderSoakHtml(report));
}
