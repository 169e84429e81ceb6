/**
 * The supervisor's wallboard (served at /wallboard): every live call as a tile, refreshed
 * from `GET /v1/sessions` and fed by one watch stream per call (`GET /v1/sessions/{id}/events`);
 * a click opens the call's whole timeline. Page query parameters: ?url=http://… (server,
 * default this page's), ?token=… (API key), ?arousal=0.3 and ?seconds=5 (highlight a call
 * whose caller's arousal stays at or above that level, with negative valence, that long),
 * ?refreshMs=2000 (how often the list is read).
 */
import type { Subscription } from 'rxjs';
import type { SessionInfo } from '../../shared/watch.js';
import { listSessions, watch, type WatchOptions } from '../sdk/index.js';
import { CallModel, DEFAULT_HIGHLIGHT, type HighlightOptions } from './wallboard_model.js';
import { renderDetail, renderTile } from './wallboard_view.js';

/** How long an ended call stays on the board, ms. */
const ENDED_LINGER_MS = 5_000;
/** After a watch stream failed (e.g. the session's watcher limit), how long before that call is watched again, ms. */
const RETRY_WATCH_MS = 15_000;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const tilesEl = $('tiles');
const emptyEl = $('empty');
const detailEl = $('detail');
const detailCanvas = $<HTMLCanvasElement>('detail-canvas');
const statusEl = $('status');
const statusText = $('status-text');

const params = new URLSearchParams(location.search);
const num = (name: string, fallback: number): number => {
  const value = Number(params.get(name) ?? '');
  return params.has(name) && Number.isFinite(value) ? value : fallback;
};
const token = params.get('token') ?? undefined;
const connection: WatchOptions = { url: params.get('url') ?? location.origin, ...(token !== undefined ? { token } : {}) };
const highlight: HighlightOptions = { ...DEFAULT_HIGHLIGHT, arousal: num('arousal', DEFAULT_HIGHLIGHT.arousal), seconds: num('seconds', DEFAULT_HIGHLIGHT.seconds) };
const refreshMs = Math.max(250, num('refreshMs', 2_000));

interface Call {
  model: CallModel;
  tile: HTMLButtonElement;
  subscription: Subscription;
}

const calls = new Map<string, Call>();
/** Calls whose watch stream failed, and when to try them again (Date.now() ms). */
const retryAt = new Map<string, number>();
const dirty = new Set<string>();
let detailId: string | null = null;
let frameRequested = false;

function setStatus(state: 'ok' | 'error', text: string): void {
  statusEl.dataset.state = state === 'ok' ? 'streaming' : 'error';
  statusText.textContent = text;
}

function requestRender(id: string): void {
  dirty.add(id);
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(render);
}

function render(): void {
  frameRequested = false;
  const now = Date.now();
  for (const id of dirty) {
    const call = calls.get(id);
    if (call === undefined) continue;
    renderTile(call.tile, call.model, now);
    if (detailId === id) renderDetail(detailEl, detailCanvas, call.model);
  }
  dirty.clear();
  const live = [...calls.values()];
  $('count').textContent = String(live.filter((c) => c.model.ended === null).length);
  $('hot').textContent = String(live.filter((c) => c.model.highlighted).length);
  emptyEl.hidden = live.length > 0;
  document.body.dataset.calls = String(live.length);
}

function remove(id: string): void {
  const call = calls.get(id);
  if (call === undefined) return;
  call.subscription.unsubscribe();
  call.tile.remove();
  calls.delete(id);
  if (detailId === id) closeDetail();
  requestRender(id);
}

function ended(id: string, outcome: string): void {
  const call = calls.get(id);
  if (call === undefined) return;
  call.model.ended ??= outcome;
  requestRender(id);
  setTimeout(() => remove(id), ENDED_LINGER_MS);
}

function add(info: SessionInfo): void {
  const model = new CallModel(info, highlight);
  const tile = document.createElement('button');
  tile.type = 'button';
  tile.className = 'tile';
  tile.addEventListener('click', () => openDetail(info.id));
  tilesEl.append(tile);
  const subscription = watch(info.id, connection).subscribe({
    next: (message) => {
      if (model.apply(message)) requestRender(info.id);
    },
    complete: () => ended(info.id, model.ended ?? 'completed'),
    // The session may have ended between the list and the subscription (404), or this
    // watcher was dropped: the tile says so and goes.
    error: (err: unknown) => {
      retryAt.set(info.id, Date.now() + RETRY_WATCH_MS);
      ended(info.id, (err as { code?: string }).code ?? 'error');
    },
  });
  calls.set(info.id, { model, tile, subscription });
  requestRender(info.id);
}

function openDetail(id: string): void {
  detailId = id;
  requestRender(id);
}

function closeDetail(): void {
  detailId = null;
  detailEl.hidden = true;
}

$('detail-close').addEventListener('click', closeDetail);

async function refresh(): Promise<void> {
  try {
    const sessions = await listSessions(connection);
    setStatus('ok', 'Live');
    const now = Date.now();
    for (const info of sessions) {
      if (calls.has(info.id) || (retryAt.get(info.id) ?? 0) > now) continue;
      retryAt.delete(info.id);
      add(info);
    }
  } catch (err) {
    setStatus('error', err instanceof Error ? `${(err as { code?: string }).code ?? 'error'}: ${err.message}` : String(err));
  }
  render();
}

void refresh();
setInterval(() => void refresh(), refreshMs);
// Durations tick even when no result arrives.
setInterval(() => {
  for (const id of calls.keys()) requestRender(id);
}, 1_000);
