/**
 * Stage 2: input-rate samples → model-rate (16 kHz) samples, band-limited, state carried
 * across chunks. On completion the resampler's tail (zero-padded past the end) is flushed,
 * so the last input samples reach the features.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { StreamingResampler } from '../../shared/dsp/resample.js';
import type { ResampledChunk, SampleChunk } from './types.js';

export function resample(inputRateHz: number, outputRateHz: number): OperatorFunction<SampleChunk, ResampledChunk> {
  return (source) =>
    new Observable<ResampledChunk>((subscriber) => {
      let resampler: StreamingResampler | null = new StreamingResampler(inputRateHz, outputRateHz);
      let inputSamplesTotal = 0;
      let lastArrivedAtMs = performance.now();
      const subscription = source.subscribe({
        next: (chunk) => {
          if (resampler === null) return;
          inputSamplesTotal += chunk.samples.length;
          lastArrivedAtMs = chunk.arrivedAtMs;
          const samples = resampler.process(chunk.samples);
          if (samples.length > 0) subscriber.next({ samples, inputSamplesTotal, arrivedAtMs: chunk.arrivedAtMs });
        },
        complete: () => {
          const tail = resampler?.flush();
          if (tail !== undefined && tail.length > 0) {
            subscriber.next({ samples: tail, inputSamplesTotal, arrivedAtMs: lastArrivedAtMs });
          }
          subscriber.complete();
        },
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        resampler = null;
      };
    });
}

/** Input samples an output instant waits for (the filter's look-ahead), in ms of stream time. */
export function resamplerLatencyMs(inputRateHz: number, outputRateHz: number): number {
  return (new StreamingResampler(inputRateHz, outputRateHz).latencyInputSamples / inputRateHz) * 1000;
}
