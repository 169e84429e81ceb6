/**
 * The feed of an analysis: the body's items (slices of its audio, made as the body is
 * read) go to the pipeline one per macrotask, each when three things allow it — the last
 * item was fed (one per macrotask, so a long body never holds the event loop), the pace
 * (live first: pacer.ts) and the results (the feed may run only so far ahead of them:
 * ahead.ts). Only then is the next item read from the body, so the request is read
 * as fast as the analysis takes it and no faster. Unsubscribing stops it within one item.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { ChannelResult } from '../pipeline/channels.js';
import type { AudioChunk, EmotionResult } from '../pipeline/index.js';
import type { MonoFormat } from '../session/mono_stream.js';
import type { Pacer } from '../session/pacer.js';
import type { StreamFormat } from '../session/start.js';
import type { FeedAhead } from './ahead.js';

/** The pipeline of one mono stream of the analysis: `channel` undefined for the whole body ('mix'). */
export type OpenStream = (channel: number | undefined, format: MonoFormat) => OperatorFunction<AudioChunk, EmotionResult>;

/** One paced piece of a body: it makes its bytes when it is fed, and says what it stands for. */
export interface PacedItem {
  chunk: () => Omit<AudioChunk, 'arrivedAtMs'>;
  /** Stream seconds, all channels together: what the pacer counts. */
  seconds: number;
  /** The one channel stream the item feeds (audio already split); undefined: every stream. */
  channel?: number;
  /** Stream time the item adds to each stream it feeds, ms. */
  streamMs: number;
}

/** A body whose header has been read: its format, its items as the rest is read, their pipeline. */
export interface PreparedBody {
  format: StreamFormat;
  /** Streams fed: the channels with 'separate', else 1. */
  streams: number;
  /** The next item, read from the body; null when its audio has ended. */
  next(): Promise<PacedItem | null>;
  /** The pipeline the items go through once paced (`arrivedAtMs` stamped on entry). */
  pipeline(open: OpenStream): OperatorFunction<PacedItem, ChannelResult>;
}

/** The analysis' real-time budget and where to count the audio that waited for it. */
export interface Pace {
  pacer: Pacer;
  onPaced(seconds: number): void;
}

/** The items of `next`, each fed when the macrotask, the pace and the results allow. */
export function pacedItems(next: () => Promise<PacedItem | null>, pace: Pace, ahead: FeedAhead): Observable<PacedItem> {
  return new Observable<PacedItem>((subscriber) => {
    let stopped = false;
    let cancel: (() => void) | null = null;
    /** The next macrotask (0), or `ms` later; resolved at once when the feed stops. */
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        if (ms > 0) {
          const timer = setTimeout(resolve, ms);
          cancel = () => (clearTimeout(timer), resolve());
        } else {
          const immediate = setImmediate(resolve);
          cancel = () => (clearImmediate(immediate), resolve());
        }
      });
    const run = async (): Promise<void> => {
      for (;;) {
        await wait(0);
        await ahead.whenOpen();
        if (stopped) return;
        const item = await next();
        if (stopped) return;
        if (item === null) {
          subscriber.complete();
          return;
        }
        let waitMs = pace.pacer.waitMs(performance.now());
        if (waitMs > 0) pace.onPaced(item.seconds);
        while (waitMs > 0) {
          await wait(waitMs);
          if (stopped) return;
          waitMs = pace.pacer.waitMs(performance.now());
        }
        pace.pacer.fed(item.seconds, performance.now());
        ahead.fed(item.channel, item.streamMs);
        subscriber.next(item);
      }
    };
    run().catch((err: unknown) => {
      if (!stopped) subscriber.error(err);
    });
    return () => {
      stopped = true;
      cancel?.();
      ahead.release();
    };
  });
}
