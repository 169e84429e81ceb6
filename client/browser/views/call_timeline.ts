/**
 * One call's whole timeline (the wallboard's detail view): per channel, a strip coloured by
 * the top emotion of each hop (dim when silent), with arousal (solid) and valence (dashed)
 * drawn over it on a −1…1 scale; the x axis spans the whole call so far.
 */
import { colorOf } from '../../palette.js';
import type { ChannelTrack } from '../wallboard_model.js';
import { fitCanvas, withAlpha } from './canvas.js';

/** Space for each channel's name, CSS px. */
const LABEL_PX = 70;
/** Gap between channel rows, CSS px. */
const ROW_GAP_PX = 10;

export function drawCallTimeline(canvas: HTMLCanvasElement, tracks: readonly ChannelTrack[]): void {
  const fitted = fitCanvas(canvas);
  if (fitted === null || tracks.length === 0) return;
  const { ctx, width, height } = fitted;
  const endMs = Math.max(1, ...tracks.map((t) => t.timeline.at(-1)?.endMs ?? 0));
  const firstMs = Math.min(...tracks.map((t) => t.timeline[0]?.startMs ?? 0));
  const plotWidth = Math.max(1, width - LABEL_PX);
  const x = (ms: number): number => LABEL_PX + ((ms - firstMs) / Math.max(1, endMs - firstMs)) * plotWidth;
  const rowHeight = (height - ROW_GAP_PX * (tracks.length - 1)) / tracks.length;
  ctx.font = '12px system-ui, sans-serif';
  tracks.forEach((track, row) => {
    const top = row * (rowHeight + ROW_GAP_PX);
    const y = (v: number): number => top + ((1 - v) / 2) * rowHeight;
    ctx.fillStyle = '#c9d1d9';
    ctx.fillText(track.label, 4, top + rowHeight / 2 + 4);
    track.timeline.forEach((p, i) => {
      // A hop spans to the next one's start (its endMs may trail the boundary by a model step).
      const untilMs = track.timeline[i + 1]?.startMs ?? p.endMs;
      ctx.fillStyle = withAlpha(colorOf(p.top), p.voiced ? 0.55 : 0.12);
      ctx.fillRect(x(p.startMs), top, Math.max(1, x(untilMs) - x(p.startMs)), rowHeight);
    });
    ctx.strokeStyle = 'rgba(255,255,255,0.25)';
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(LABEL_PX, y(0));
    ctx.lineTo(width, y(0));
    ctx.stroke();
    for (const [key, dash] of [['arousal', []], ['valence', [5, 4]]] as const) {
      ctx.strokeStyle = '#f5f7fa';
      ctx.lineWidth = 1.5;
      ctx.setLineDash(dash);
      ctx.beginPath();
      track.timeline.forEach((p, i) => {
        const px = x(p.endMs);
        if (i === 0) ctx.moveTo(px, y(p[key]));
        else ctx.lineTo(px, y(p[key]));
      });
      ctx.stroke();
    }
    ctx.setLineDash([]);
  });
}
