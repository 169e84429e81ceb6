/**
 * Scrolling timeline of the rolling probabilities: a stacked area per label (same colours
 * as the bars) over the last `WINDOW_MS` of stream time, with a strip below that marks
 * voiced (lit) and silent (dark) hops. Redrawn on animation frames when something changed.
 */
import { colorOf } from '../../palette.js';
import { fitCanvas, withAlpha } from './canvas.js';

/** Stream time shown, ms. */
const WINDOW_MS = 30_000;
/** Height of the voiced/silent strip, CSS px. */
const STRIP_PX = 6;
/** Space for the time axis labels, CSS px. */
const AXIS_PX = 18;
/** Grid line spacing, ms; the wider one below `NARROW_PX` of plot width so labels never collide. */
const GRID_MS = 5_000;
const NARROW_GRID_MS = 10_000;
const NARROW_PX = 600;
/** Width given to the first hop's strip segment, which has no predecessor, ms (the default hop). */
const FIRST_HOP_MS = 250;

interface Point {
  /** Display time, ms: stream time plus the offset of its session. */
  tMs: number;
  probs: number[];
  voiced: boolean;
}

export class TimelineView {
  private labels: readonly string[] = [];
  private points: Point[] = [];
  private frameRequested = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  reset(labels: readonly string[]): void {
    this.labels = labels;
    this.points = [];
    this.requestDraw();
  }

  /** Display time of the newest point, ms (where a replacement session continues). */
  get endMs(): number {
    return this.points.at(-1)?.tMs ?? 0;
  }

  push(endMs: number, probs: Readonly<Record<string, number>>, voiced: boolean): void {
    this.points.push({ tMs: endMs, probs: this.labels.map((l) => probs[l] ?? 0), voiced });
    const oldest = endMs - WINDOW_MS * 1.1;
    while ((this.points[0]?.tMs ?? Infinity) < oldest) this.points.shift();
    this.requestDraw();
  }

  private requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  private draw(): void {
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    const { ctx, width, height } = fit;
    const plotH = height - STRIP_PX - AXIS_PX - 4;
    const endMs = Math.max(WINDOW_MS, this.endMs);
    const startMs = endMs - WINDOW_MS;
    const x = (t: number): number => ((t - startMs) / WINDOW_MS) * width;

    ctx.strokeStyle = 'rgba(255,255,255,0.06)';
    ctx.fillStyle = 'rgba(226,232,240,0.45)';
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    const gridMs = width < NARROW_PX ? NARROW_GRID_MS : GRID_MS;
    for (let t = Math.ceil(startMs / gridMs) * gridMs; t <= endMs; t += gridMs) {
      ctx.beginPath();
      ctx.moveTo(Math.round(x(t)) + 0.5, 0);
      ctx.lineTo(Math.round(x(t)) + 0.5, plotH);
      ctx.stroke();
      ctx.fillText(`${Math.round(t / 1000)} s`, Math.min(width - 28, x(t) + 3), height - 4);
    }
    const pts = this.points;
    if (pts.length < 2) {
      ctx.fillText('Results will scroll here', 12, plotH / 2);
      return;
    }
    // Stacked areas, bottom label first: the band of label k lies between cumulative sums k-1 and k.
    const lower = new Float64Array(pts.length);
    this.labels.forEach((label, k) => {
      const upper = pts.map((p, i) => (lower[i] ?? 0) + (p.probs[k] ?? 0));
      ctx.beginPath();
      pts.forEach((p, i) => ctx.lineTo(x(p.tMs), plotH * (1 - (upper[i] ?? 0))));
      for (let i = pts.length - 1; i >= 0; i--) ctx.lineTo(x((pts[i] as Point).tMs), plotH * (1 - (lower[i] ?? 0)));
      ctx.closePath();
      ctx.fillStyle = withAlpha(colorOf(label), 0.85);
      ctx.fill();
      upper.forEach((u, i) => (lower[i] = u));
    });
    // Voiced strip: each hop coloured from its predecessor's time to its own.
    const stripY = plotH + 4;
    pts.forEach((p, i) => {
      const prev = i > 0 ? (pts[i - 1] as Point).tMs : p.tMs - FIRST_HOP_MS;
      // Whole pixels, so neighbouring hops meet without hairline gaps.
      const left = Math.floor(x(prev));
      ctx.fillStyle = p.voiced ? '#4ade80' : '#263041'; // opaque: overlapping edges must not darken
      ctx.fillRect(left, stripY, Math.max(1, Math.ceil(x(p.tMs)) - left), STRIP_PX);
    });
  }
}
