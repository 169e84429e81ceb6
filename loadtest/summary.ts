/** The terminal summary of a trial and of a whole report, as plain text lines. */
import type { CapacityRecord, LoadtestReport, TrialResult } from './types.js';

const f = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);

export function formatTrial(t: TrialResult): string {
  const lines: string[] = [];
  const verdict = t.pass ? 'PASS' : `FAIL (${t.failReasons.join('; ')})`;
  const calls = t.calls === undefined ? '' : ` (${t.calls} of them 8 kHz μ-law calls)`;
  lines.push(`── ${t.mode}: ${t.streams} streams${calls} × ${t.durationSeconds} s, hop ${t.hopMs} ms — ${verdict}`);
  const l = t.latency;
  lines.push(
    `  latency ms     p50 ${f(l.p50Ms)}  p90 ${f(l.p90Ms)}  p95 ${f(l.p95Ms)}  p99 ${f(l.p99Ms)}  max ${f(l.maxMs)}  (n=${l.count})`,
  );
  const h = t.latencyFromHopEnd;
  lines.push(`  from hop end   p50 ${f(h.p50Ms)}  p95 ${f(h.p95Ms)}  p99 ${f(h.p99Ms)}  max ${f(h.maxMs)}  (server turnaround without endMs staleness)`);
  if (t.latencyByKind !== undefined) {
    for (const [kind, k] of Object.entries(t.latencyByKind)) {
      lines.push(
        `  ${kind.padEnd(14)} p50 ${f(k.latency.p50Ms)}  p95 ${f(k.latency.p95Ms)}  p99 ${f(k.latency.p99Ms)}  max ${f(k.latency.maxMs)}  (n=${k.latency.count}); from hop end p95 ${f(k.latencyFromHopEnd.p95Ms)}`,
      );
    }
  }
  lines.push(
    `  throughput     ${f(t.resultsPerSecond)} results/s, ${f(t.audioSecondsPerSecond)} audio s/s over ${f(t.wallSeconds)} s`,
  );
  const errors = Object.entries(t.errorsByCode).map(([code, n]) => `${code}=${n}`);
  lines.push(
    `  sessions       ${t.sessionsStarted} started, ${t.sessionsCompleted} completed, ${t.sessionsRejected} rejected; errors ${errors.length > 0 ? errors.join(' ') : 'none'}`,
  );
  lines.push(
    `  coverage       ${t.missingResults} missing results, ${t.missingFinals} missing finals, ${t.missingSummaries} missing summaries, ${t.unmatchedResults} untraceable; results lag their hop end by ≤ ${f(t.maxResultStalenessMs, 0)} ms`,
  );
  const g = t.generator;
  lines.push(
    `  generator      ${g.workers} worker(s), ${f(g.cpuCores, 2)} cores, busy ${g.eventLoopUtilization.map((u) => `${Math.round(u * 100)}%`).join('/')}, ` +
      `send lateness ms p50 ${f(g.latenessMs.p50, 0)} p95 ${f(g.latenessMs.p95, 0)} p99 ${f(g.latenessMs.p99, 0)} max ${f(g.latenessMs.max, 0)}`,
  );
  const s = t.server;
  if (s !== null) {
    lines.push(
      `  server         ${s.mode ?? '?'} on ${s.engine ?? '?'}: ${f(s.cpuCores, 2)} cores${t.serverProcessCpuCores !== null ? ` (/proc ${f(t.serverProcessCpuCores, 2)})` : ''}, ` +
        `RTF ${f(s.realTimeFactor, 3)}, RSS ${f(s.residentMemoryMb, 0)} MB`,
    );
    lines.push(
      `  server batch   mean ${f(s.batchSize?.mean)} p95 ${f(s.batchSize?.p95)}; inference ms mean ${f(s.inferenceMs?.mean, 2)} p95 ${f(s.inferenceMs?.p95, 2)} (n=${s.inferenceMs?.count ?? '–'})`,
    );
    lines.push(
      `  server loop    lag ms p50 ${f(s.eventLoopLagMs?.p50)} p99 ${f(s.eventLoopLagMs?.p99)}; features ms mean ${f(s.featureExtractionMs?.mean, 3)}; own latency ms p95 ${f(s.serverLatencyMs?.p95)}`,
    );
  } else lines.push('  server         /metrics not available');
  for (const w of t.warnings) lines.push(`  warning        ${w}`);
  return lines.join('\n');
}

export function formatCapacity(c: CapacityRecord): string {
  const steps = c.steps.map((s) => `${s.streams}${s.pass ? '✓' : '✗'}`).join(' ');
  const bound = c.firstFailingStreams === null ? ' (search limit reached)' : `, ${c.firstFailingStreams} failed`;
  return `capacity ${c.mode}: ${c.capacityStreams} streams at p95 ≤ ${c.p95BudgetMs} ms${bound}  [${steps}]`;
}

export function formatReport(r: LoadtestReport): string {
  const lines = [
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, load ${r.machine.loadAverage1m.toFixed(2)} at start, node ${r.machine.node}`,
  ];
  for (const c of r.capacity) lines.push(formatCapacity(c));
  if (r.comparison !== null) {
    lines.push(
      `streaming ÷ naive capacity: ${r.comparison.streamingCapacity} ÷ ${r.comparison.naiveCapacity} = ${r.comparison.ratio === null ? '∞' : r.comparison.ratio.toFixed(1)}×`,
    );
  }
  return lines.join('\n');
}
