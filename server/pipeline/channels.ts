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
   * How far the stream counts as answered, ms, for the session's backlog (received − this =
   * unanswered): the channels' mean received stream time less the largest lag of any
   * channel (its received audio beyond its latest hop end). With interleaved audio that is
   * the least of the channels' hop ends; with separately fed tracks, a track that stops
   * arriving (nothing unanswered) holds nothing back.
   */
  answeredMs: number;
}

export interface SeparateOptions {
  channels: number;
  /** Bytes of one sample of one channel in the stream's encoding. */
  sampleBytes: number;
  /** Input rate, Hz: with `sampleBytes`, turns a channel's bytes into stream time. */
  sampleRateHz: number;
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
  const bytesPerMs = (sampleBytes * options.sampleRateHz) / 1000;
  return (source) =>
    new Observable<ChannelResult>((subscriber) => {
      const inputs = Array.from({ length: channels }, () => new Subject<AudioChunk>());
      /** Latest hop end per channel, ms; +∞ once the channel's final result is out. */
      const answered = new Float64Array(channels);
      /** Bytes fed to each channel. */
      const fedBytes = new Float64Array(channels);
      const answeredMs = (): number => {
        let lagMs = 0;
        let fedMs = 0;
        for (let c = 0; c < channels; c += 1) {
          const receivedMs = (fedBytes[c] ?? 0) / bytesPerMs;
          fedMs += receivedMs / channels;
          lagMs = Math.max(lagMs, receivedMs - (answered[c] ?? 0));
        }
        return fedMs - lagMs;
      };
      const feed = (channel: number, chunk: AudioChunk): void => {
        const input = inputs[channel];
        if (input === undefined) return;
        fedBytes[channel] = (fedBytes[channel] ?? 0) + chunk.bytes.length;
        input.next(chunk);
      };
      const tagged = inputs.map((input, channel) =>
        input.pipe(
          options.open(channel),
          map((r): ChannelResult => {
            answered[channel] = r.message.final === true ? Number.POSITIVE_INFINITY : r.hopEndMs;
            const label = labels?.[channel];
            const message = label === undefined ? { ...r.message, channel } : { ...r.message, channel, channelLabel: label };
            return { ...r, message, channel, answeredMs: answeredMs() };
          }),
        ),
      );
      const output = merge(...tagged).subscribe(subscriber);
      const splitter = new ByteDeinterleaver(sampleBytes, channels);
      const input = source.subscribe({
        next: (chunk) => {
          if (chunk.channel !== undefined) {
            feed(chunk.channel, { bytes: chunk.bytes, arrivedAtMs: chunk.arrivedAtMs });
            return;
          }
          const parts = splitter.split(chunk.bytes);
          parts.forEach((bytes, channel) => {
            if (bytes.length > 0) feed(channel, { bytes, arrivedAtMs: chunk.arrivedAtMs });
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
