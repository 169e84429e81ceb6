/**
 * pipeline/channels.ts without a model: each channel gets exactly its bytes (interleaved or
 * pre-split), results are tagged, the output completes after every channel, an error on one
 * channel fails the stream, unsubscribing releases every channel, and `answeredMs` is what
 * the backlog needs: the least hop end for interleaved audio, and not held back by a track
 * that stopped arriving.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, Subject, map, type OperatorFunction } from 'rxjs';
import type { EmotionResult } from '../../server/pipeline/result.js';
import type { AudioChunk } from '../../server/pipeline/types.js';
import { separateChannels, type ChannelResult } from '../../server/pipeline/channels.js';

/** 1 byte per sample at 1000 Hz: 1 byte = 1 ms. Each chunk becomes one result ending at the channel's ms so far. */
function echo(received: Uint8Array[][], opened: number[], closed: number[]): (channel: number) => OperatorFunction<AudioChunk, EmotionResult> {
  return (channel) => (source) =>
    new Observable<EmotionResult>((subscriber) => {
      opened.push(channel);
      let ms = 0;
      const sub = source
        .pipe(
          map((chunk): EmotionResult => {
            (received[channel] ??= []).push(chunk.bytes);
            ms += chunk.bytes.length;
            return { message: { type: 'emotion', seq: 0, startMs: 0, endMs: ms, probs: {}, top: '', confidence: 0, voiced: false, arousal: 0, valence: 0 }, arrivedAtMs: 0, hopEndMs: ms };
          }),
        )
        .subscribe(subscriber);
      return () => {
        closed.push(channel);
        sub.unsubscribe();
      };
    });
}

function run(chunks: AudioChunk[], fail = false): { results: ChannelResult[]; received: Uint8Array[][]; closed: number[]; error: unknown; completed: boolean } {
  const received: Uint8Array[][] = [];
  const opened: number[] = [];
  const closed: number[] = [];
  const results: ChannelResult[] = [];
  let error: unknown = null;
  let completed = false;
  const input = new Subject<AudioChunk>();
  const sub = input.pipe(separateChannels({ channels: 2, sampleBytes: 1, sampleRateHz: 1000, labels: ['agent', 'caller'], open: echo(received, opened, closed) })).subscribe({
    next: (r) => results.push(r),
    error: (e: unknown) => (error = e),
    complete: () => (completed = true),
  });
  assert.deepEqual(opened, [0, 1]);
  for (const c of chunks) input.next(c);
  if (fail) input.error(new Error('boom'));
  else input.complete();
  sub.unsubscribe();
  return { results, received, closed, error, completed };
}

describe('separateChannels', () => {
  it('de-interleaves, tags, completes after every channel, releases both', () => {
    const { results, received, closed, completed } = run([{ bytes: new Uint8Array([1, 2, 3]), arrivedAtMs: 0 }, { bytes: new Uint8Array([4, 5, 6]), arrivedAtMs: 0 }]);
    assert.deepEqual(received.map((parts) => [...parts.flatMap((p) => [...p])]), [[1, 3, 5], [2, 4, 6]]);
    assert.ok(results.every((r) => r.message.channel === r.channel && r.message.channelLabel === (r.channel === 0 ? 'agent' : 'caller')));
    assert.equal(completed, true);
    assert.deepEqual(closed.sort(), [0, 1]);
    // Interleaved: everything fed was answered by the end; never more than was fed before.
    assert.deepEqual(results.map((r) => [r.channel, r.hopEndMs]), [[0, 1], [1, 1], [0, 3], [1, 3]]);
    assert.deepEqual(results.map((r) => r.answeredMs), [0.5, 1, 2, 3]);
  });

  it('routes pre-split tracks; a track that stops arriving does not hold the backlog', () => {
    const inbound = (n: number): AudioChunk => ({ bytes: new Uint8Array(n), arrivedAtMs: 0, channel: 0 });
    const { results, received } = run([inbound(100), { bytes: new Uint8Array(100), arrivedAtMs: 0, channel: 1 }, inbound(100), inbound(100), inbound(100)]);
    assert.deepEqual(received.map((parts) => parts.length), [4, 1]);
    // After the last result: inbound 400 ms fed and answered, outbound 100 ms fed and answered:
    // nothing unanswered, so answered = the mean received (250 ms), not the outbound's 100 ms.
    assert.equal(results.at(-1)?.answeredMs, 250);
  });

  it('an error fails the stream once', () => {
    const { error, completed } = run([{ bytes: new Uint8Array([1, 2]), arrivedAtMs: 0 }], true);
    assert.match(String(error), /boom/);
    assert.equal(completed, false);
  });
});
