/**
 * Writes a run's report.json and report.html (self-contained: inline SVG, no scripts):
 * capacity and the streaming ÷ naive ratio, latency versus streams, a latency histogram per
 * mode, and a table of every trial with its generator and server figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeHtml, histogramSvg, lineChartSvg, type Series } from './svg.js';
import type { LoadtestReport, TrialResult } from './types.js';

const MODE_COLORS: Record<string, string> = { streaming: '#1f6fb4', naive: '#d2691e', external: '#2e8b57' };
const colorOf = (mode: string): string => MODE_COLORS[mode] ?? '#555';
const f = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);

/** The trial each mode's histogram shows: its largest passing trial, else its last one. */
export function showcaseTrials(trials: TrialResult[]): TrialResult[] {
  const byMode = new Map<string, TrialResult>();
  for (const t of trials) {
    const current = byMode.get(t.mode);
    if (current === undefined || (t.pass && (!current.pass || t.streams > current.streams)) || (!current.pass && !t.pass)) {
      byMode.set(t.mode, t);
    }
  }
  return [...byMode.values()];
}

/** p50/p95/p99 against stream count, per mode (the best of repeated counts is not chosen: the last wins). */
export function latencyCurve(trials: TrialResult[]): Series[] {
  const modes = [...new Set(trials.map((t) => t.mode))];
  const series: Series[] = [];
  for (const mode of modes) {
    const byStreams = new Map<number, TrialResult>();
    for (const t of trials) if (t.mode === mode) byStreams.set(t.streams, t);
    const ts = [...byStreams.values()];
    const color = colorOf(mode);
    series.push({ label: `${mode} p95`, color, points: ts.map((t) => ({ x: t.streams, y: t.latency.p95Ms })) });
    series.push({ label: `${mode} p50`, color, dashed: true, points: ts.map((t) => ({ x: t.streams, y: t.latency.p50Ms })) });
  }
  return series;
}

function trialRow(t: TrialResult): string {
  const errors = Object.entries(t.errorsByCode)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ');
  const s = t.server;
  const cells = [
    t.mode,
    String(t.streams),
    t.pass ? '✓' : `✗ ${t.failReasons.join('; ')}`,
    f(t.latency.p50Ms),
    f(t.latency.p90Ms),
    f(t.latency.p95Ms),
    f(t.latency.p99Ms),
    f(t.latency.maxMs),
    f(t.latencyFromHopEnd.p95Ms),
    t.latencyByKind === undefined ? '–' : `${f(t.latencyByKind.wideband.latency.p95Ms)} / ${f(t.latencyByKind.calls.latency.p95Ms)}`,
    f(t.maxResultStalenessMs, 0),
    f(t.resultsPerSecond),
    f(t.audioSecondsPerSecond),
    errors === '' ? '0' : errors,
    String(t.sessionsRejected),
    String(t.missingResults + t.missingSummaries),
    f(t.generator.cpuCores, 2),
    f(t.generator.latenessMs.p95, 0),
    f(s?.cpuCores, 2),
    f(s?.batchSize?.mean),
    f(s?.inferenceMs?.mean, 2),
    f(s?.eventLoopLagMs?.p99),
    f(s?.realTimeFactor, 3),
  ];
  return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
}

const TABLE_HEAD = [
  'mode', 'streams', 'verdict', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms', 'p95 from hop end ms',
  'p95 ms 16 kHz / calls', 'max endMs lag ms', 'results/s', 'audio s/s',
  'errors', 'rejected', 'missing', 'gen cores', 'gen late p95 ms', 'server cores', 'batch mean',
  'inference ms', 'loop lag p99 ms', 'RTF',
];

export function renderHtml(r: LoadtestReport): string {
  const budget = r.capacity[0]?.p95BudgetMs;
  const curve = lineChartSvg(latencyCurve(r.trials), {
    xLabel: 'concurrent streams',
    yLabel: 'end-to-end latency, ms',
    logX: true,
    title: 'latency versus streams',
    ...(budget !== undefined ? { hLine: { y: budget, label: `budget p95 ≤ ${budget} ms` } } : {}),
  });
  const histograms = showcaseTrials(r.trials)
    .map(
      (t) =>
        `<figure><figcaption>${escapeHtml(`${t.mode}, ${t.streams} streams: p50 ${f(t.latency.p50Ms)} / p95 ${f(t.latency.p95Ms)} / p99 ${f(t.latency.p99Ms)} ms (${t.histogram.overflow} results beyond the axis)`)}</figcaption>` +
        histogramSvg(t.histogram, [
          { x: t.latency.p50Ms, label: 'p50', color: '#2e8b57' },
          { x: t.latency.p95Ms, label: 'p95', color: '#c33' },
        ]) +
        `</figure>`,
    )
    .join('\n');
  const capacity = r.capacity
    .map(
      (c) =>
        `<li>${escapeHtml(`${c.mode}: ${c.capacityStreams} streams at p95 ≤ ${c.p95BudgetMs} ms` + (c.firstFailingStreams === null ? ' (search limit reached)' : `, ${c.firstFailingStreams} failed`))}</li>`,
    )
    .join('');
  const comparison =
    r.comparison === null
      ? ''
      : `<p class="big">streaming ÷ naive capacity = ${r.comparison.streamingCapacity} ÷ ${r.comparison.naiveCapacity} = <b>${r.comparison.ratio === null ? '∞' : `${r.comparison.ratio.toFixed(1)}×`}</b></p>`;
  const warnings = r.trials.flatMap((t) => t.warnings.map((w) => `${t.mode} N=${t.streams}: ${w}`));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load test ${escapeHtml(r.createdAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f0f0f0}td:nth-child(1),td:nth-child(3){text-align:left}.big{font-size:18px}
figure{display:inline-block;margin:0 16px 16px 0}figcaption{font-size:12px;color:#444}code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>Speech emotion stream — load test</h1>
<p>${escapeHtml(r.createdAt)} · <code>npm run loadtest -- ${escapeHtml(r.argv.join(' '))}</code></p>
<p>Machine: ${r.machine.cpus} × ${escapeHtml(r.machine.cpuModel)}, ${f(r.machine.totalMemoryGb, 0)} GB, load average ${f(r.machine.loadAverage1m, 2)} at start, Node ${escapeHtml(r.machine.node)}. Clips: ${r.clips.count} from <code>${escapeHtml(r.clips.dir)}</code> (${f(r.clips.loopSeconds)} s loop).</p>
${capacity === '' ? '' : `<h2>Capacity</h2><ul>${capacity}</ul>`}${comparison}
<h2>Latency versus streams</h2>
${curve}
<h2>Latency histograms</h2>
${histograms}
<h2>Trials</h2>
<table><thead><tr>${TABLE_HEAD.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${r.trials.map(trialRow).join('\n')}
</tbody></table>
${warnings.length > 0 ? `<h2>Warnings</h2><ul>${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<p>Latency = arrival of a result − send time of the chunk holding its last contributing sample (<code>endMs</code>), both on the generator's clock.
“From hop end” measures from the chunk that completed the result's hop instead: the server's turnaround alone; the difference is audio the result waited for but did not use (“endMs lag”, e.g. frames left over from the model's step). Full figures in report.json.</p>
</body></html>
`;
}

/** Writes `data` as report.json (non-finite numbers as null) and `html` as report.html into `dir`. */
export async function writeReportFiles(dir: string, data: unknown, html: string): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, 'report.json'), html: join(dir, 'report.html') };
  const replacer = (_key: string, value: unknown): unknown =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value;
  await writeFile(paths.json, `${JSON.stringify(data, replacer, 2)}\n`);
  await writeFile(paths.html, html);
  return paths;
}

/** Writes report.json and report.html into `dir`; returns their paths. */
export function writeReports(dir: string, report: LoadtestReport): Promise<{ json: string; html: string }> {
  return writeReportFiles(dir, report, renderHtml(report));
}
