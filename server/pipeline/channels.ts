/**
 * channelMode 'separate': each channel is its own stream through the whole pipeline (its own
 * decoder, resampler, features, voice gate, model state and smoothing) and through the
 * batcher; the results are merged and tagged with their channel.
 *
 *   interleaved bytes ─ de-interleave ─┬─ channel 0 pipeline ─┐
 *   (or bytes tagged with a channel)   └─ channel 1 pipeline ─┴─ merge, tag → results
 *
 * A channel's bytes are exactly what a mono client of that channel would send, so its
 * results equal that mono stream's. The input completing completes every channel; the
 * output completes when every channel has sent its final result. An error on any channel
 * fails the whole stream (the session sends it once); unsubscribing releases every channel.
 */
import { Observable, Subject, map, merge, type OperatorFunction } from 'rxjs';
import { ByteDeinterleaver } from '../../shared/dsp/deinterleave.js';
import type { EmotionResult } from './result.js';
import type { AudioChunk } from './types.js';

/** A result with its channel (undefined with 'mix') and how far every channel has answered. */
export interface ChannelResult extends EmotionResult {
  channel: number | undefined;
  /**
   * Stream time answered on every channel, ms: the least of the channels' latest hop ends
   * (a channel that has sent its final result no longer holds it back). The session's backlog
   * counts audio as answered only up to here.
   */
  answeredMs: number;
}

export interface SeparateOptions {
  channels: number;
  /** Bytes of one sample of one channel in the stream's encoding. */
  sampleBytes: number;
  /** Echoed as `channelLabel` on each channel's results. */
  labels?: readonly string[];
  /** The mono pipeline of one channel (opened once per channel, on subscription). */
  open(channel: number): OperatorFunction<AudioChunk, EmotionResult>;
}

/** The whole stream as one channel ('mix'): results untagged. */
export function untagged(): OperatorFunction<EmotionResult, ChannelResult> {
  return map((r) => ({ ...r, channel: undefined, answeredMs: r.hopEndMs }));
}

export function separateChannels(options: SeparateOptions): OperatorFunction<AudioChunk, ChannelResult> {
  const { channels, sampleBytes, labels } = options;
  return (source) =>
    new Observable<ChannelResult>((subscriber) => {
      const inputs = Array.from({ length: channels }, () => new Subject<AudioChunk>());
      /** Latest hop end per channel, ms; +∞ once the channel's final result is out. */
      const answered = new Float64Array(channels);
      let latestMs = 0;
      const tagged = inputs.map((input, channel) =>
        input.pipe(
          options.open(channel),
          map((r): ChannelResult => {
            answered[channel] = r.message.final === true ? Number.POSITIVE_INFINITY : r.hopEndMs;
            latestMs = Math.max(latestMs, r.hopEndMs);
            const least = Math.min(...answered);
            const label = labels?.[channel];
            const message = label === undefined ? { ...r.message, channel } : { ...r.message, channel, channelLabel: label };
            return { ...r, message, channel, answeredMs: Number.isFinite(least) ? least : latestMs };
          }),
        ),
      );
      const output = merge(...tagged).subscribe(subscriber);
      const splitter = new ByteDeinterleaver(sampleBytes, channels);
      const input = source.subscribe({
        next: (chunk) => {
          if (chunk.channel !== undefined) {
            inputs[chunk.channel]?.next({ bytes: chunk.bytes, arrivedAtMs: chunk.arrivedAtMs });
            return;
          }
          const parts = splitter.split(chunk.bytes);
          parts.forEach((bytes, channel) => {
            if (bytes.length > 0) inputs[channel]?.next({ bytes, arrivedAtMs: chunk.arrivedAtMs });
          });
        },
        error: (err: unknown) => subscriber.error(err),
        // A trailing partial frame is ignored, as a trailing partial sample is in mono.
        complete: () => inputs.forEach((i) => i.complete()),
      });
      return () => {
        input.unsubscribe();
        output.unsubscribe();
      };
    });
}
