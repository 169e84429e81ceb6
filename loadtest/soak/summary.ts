/** The soak's terminal lines: one per sample while it runs, the verdict at the end. */
import type { SoakReport, SoakSample } from './types.js';

const f = (v: number | null, digits = 0): string => (v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));

export function formatSample(s: SoakSample): string {
  return (
    `t=${f(s.tSeconds)} s  open ${s.clientSessionsOpen} (server ${f(s.sessionsActive)})  RSS ${f(s.rssMb)} MB  heap ${f(s.heapUsedMb)} MB  ` +
    `tensors ${f(s.tensors)}  loop lag p99 ${f(s.eventLoopLagP99Ms, 1)} ms  latency p50/p95/p99 ${f(s.latency.p50Ms, 1)}/${f(s.latency.p95Ms, 1)}/${f(s.latency.p99Ms, 1)} ms (n=${s.latency.count})` +
    (s.hostCpu != null ? `  host busy ${f(s.hostCpu.busyPct)} % steal ${f(s.hostCpu.stealPct, 1)} %` : '')
  );
}

export function formatVerdict(r: SoakReport): string {
  const g = r.generator;
  const lines = [
    `soak verdict: ${r.verdict.pass ? 'PASS' : 'FAIL'} after ${(r.wallSeconds / 60).toFixed(1)} min ` +
      `(generator ${g.workers} worker(s), ${f(g.cpuCores, 2)} cores, send lateness p95 ${f(g.latenessP95Ms)} ms; load average ${f(r.machine.loadAverage1m, 2)} at start)`,
  ];
  for (const c of r.verdict.checks) lines.push(`  ${c.pass ? '✓' : '✗'} [${c.kind}] ${c.name}: ${c.detail}`);
  const p = r.verdict.partFloorSlopesMbPerMin;
  if (p != null) {
    lines.push(
      `  RSS floor slope by part, MB/min (not judged): main heap ${f(p.mainHeapMb, 2)}, worker heaps ${f(p.workerHeapMb, 2)}, ` +
        `external ${f(p.externalMb, 2)}, wasm ${f(p.wasmMb, 2)}, rest (native, allocator) ${f(p.rest, 2)}`,
    );
  }
  const steal = r.samples.flatMap((s) => (s.hostCpu != null ? [s.hostCpu.stealPct] : []));
  if (steal.length > 0) {
    const mean = steal.reduce((a, b) => a + b, 0) / steal.length;
    lines.push(`  host CPU steal per window (not judged): mean ${f(mean, 2)} %, max ${f(Math.max(...steal), 1)} %`);
  }
  return lines.join('\n');
}
