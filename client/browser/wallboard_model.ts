/**
 * The wallboard's state of one live call, from its watch stream (pure: no DOM, unit-tested):
 * each channel's latest result, a short arousal/valence trend for the tile, the whole
 * call's timeline (bounded) for the detail view, the server's raised alerts, and the
 * highlight: the caller's arousal at or above a level with negative valence ("negative
 * arousal") held for a configurable time of stream time, cleared after it has stayed away
 * for `releaseSeconds` (so one calm hop does not flicker the tile).
 */
import type { AlertMessage, EmotionMessage } from '../../shared/protocol.js';
import type { SessionInfo, WatchMessage } from '../../shared/watch.js';

export interface HighlightOptions {
  /** Arousal at or above this (with valence < 0) counts, in [-1, 1]. Default 0.3. */
  arousal: number;
  /** How long it must hold, s of stream time. Default 5. */
  seconds: number;
  /** How long it must stay away before the highlight clears, s. Default 1. */
  releaseSeconds: number;
}

export const DEFAULT_HIGHLIGHT: Readonly<HighlightOptions> = Object.freeze({ arousal: 0.3, seconds: 5, releaseSeconds: 1 });

/** Points kept for a tile's trend line (≈ 30 s at the default hop). */
export const TREND_POINTS = 120;
/** Results kept per channel for the call timeline (1 h at the default hop); older ones are dropped, oldest first. */
export const TIMELINE_POINTS = 14_400;

export interface TimelinePoint {
  startMs: number;
  endMs: number;
  top: string;
  voiced: boolean;
  arousal: number;
  valence: number;
}

export interface ChannelTrack {
  channel: number;
  label: string;
  latest: EmotionMessage | null;
  trend: TimelinePoint[];
  timeline: TimelinePoint[];
}

/** The channel the highlight watches: labelled caller/inbound, else the second of two, else the only one. */
export function callerChannel(info: Pick<SessionInfo, 'channels'>): number {
  const labelled = info.channels.find((c) => c.channelLabel === 'caller' || c.channelLabel === 'inbound');
  if (labelled !== undefined) return labelled.channel;
  return info.channels.length > 1 ? 1 : 0;
}

export class CallModel {
  info: SessionInfo;
  readonly channels: ChannelTrack[];
  /** Raised server alerts, by `${rule}@${channel}`. */
  readonly alerts = new Map<string, AlertMessage>();
  highlighted = false;
  /** Why the tile is highlighted, for its badge and title. */
  highlightReason = '';
  ended: string | null = null;
  private readonly caller: number;
  /** Start of the caller's current run of negative arousal, end of its last such hop, ms of stream time. */
  private heldSinceMs: number | null = null;
  private lastNegativeEndMs = 0;
  private awaySinceMs: number | null = null;
  private negativeOn = false;

  constructor(
    info: SessionInfo,
    private readonly options: HighlightOptions = DEFAULT_HIGHLIGHT,
  ) {
    this.info = info;
    this.caller = callerChannel(info);
    this.channels = info.channels.map((c) => ({ channel: c.channel, label: c.channelLabel ?? (info.channels.length > 1 ? `channel ${c.channel}` : 'call'), latest: null, trend: [], timeline: [] }));
  }

  /** One watch message; true when something shown changed. */
  apply(message: WatchMessage): boolean {
    switch (message.type) {
      case 'watching':
        this.info = message.session;
        return true;
      case 'emotion':
        this.onEmotion(message);
        return true;
      case 'alert': {
        const key = `${message.rule}@${message.channel ?? 0}`;
        if (message.state === 'raised') this.alerts.set(key, message);
        else this.alerts.delete(key);
        this.updateHighlight();
        return true;
      }
      case 'ended':
        this.ended = message.outcome;
        return true;
      default:
        return false;
    }
  }

  private onEmotion(message: EmotionMessage): void {
    const track = this.channels[message.channel ?? 0];
    if (track === undefined) return;
    track.latest = message;
    const point: TimelinePoint = { startMs: message.startMs, endMs: Math.max(message.endMs, message.startMs), top: message.top, voiced: message.voiced, arousal: message.arousal, valence: message.valence };
    track.trend.push(point);
    if (track.trend.length > TREND_POINTS) track.trend.shift();
    track.timeline.push(point);
    if (track.timeline.length > TIMELINE_POINTS) track.timeline.shift();
    if (track.channel === this.caller) this.trackCaller(point);
  }

  private trackCaller(point: TimelinePoint): void {
    const negative = point.voiced && point.arousal >= this.options.arousal && point.valence < 0;
    if (negative) {
      this.awaySinceMs = null;
      this.heldSinceMs ??= point.startMs;
      this.lastNegativeEndMs = point.endMs;
      if (this.lastNegativeEndMs - this.heldSinceMs >= this.options.seconds * 1000) this.negativeOn = true;
    } else {
      this.awaySinceMs ??= point.startMs;
      // Before the highlight is on, any break restarts the run; once on, it clears only after releaseSeconds away.
      if (!this.negativeOn || point.endMs - this.awaySinceMs >= this.options.releaseSeconds * 1000) {
        this.heldSinceMs = null;
        this.negativeOn = false;
      }
    }
    this.updateHighlight();
  }

  private updateHighlight(): void {
    const alert = [...this.alerts.values()][0];
    if (this.negativeOn) {
      this.highlighted = true;
      this.highlightReason = `caller tense for ${((this.lastNegativeEndMs - (this.heldSinceMs ?? 0)) / 1000).toFixed(0)} s`;
    } else if (alert !== undefined) {
      this.highlighted = true;
      this.highlightReason = `alert ${alert.rule}`;
    } else {
      this.highlighted = false;
      this.highlightReason = '';
    }
  }
}
