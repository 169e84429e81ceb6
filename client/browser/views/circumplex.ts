/**
 * Arousal/valence on Russell's circumplex: valence left (unpleasant) to right (pleasant),
 * arousal bottom (calm) to top (excited). Each label sits at its shared/affect.ts
 * coordinates in its colour; the current point glows, with a fading trail of recent ones.
 */
import { affectOfLabel } from '../../../shared/affect.js';
import { colorOf } from '../../palette.js';
import { fitCanvas, withAlpha } from './canvas.js';

/** Recent points kept for the trail. */
const TRAIL_POINTS = 24;
/** Margin around the circle, CSS px (room for the axis words). */
const MARGIN_PX = 22;

export class CircumplexView {
  private labels: readonly string[] = [];
  private trail: { arousal: number; valence: number; voiced: boolean }[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(labels: readonly string[]): void {
    this.labels = labels;
    this.trail = [];
    this.draw();
  }

  push(arousal: number, valence: number, voiced: boolean): void {
    this.trail.push({ arousal, valence, voiced });
    if (this.trail.length > TRAIL_POINTS) this.trail.shift();
    this.draw();
  }

  private draw(): void {
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    const { ctx, width, height } = fit;
    const cx = width / 2;
    const cy = height / 2;
    const r = Math.max(10, Math.min(width, height) / 2 - MARGIN_PX);
    const px = (valence: number): number => cx + valence * r;
    const py = (arousal: number): number => cy - arousal * r;

    const glow = ctx.createRadialGradient(cx, cy, 0, cx, cy, r);
    glow.addColorStop(0, 'rgba(148,163,184,0.10)');
    glow.addColorStop(1, 'rgba(148,163,184,0.02)');
    ctx.fillStyle = glow;
    ctx.strokeStyle = 'rgba(255,255,255,0.12)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(cx - r, cy);
    ctx.lineTo(cx + r, cy);
    ctx.moveTo(cx, cy - r);
    ctx.lineTo(cx, cy + r);
    ctx.stroke();

    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = 'rgba(226,232,240,0.45)';
    ctx.textAlign = 'center';
    ctx.fillText('AROUSED', cx, cy - r - 8);
    ctx.fillText('CALM', cx, cy + r + 15);
    ctx.textAlign = 'right';
    ctx.fillText('−', cx - r - 6, cy + 4);
    ctx.textAlign = 'left';
    ctx.fillText('+', cx + r + 6, cy + 4);

    ctx.font = '11px system-ui, sans-serif';
    for (const label of this.labels) {
      const a = affectOfLabel(label);
      const color = colorOf(label);
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(px(a.valence), py(a.arousal), 3.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = withAlpha(color, 0.9);
      ctx.textAlign = a.valence >= 0 ? 'left' : 'right';
      ctx.fillText(label, px(a.valence) + (a.valence >= 0 ? 7 : -7), py(a.arousal) + 4);
    }

    this.trail.forEach((p, i) => {
      const last = i === this.trail.length - 1;
      const alpha = (i + 1) / this.trail.length;
      ctx.fillStyle = last ? '#ffffff' : `rgba(255,255,255,${(alpha * 0.35).toFixed(3)})`;
      if (last) {
        ctx.shadowColor = 'rgba(255,255,255,0.8)';
        ctx.shadowBlur = 14;
      }
      ctx.beginPath();
      ctx.arc(px(p.valence), py(p.arousal), last ? 6 : 2.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.shadowBlur = 0;
    });
  }
}
