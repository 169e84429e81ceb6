/**
 * Two small inline-SVG charts for the HTML report, with no dependency: a bar histogram and
 * a multi-series line chart (optionally log-scaled x). Pure string builders.
 */
import { niceStep } from './stats.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const W = 640;
const H = 300;
const PAD = { left: 56, right: 16, top: 16, bottom: 44 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

function ticks(max: number, count = 5): number[] {
  const step = niceStep(max / count);
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(2);
}

function frame(xLabel: string, yLabel: string, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">` +
    `<rect x="${PAD.left}" y="${PAD.top}" width="${PLOT_W}" height="${PLOT_H}" fill="#fafafa" stroke="#ccc"/>` +
    body +
    `<text x="${PAD.left + PLOT_W / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${escapeHtml(xLabel)}</text>` +
    `<text x="14" y="${PAD.top + PLOT_H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${PAD.top + PLOT_H / 2})">${escapeHtml(yLabel)}</text>` +
    `</svg>`
  );
}

/** Bars of `counts` over bins of `binWidth` starting at `start`; optional vertical markers. */
export function histogramSvg(
  bins: { startMs: number; binWidthMs: number; counts: number[] },
  markers: Array<{ x: number; label: string; color: string }> = [],
  title = 'latency histogram',
): string {
  const n = bins.counts.length;
  const xMax = bins.startMs + bins.binWidthMs * n;
  const yMax = Math.max(1, ...bins.counts);
  const sx = (x: number): number => PAD.left + ((x - bins.startMs) / (xMax - bins.startMs)) * PLOT_W;
  const sy = (y: number): number => PAD.top + PLOT_H - (y / yMax) * PLOT_H;
  let body = '';
  bins.counts.forEach((c, i) => {
    const x0 = sx(bins.startMs + i * bins.binWidthMs);
    const x1 = sx(bins.startMs + (i + 1) * bins.binWidthMs);
    body += `<rect x="${x0.toFixed(1)}" y="${sy(c).toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 1).toFixed(1)}" height="${(PAD.top + PLOT_H - sy(c)).toFixed(1)}" fill="#4a7ab5"><title>${fmt(bins.startMs + i * bins.binWidthMs)}–${fmt(bins.startMs + (i + 1) * bins.binWidthMs)} ms: ${c}</title></rect>`;
  });
  for (const t of ticks(xMax)) {
    body += `<text x="${sx(t).toFixed(1)}" y="${PAD.top + PLOT_H + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`;
  }
  for (const t of ticks(yMax, 4)) {
    body += `<text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`;
  }
  for (const m of markers) {
    if (!(m.x >= bins.startMs && m.x <= xMax)) continue;
    body += `<line x1="${sx(m.x).toFixed(1)}" x2="${sx(m.x).toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + PLOT_H}" stroke="${m.color}" stroke-dasharray="4 3"/>`;
    body += `<text x="${(sx(m.x) + 3).toFixed(1)}" y="${PAD.top + 12}" font-size="11" fill="${m.color}">${escapeHtml(m.label)}</text>`;
  }
  return frame('end-to-end latency, ms', 'results', body, title);
}

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: Array<{ x: number; y: number }>;
}

/** Line chart; `logX` for stream counts that span decades; `hLine` for a budget. */
export function lineChartSvg(
  series: Series[],
  opts: { xLabel: string; yLabel: string; logX?: boolean; hLine?: { y: number; label: string }; title: string },
): string {
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && p.x > 0);
  const xs = pts.map((p) => p.x);
  const xMinRaw = xs.length > 0 ? Math.min(...xs) : 1;
  const xMaxRaw = xs.length > 0 ? Math.max(...xs) : 10;
  const logX = opts.logX ?? false;
  const tx = (x: number): number => (logX ? Math.log10(x) : x);
  const x0 = logX ? Math.floor(tx(xMinRaw)) : 0;
  const x1 = Math.max(x0 + 1e-9, logX ? Math.ceil(tx(xMaxRaw) + 1e-9) : xMaxRaw);
  const yMax = Math.max(1, ...pts.map((p) => p.y), (opts.hLine?.y ?? 0) * 1.1);
  const sx = (x: number): number => PAD.left + ((tx(x) - x0) / (x1 - x0)) * PLOT_W;
  const sy = (y: number): number => PAD.top + PLOT_H - (Math.min(y, yMax) / yMax) * PLOT_H;
  let body = '';
  const xTicks = logX ? Array.from({ length: x1 - x0 + 1 }, (_, i) => 10 ** (x0 + i)) : ticks(x1).filter((t) => t > 0);
  for (const t of xTicks) body += `<text x="${sx(t).toFixed(1)}" y="${PAD.top + PLOT_H + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`;
  for (const t of ticks(yMax, 5)) body += `<text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`;
  if (opts.hLine !== undefined) {
    const y = sy(opts.hLine.y).toFixed(1);
    body += `<line x1="${PAD.left}" x2="${PAD.left + PLOT_W}" y1="${y}" y2="${y}" stroke="#c33" stroke-dasharray="6 4"/>`;
    body += `<text x="${PAD.left + PLOT_W - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#c33">${escapeHtml(opts.hLine.label)}</text>`;
  }
  series.forEach((s, i) => {
    const sorted = s.points.filter((p) => Number.isFinite(p.y) && p.x > 0).sort((a, b) => a.x - b.x);
    if (sorted.length === 0) return;
    const d = sorted.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    body += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5 3"' : ''}/>`;
    for (const p of sorted) body += `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeHtml(s.label)}: ${fmt(p.x)} → ${fmt(p.y)}</title></circle>`;
    body += `<text x="${PAD.left + 8}" y="${PAD.top + 14 + i * 14}" font-size="11" fill="${s.color}">${escapeHtml(s.label)}</text>`;
  });
  return frame(opts.xLabel, opts.yLabel, body, opts.title);
}
