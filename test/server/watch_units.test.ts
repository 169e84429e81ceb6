/**
 * The watch hub without sockets: replay of a bounded history, channel state, the watcher
 * limit, a slow watcher dropped with `slow_consumer` while the others (and the publisher)
 * carry on, and the SSE sink's bound on unsent bytes against a fake response whose
 * buffer the test controls (over loopback the kernel's buffers hold megabytes first; see
 * session_limits.test.ts).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Response } from 'express';
import type { EmotionMessage } from '../../shared/protocol.js';
import { WatchRegistry } from '../../server/watch/registry.js';
import { sseSink } from '../../server/watch/sse_sink.js';
import type { WatcherSink } from '../../server/watch/watched_session.js';

class FakeSink implements WatcherSink {
  readonly texts: string[] = [];
  ended: string | null = null;
  dropped: string | null = null;
  constructor(private capacity = Number.POSITIVE_INFINITY) {}
  write(text: string): boolean {
    if (this.texts.length >= this.capacity) return false;
    this.texts.push(text);
    return true;
  }
  end(text: string): void {
    this.ended = text;
  }
  drop(text: string): void {
    this.dropped = text;
  }
  get types(): string[] {
    return this.texts.map((t) => (JSON.parse(t) as { type: string }).type);
  }
}

function emotion(seq: number, channel: number, top: string): EmotionMessage {
  return { type: 'emotion', seq, startMs: seq * 250, endMs: seq * 250 + 240, probs: { [top]: 1 }, top, confidence: 1, voiced: true, arousal: 0.5, valence: -0.5, channel };
}

function publish(watched: ReturnType<WatchRegistry['open']>, message: EmotionMessage): void {
  watched.publish(message, JSON.stringify(message));
}

const INIT = { id: 's1', source: 'stream' as const, externalIds: { callId: 'c-1' }, channelMode: 'separate' as const, channels: 2, channelLabels: ['agent', 'caller'] };

describe('WatchRegistry and WatchedSession', () => {
  it('lists sessions with each channel\'s latest state, filtered by external ids', () => {
    const registry = new WatchRegistry({ historyMessages: 4, maxWatchers: 2 });
    const watched = registry.open(INIT);
    publish(watched, emotion(0, 1, 'angry'));
    const [info] = registry.list({ callId: 'c-1' });
    assert.equal(info?.channels[1]?.top, 'angry');
    assert.equal(info?.channels[1]?.channelLabel, 'caller');
    assert.equal(info?.channels[0]?.top, null);
    assert.deepEqual(registry.list({ callId: 'other' }), []);
    registry.close('s1', 'completed');
    assert.deepEqual(registry.list(), []);
    assert.equal(registry.get('s1'), undefined);
  });

  it('replays at most historyMessages, oldest first, then streams live; ends with `ended`', () => {
    const registry = new WatchRegistry({ historyMessages: 3, maxWatchers: 2 });
    const watched = registry.open(INIT);
    for (let i = 0; i < 5; i += 1) publish(watched, emotion(i, 0, 'calm'));
    const sink = new FakeSink();
    assert.equal(watched.subscribe(sink).ok, true);
    publish(watched, emotion(5, 0, 'calm'));
    const seqs = sink.texts.slice(1).map((t) => (JSON.parse(t) as EmotionMessage).seq);
    assert.deepEqual(seqs, [2, 3, 4, 5]);
    assert.equal((JSON.parse(sink.texts[0] ?? '{}') as { replayed: number }).replayed, 3);
    registry.close('s1', 'completed');
    assert.deepEqual(JSON.parse(sink.ended ?? '{}'), { type: 'ended', outcome: 'completed' });
  });

  it('limits watchers per session', () => {
    const registry = new WatchRegistry({ historyMessages: 3, maxWatchers: 1 });
    const watched = registry.open(INIT);
    assert.equal(watched.subscribe(new FakeSink()).ok, true);
    assert.deepEqual(watched.subscribe(new FakeSink()), { ok: false, reason: 'too_many_watchers' });
  });

  it('drops a slow watcher with slow_consumer; the others keep everything', () => {
    const drops: string[] = [];
    const registry = new WatchRegistry({ historyMessages: 0, maxWatchers: 3 }, (reason) => drops.push(reason));
    const watched = registry.open(INIT);
    const slow = new FakeSink(3);
    const fast = new FakeSink();
    watched.subscribe(slow);
    watched.subscribe(fast);
    for (let i = 0; i < 10; i += 1) publish(watched, emotion(i, 0, 'sad'));
    assert.deepEqual(drops, ['slow_consumer']);
    assert.equal((JSON.parse(slow.dropped ?? '{}') as { code: string }).code, 'slow_consumer');
    assert.equal(slow.texts.length, 3);
    assert.equal(fast.texts.length, 11);
    assert.equal(watched.watcherCount, 1);
  });
});

/** The parts of an express Response the SSE sink uses; `writableLength` is the test's to set. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  readonly written: string[] = [];
  endedWith: string | null = null;
  destroyed = false;
  headers: Record<string, string> = {};
  status(): this {
    return this;
  }
  set(headers: Record<string, string>): this {
    this.headers = headers;
    return this;
  }
  flushHeaders(): void {}
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  end(text: string): void {
    this.endedWith = text;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

describe('sseSink', () => {
  it('writes data events, refuses past maxUnsentBytes, ends once', () => {
    const res = new FakeResponse();
    let closes = 0;
    const sink = sseSink(res as unknown as Response, { maxUnsentBytes: 100, keepAliveMs: 60_000, onClose: () => (closes += 1) });
    assert.equal(res.headers['Content-Type'], 'text/event-stream; charset=utf-8');
    assert.equal(sink.write('{"type":"emotion"}'), true);
    assert.deepEqual(res.written, ['data: {"type":"emotion"}\n\n']);
    res.writableLength = 101;
    assert.equal(sink.write('{"type":"emotion"}'), false);
    assert.equal(res.written.length, 1);
    sink.drop('{"type":"error"}');
    assert.equal(res.endedWith, 'data: {"type":"error"}\n\n');
    sink.end('{"type":"ended"}');
    res.emit('close');
    assert.equal(closes, 1);
  });
});

describe('a watcher that throws', () => {
  it('is dropped like a slow one; the publisher and the other watchers carry on', () => {
    const drops: string[] = [];
    const registry = new WatchRegistry({ historyMessages: 2, maxWatchers: 3 }, (reason) => drops.push(reason));
    const watched = registry.open(INIT);
    const broken: WatcherSink = {
      write: () => {
        throw new Error('socket gone');
      },
      end: () => {
        throw new Error('socket gone');
      },
      drop: () => {
        throw new Error('socket gone');
      },
    };
    const fine = new FakeSink();
    watched.subscribe(fine);
    watched.subscribe(broken);
    assert.doesNotThrow(() => publish(watched, emotion(0, 0, 'sad')));
    assert.deepEqual(drops, ['slow_consumer']);
    assert.equal(fine.types.at(-1), 'emotion');
    assert.doesNotThrow(() => registry.close('s1', 'completed'));
  });
});
