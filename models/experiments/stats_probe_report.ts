/**
 * Summary of a stats_probe.ts log: per candidate the fused UAR per fold, mean ± sd over the
 * folds, wideband and telephone, and its per-fold differences against the `base` candidate
 * (the served 80 statistics, one 64-unit head). A candidate is a gain when the mean of its
 * wideband and telephone difference is ≥ 1 point and that mean improves at least 4 of 5 folds.
 *
 *   node --import tsx models/experiments/stats_probe_report.ts <probe log>
 */
import { readFileSync } from 'node:fs';

interface Row { statsWide: number; statsTel: number; fusedWide: number; fusedTel: number }

const LINE = /^fold (\d+) (\S+) \((\d+) stats.*stats wide ([\d.]+) tel ([\d.]+) \| fused wide ([\d.]+) tel ([\d.]+)/;
const NET = /^fold (\d+): .*net wide ([\d.]+) tel ([\d.]+)/;

function meanSd(v: readonly number[]): string {
  const m = v.reduce((a, x) => a + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(v.length - 1, 1));
  return `${m.toFixed(1)} ± ${sd.toFixed(1)}`;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error('expected a probe log path');
  const rows = new Map<string, Map<number, Row>>();
  const dims = new Map<string, number>();
  const net = new Map<number, [number, number]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const n = NET.exec(line);
    if (n !== null) net.set(Number(n[1]), [Number(n[2]), Number(n[3])]);
    const m = LINE.exec(line);
    if (m === null) continue;
    const [, fold, name, dim, sw, st, fw, ft] = m;
    if (!rows.has(name!)) rows.set(name!, new Map());
    dims.set(name!, Number(dim));
    rows.get(name!)!.set(Number(fold), { statsWide: Number(sw), statsTel: Number(st), fusedWide: Number(fw), fusedTel: Number(ft) });
  }
  const base = rows.get('base');
  if (base === undefined) throw new Error('expected a base candidate in the log');
  const folds = [...base.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  const netFolds = folds.filter((k) => net.has(k));
  out.push(`network alone (${netFolds.length} folds): wide ${meanSd(netFolds.map((k) => net.get(k)![0]))}, tel ${meanSd(netFolds.map((k) => net.get(k)![1]))}`);
  out.push('');
  out.push(`| candidate | stats | folds | head alone wide / tel | fused wide | fused tel | Δ wide per fold | Δ tel per fold | Δ mean(wide, tel) | folds better | verdict |`);
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, byFold] of rows) {
    const ks = folds.filter((k) => byFold.has(k));
    const r = ks.map((k) => byFold.get(k)!);
    const b = ks.map((k) => base.get(k)!);
    const dw = r.map((x, i) => x.fusedWide - b[i]!.fusedWide);
    const dt = r.map((x, i) => x.fusedTel - b[i]!.fusedTel);
    const dm = dw.map((d, i) => (d + dt[i]!) / 2);
    const meanGain = dm.reduce((a, x) => a + x, 0) / Math.max(dm.length, 1);
    const better = dm.filter((d) => d > 0).length;
    const verdict = name === 'base' ? '(reference)' : ks.length < 5 ? `incomplete (${ks.length} folds)` : meanGain >= 1 && better >= 4 ? 'GAIN' : 'no gain';
    out.push(`| ${name} | ${dims.get(name)} | ${ks.join(',')} | ${meanSd(r.map((x) => x.statsWide))} / ${meanSd(r.map((x) => x.statsTel))} | ${meanSd(r.map((x) => x.fusedWide))} | ${meanSd(r.map((x) => x.fusedTel))} | ${dw.map(signed).join(' ')} | ${dt.map(signed).join(' ')} | ${signed(meanGain)} | ${better}/${ks.length} | ${verdict} |`);
  }
  console.log(out.join('\n'));
}

main();
