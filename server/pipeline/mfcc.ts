/**
 * Stage 3: 16 kHz samples → MFCC frames (25 ms window, 10 ms hop), each computed once as
 * its last sample arrives, so any chunking gives the same frames. Also keeps the stream
 * clock (`samplesTotal`) that the hop stage cuts on: sample counts, never timers.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { MFCC_CONFIG, MfccExtractor } from '../../shared/dsp/mfcc.js';
import type { FeatureBlock, ResampledChunk } from './types.js';

/** `numCoeffs`: the model's coefficients per frame (its meta.featureConfig); the rest of the extractor is MFCC_CONFIG. */
export function mfcc(numCoeffs: number = MFCC_CONFIG.numCoeffs): OperatorFunction<ResampledChunk, FeatureBlock> {
  return (source) =>
    new Observable<FeatureBlock>((subscriber) => {
      let extractor: MfccExtractor | null = new MfccExtractor({ numCoeffs });
      let samplesTotal = 0;
      const subscription = source.subscribe({
        next: (chunk) => {
          if (extractor === null) return;
          samplesTotal += chunk.samples.length;
          const frames = extractor.push(chunk.samples);
          // Emitted even with no new frame: the clock may have crossed a hop boundary.
          subscriber.next({
            count: frames.count,
            coeffs: frames.coeffs,
            energyDb: frames.energyDb,
            samplesTotal,
            inputSamplesTotal: chunk.inputSamplesTotal,
            arrivedAtMs: chunk.arrivedAtMs,
          });
        },
        complete: () => subscriber.complete(),
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        extractor = null;
      };
    });
}
