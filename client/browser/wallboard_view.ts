/**
 * The wallboard's DOM: one tile per live call (its name, duration, a highlight badge, and
 * per channel the top emotion, confidence, arousal/valence and their trend as a sparkline),
 * and the detail panel with the call's whole timeline. Built with DOM calls (no innerHTML:
 * ids and labels come from the network).
 */
import { colorOf } from '../palette.js';
import type { CallModel, ChannelTrack } from './wallboard_model.js';
import { drawCallTimeline } from './views/call_timeline.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Sparkline size, SVG units. */
const SPARK_W = 120;
const SPARK_H = 28;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== '') node.textContent = text;
  return node;
}

export function callName(model: CallModel): string {
  const ids = model.info.externalIds;
  return ids.callId ?? ids.callSid ?? ids.streamSid ?? model.info.id.slice(0, 8);
}

export function durationText(startedAt: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(startedAt)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function sparkline(track: ChannelTrack): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-label', 'arousal and valence trend');
  const n = track.trend.length;
  for (const key of ['arousal', 'valence'] as const) {
    const line = document.createElementNS(SVG_NS, 'polyline');
    const points = track.trend.map((p, i) => `${((i / Math.max(1, n - 1)) * SPARK_W).toFixed(1)},${(((1 - p[key]) / 2) * SPARK_H).toFixed(1)}`);
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', key);
    svg.append(line);
  }
  return svg;
}

function channelRow(track: ChannelTrack): HTMLElement {
  const row = el('div', 'channel');
  row.dataset.channel = String(track.channel);
  const latest = track.latest;
  row.append(el('span', 'who', track.label));
  const top = el('span', 'top', latest === null ? '…' : latest.top);
  if (latest !== null) {
    top.style.color = colorOf(latest.top);
    row.dataset.top = latest.top;
    row.dataset.voiced = String(latest.voiced);
  }
  row.append(top);
  row.append(el('span', 'conf', latest === null ? '' : `${Math.round(latest.confidence * 100)}%`));
  row.append(el('span', 'av', latest === null ? '' : `a ${latest.arousal.toFixed(2)} · v ${latest.valence.toFixed(2)}`));
  row.append(sparkline(track));
  return row;
}

/** Renders `model` into its tile (created on first use). */
export function renderTile(tile: HTMLElement, model: CallModel, nowMs: number): void {
  tile.dataset.session = model.info.id;
  tile.dataset.highlight = String(model.highlighted);
  tile.dataset.ended = String(model.ended !== null);
  tile.title = model.highlightReason;
  const head = el('div', 'tile-head');
  head.append(el('strong', 'name', callName(model)));
  head.append(el('span', 'source', model.info.source));
  head.append(el('span', 'duration', model.ended === null ? durationText(model.info.startedAt, nowMs) : 'ended'));
  const badge = el('div', 'badge', model.highlightReason);
  badge.hidden = !model.highlighted;
  tile.replaceChildren(head, badge, ...model.channels.map(channelRow));
}

/** The detail panel for one call: its name and the whole timeline. */
export function renderDetail(panel: HTMLElement, canvas: HTMLCanvasElement, model: CallModel): void {
  panel.hidden = false;
  panel.dataset.session = model.info.id;
  const title = panel.querySelector('.detail-title');
  if (title !== null) title.textContent = `${callName(model)} · ${model.channels.map((c) => c.label).join(' / ')}`;
  drawCallTimeline(canvas, model.channels);
}
