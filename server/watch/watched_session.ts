/**
 * One live session as watchers see it: what it is (ids, channels, start), each channel's
 * latest state, a bounded history of its recent messages, and its watchers.
 *
 * A watcher never affects the session: `publish` serialises nothing (the session hands over
 * the text it already sent), appends to a fixed-size ring, and offers the text to each
 * watcher's sink, which refuses it when the watcher has too much unsent — that watcher is
 * then dropped with `slow_consumer`, the others and the session carry on. Memory per
 * session: the ring (≤ `historyMessages` texts) and ≤ `maxWatchers` sinks.
 */
import type { ChannelMode, ServerMessage } from '../../shared/protocol.js';
import type { ChannelState, SessionInfo } from '../../shared/watch.js';

/** A watcher's end of the wire (SSE: sse_sink.ts). */
export interface WatcherSink {
  /** Queues one JSON message; false (and nothing queued) when the watcher is too far behind. */
  write(text: string): boolean;
  /** Ends the stream normally, after `text` (the `ended` message). */
  end(text: string): void;
  /** Drops the watcher with an error message (sent if the wire takes it). */
  drop(text: string): void;
}

export interface WatchedSessionInit {
  id: string;
  source: SessionInfo['source'];
  externalIds: Record<string, string>;
  channelMode: ChannelMode;
  /** Analysed channels (1 for 'mix'). */
  channels: number;
  channelLabels?: readonly string[];
}

export interface WatchLimits {
  /** Most messages kept for replay to a new watcher. */
  historyMessages: number;
  /** Most watchers at once. */
  maxWatchers: number;
}

export type SubscribeOutcome = { ok: true; unsubscribe: () => void } | { ok: false; reason: 'too_many_watchers' };

export class WatchedSession {
  readonly startedAt = new Date().toISOString();
  private readonly channelStates: ChannelState[];
  private readonly history: (string | undefined)[];
  /** Index of the oldest message in `history`, and how many it holds. */
  private historyStart = 0;
  private historyCount = 0;
  private readonly watchers = new Set<WatcherSink>();
  private ended = false;

  constructor(
    readonly init: WatchedSessionInit,
    private readonly limits: WatchLimits,
    private readonly onDrop: (reason: 'slow_consumer') => void,
  ) {
    this.history = new Array<string | undefined>(limits.historyMessages);
    this.channelStates = Array.from({ length: init.channels }, (_, channel) => {
      const state: ChannelState = { channel, top: null, confidence: null, arousal: null, valence: null, voiced: false, atMs: 0 };
      const label = init.channelLabels?.[channel];
      if (label !== undefined) state.channelLabel = label;
      return state;
    });
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  info(): SessionInfo {
    return {
      id: this.init.id,
      source: this.init.source,
      externalIds: { ...this.init.externalIds },
      channelMode: this.init.channelMode,
      channels: this.channelStates.map((s) => ({ ...s })),
      startedAt: this.startedAt,
      watchers: this.watchers.size,
    };
  }

  /** One message the session sent (`text` is its JSON). */
  publish(message: ServerMessage, text: string): void {
    if (this.ended || message.type === 'ready') return;
    if (message.type === 'emotion') {
      const state = this.channelStates[message.channel ?? 0];
      if (state !== undefined) {
        state.top = message.top;
        state.confidence = message.confidence;
        state.arousal = message.arousal;
        state.valence = message.valence;
        state.voiced = message.voiced;
        state.atMs = message.endMs;
      }
    }
    this.remember(text);
    for (const watcher of this.watchers) {
      if (!this.offer(watcher, text)) this.dropSlow(watcher);
    }
  }

  /** A sink that throws is treated as one that refused: its failure stays its own. */
  private offer(watcher: WatcherSink, text: string): boolean {
    try {
      return watcher.write(text);
    } catch {
      return false;
    }
  }

  /** Adds a watcher: the `watching` message and the history first, then live messages. */
  subscribe(sink: WatcherSink): SubscribeOutcome {
    if (this.watchers.size >= this.limits.maxWatchers) return { ok: false, reason: 'too_many_watchers' };
    const replay = this.recent();
    this.watchers.add(sink);
    const texts = [JSON.stringify({ type: 'watching', session: this.info(), replayed: replay.length }), ...replay];
    for (const text of texts) {
      if (!this.offer(sink, text)) {
        this.dropSlow(sink);
        break;
      }
    }
    return { ok: true, unsubscribe: () => this.watchers.delete(sink) };
  }

  /** The session is over: every watcher gets `ended` and its stream ends. Idempotent. */
  end(outcome: string): void {
    if (this.ended) return;
    this.ended = true;
    const text = JSON.stringify({ type: 'ended', outcome });
    for (const watcher of this.watchers) {
      try {
        watcher.end(text);
      } catch {
        // The watcher's connection is already gone; nothing to end.
      }
    }
    this.watchers.clear();
    this.history.fill(undefined);
  }

  private dropSlow(watcher: WatcherSink): void {
    if (!this.watchers.delete(watcher)) return;
    this.onDrop('slow_consumer');
    const text = JSON.stringify({
      type: 'error',
      code: 'slow_consumer',
      message: 'expected the watcher to read its events, got too many unsent; reconnect to watch again',
      retryable: true,
    });
    try {
      watcher.drop(text);
    } catch {
      // Its connection is already gone.
    }
  }

  private remember(text: string): void {
    const size = this.history.length;
    if (size === 0) return;
    this.history[(this.historyStart + this.historyCount) % size] = text;
    if (this.historyCount < size) this.historyCount += 1;
    else this.historyStart = (this.historyStart + 1) % size;
  }

  private recent(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.historyCount; i += 1) {
      const text = this.history[(this.historyStart + i) % this.history.length];
      if (text !== undefined) out.push(text);
    }
    return out;
  }
}
