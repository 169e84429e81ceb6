/**
 * The live view: header status (connection, latency, audio sent, session), the top
 * emotion, bars, circumplex and timeline, and the notice box. Knows nothing about where
 * results come from; app.ts feeds it. Mirrors its state onto <body data-*> so tests (and
 * CSS) can read it: data-state, data-results (results shown), data-summary.
 */
import type { ClientState, EmotionResult } from '../sdk/index.js';
import type { ReadyMessage, SummaryMessage } from '../../shared/protocol.js';
import { EMOTION_COLORS, colorOf } from '../palette.js';
import type { Notice } from './error_text.js';
import { BarsView } from './views/bars.js';
import { CircumplexView } from './views/circumplex.js';
import { TimelineView } from './views/timeline.js';

/** Results over which the displayed latency is the median. */
const LATENCY_WINDOW = 20;

const STATE_TEXT: Record<ClientState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Connected',
  starting: 'Starting…',
  streaming: 'Live',
  ending: 'Finishing…',
  reconnecting: 'Reconnecting…',
  closed: 'Finished',
  failed: 'Connection failed',
};

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

export class Dashboard {
  private readonly bars = new BarsView(byId('bars'));
  private readonly timeline = new TimelineView(byId<HTMLCanvasElement>('timeline'));
  private readonly circumplex = new CircumplexView(byId<HTMLCanvasElement>('circumplex'));
  private readonly latencies: number[] = [];
  /** Display-time offset of the current session, ms (a replacement session continues the timeline). */
  private offsetMs = 0;
  private results = 0;

  constructor() {
    this.reset(Object.keys(EMOTION_COLORS));
  }

  /** A fresh view for a new stream with the model's labels. */
  reset(labels: readonly string[]): void {
    this.bars.reset(labels);
    this.timeline.reset(labels);
    this.circumplex.reset(labels);
    this.latencies.length = 0;
    this.offsetMs = 0;
    this.results = 0;
    document.body.dataset.results = '0';
    delete document.body.dataset.summary;
    byId('legend').replaceChildren(
      ...labels.map((label) => {
        const item = document.createElement('span');
        item.style.setProperty('--emotion', colorOf(label));
        item.append(document.createElement('i'), label);
        return item;
      }),
    );
    this.setText('top-label', '—');
    this.setText('top-conf', '–');
    this.setText('latency', '–');
    this.setText('arousal', '–');
    this.setText('valence', '–');
    this.setVoiced(false);
  }

  /** Header session id and the Stream facts (model, input format, hop). */
  showSession(ready: ReadyMessage, input?: { sampleRateHz: number; encoding: string }): void {
    const el = byId('session');
    el.textContent = ready.sessionId.slice(0, 8);
    el.title = ready.sessionId;
    this.setText('info-model', ready.model.id);
    if (input) this.setText('info-input', `${(input.sampleRateHz / 1000).toFixed(1)} kHz · ${input.encoding}`);
    this.setText('info-hop', `${ready.hopMs} ms · smoothing ${ready.smoothing}`);
  }

  /** Continues the timeline after a replacement session (whose stream time restarts at 0). */
  continueAfterReconnect(ready: ReadyMessage): void {
    this.offsetMs = this.timeline.endMs;
    this.showSession(ready);
  }

  showResult(result: EmotionResult): void {
    this.results++;
    document.body.dataset.results = String(this.results);
    this.bars.update(result.probs, result.top);
    this.timeline.push(this.offsetMs + result.endMs, result.probs, result.voiced);
    this.circumplex.push(result.arousal, result.valence, result.voiced);
    const top = byId('top-label');
    top.textContent = result.top;
    top.style.setProperty('--emotion', colorOf(result.top));
    this.setText('top-conf', `${Math.round(result.confidence * 100)}%`);
    this.setText('arousal', result.arousal.toFixed(2));
    this.setText('valence', result.valence.toFixed(2));
    this.setVoiced(result.voiced);
    if (result.latencyMs !== null) {
      this.latencies.push(result.latencyMs);
      if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
      const sorted = [...this.latencies].sort((a, b) => a - b);
      this.setText('latency', `${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms`);
    }
  }

  showSummary(summary: SummaryMessage): void {
    document.body.dataset.summary = summary.dominant;
    const voiced = (summary.voicedMs / 1000).toFixed(1);
    const total = (summary.durationMs / 1000).toFixed(1);
    const mean = Math.round((summary.mean[summary.dominant] ?? 0) * 100);
    this.notice({
      level: 'info',
      title: `Done · mostly ${summary.dominant}`,
      detail: `${voiced} s voiced of ${total} s; mean ${summary.dominant} probability ${mean}% over voiced audio; ${summary.segments.length} segment(s).`,
    });
  }

  setState(state: ClientState): void {
    document.body.dataset.state = state;
    byId('conn').dataset.state = state;
    this.setText('conn-text', STATE_TEXT[state]);
  }

  setSentSeconds(seconds: number): void {
    this.setText('sent', `${seconds.toFixed(1)} s`);
  }

  notice(notice: Notice | null): void {
    const box = byId('notice');
    box.hidden = notice === null;
    if (!notice) return;
    box.dataset.level = notice.level;
    this.setText('notice-title', notice.title);
    this.setText('notice-detail', notice.detail);
    this.setText('notice-code', notice.code ? `code: ${notice.code}` : '');
  }

  private setVoiced(voiced: boolean): void {
    const el = byId('voiced');
    el.dataset.voiced = String(voiced);
    el.textContent = voiced ? 'voiced' : 'silent';
  }

  private setText(id: string, text: string): void {
    byId(id).textContent = text;
  }
}
