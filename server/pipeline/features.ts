/**
 * Stages 1–4: bytes in the declared encoding → MFCC frames with their energy and voiced
 * flags, through the one feature chain of shared/dsp (decode → resample to 16 kHz → MFCC →
 * VoicedGate), so the server computes exactly what training and evaluation compute. Each
 * frame is computed once, as its last sample arrives, so any chunking gives the same frames.
 * Also keeps the stream clock the hop stage cuts on: sample counts, never timers.
 * A chunk may end mid-sample (the chain carries the rest); NaN/Inf floats fail the stream
 * with `bad_audio`. On completion the resampler's tail is flushed, so the last input
 * samples reach the features; a trailing partial sample is ignored (docs/protocol.md).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { FeatureChain, type FeatureChainConfig, type FeatureFrames } from '../../shared/dsp/feature_chain.js';
import type { PcmDecoderConfig } from '../../shared/dsp/pcm_decode.js';
import type { AudioChunk, VoicedFeatureBlock } from './types.js';

export function features(config: FeatureChainConfig & { decoder: PcmDecoderConfig }): OperatorFunction<AudioChunk, VoicedFeatureBlock> {
  return (source) =>
    new Observable<VoicedFeatureBlock>((subscriber) => {
      let chain: FeatureChain | null = new FeatureChain(config);
      let inputSamplesTotal = 0;
      let samplesTotal = 0;
      let lastArrivedAtMs = performance.now();
      // Emitted only when model-rate samples moved (the clock may have crossed a hop boundary).
      const emit = (frames: FeatureFrames, arrivedAtMs: number): void => {
        if (frames.modelSamples === 0) return;
        samplesTotal += frames.modelSamples;
        subscriber.next({
          count: frames.count,
          coeffs: frames.coeffs,
          energyDb: frames.energyDb,
          voiced: frames.voiced,
          samplesTotal,
          inputSamplesTotal,
          arrivedAtMs,
        });
      };
      const subscription = source.subscribe({
        next: (chunk) => {
          if (chain === null) return;
          let frames: FeatureFrames;
          try {
            frames = chain.pushBytes(chunk.bytes);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          inputSamplesTotal += frames.inputSamples;
          lastArrivedAtMs = chunk.arrivedAtMs;
          emit(frames, chunk.arrivedAtMs);
        },
        complete: () => {
          if (chain !== null) emit(chain.flush(), lastArrivedAtMs);
          subscriber.complete();
        },
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        chain = null;
      };
    });
}

/** Input time an output instant waits for (the resampler's look-ahead), ms of stream time. */
export function featureLatencyMs(inputRateHz: number): number {
  return (new FeatureChain({ inputRateHz }).latencyInputSamples / inputRateHz) * 1000;
}
