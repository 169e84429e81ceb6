/**
 * Stage 5: cuts the frame stream into hops of stream time. Hop k (k = 0, 1, …) covers
 * [k·hopMs, (k+1)·hopMs) and holds the frames that END inside it; it is cut as soon as the
 * model-rate clock reaches (k+1)·hopMs — sample counts are the clock, never timers — so a
 * file sent in one message yields every hop at once and a live stream one per hop.
 * On completion the remaining frames form the final hop, ending at the stream's end.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import type { Hop, VoicedFeatureBlock } from './types.js';

/** Frames i with i·hopSamples + frameSamples ≤ samples: those wholly inside the first `samples`. */
export function framesEndingBy(samples: number, frameSamples: number, hopSamples: number): number {
  return samples < frameSamples ? 0 : Math.floor((samples - frameSamples) / hopSamples) + 1;
}

/** Growable row buffer for frames waiting for their hop (no per-block concatenation). */
class FrameQueue {
  private coeffs = new Float32Array(0);
  private voiced = new Uint8Array(0);
  private rows = 0;

  constructor(private readonly width: number) {}

  get length(): number {
    return this.rows;
  }

  push(coeffs: Float32Array, voiced: Uint8Array): void {
    const needed = this.rows + voiced.length;
    if (needed > this.voiced.length) {
      const capacity = Math.max(needed, this.voiced.length * 2, 64);
      const nextCoeffs = new Float32Array(capacity * this.width);
      nextCoeffs.set(this.coeffs.subarray(0, this.rows * this.width));
      const nextVoiced = new Uint8Array(capacity);
      nextVoiced.set(this.voiced.subarray(0, this.rows));
      this.coeffs = nextCoeffs;
      this.voiced = nextVoiced;
    }
    this.coeffs.set(coeffs, this.rows * this.width);
    this.voiced.set(voiced, this.rows);
    this.rows = needed;
  }

  /** Removes and returns the first n rows as fresh arrays (they are transferred to the worker). */
  shift(n: number): { coeffs: Float32Array; voiced: Uint8Array } {
    const coeffs = this.coeffs.slice(0, n * this.width);
    const voiced = this.voiced.slice(0, n);
    this.coeffs.copyWithin(0, n * this.width, this.rows * this.width);
    this.voiced.copyWithin(0, n, this.rows);
    this.rows -= n;
    return { coeffs, voiced };
  }
}

export interface HopOptions {
  /** Hop length, ms, integer 50–5000. */
  hopMs: number;
  /** Input rate, Hz (to state the stream's end in ms). */
  inputRateHz: number;
}

export function hop(options: HopOptions): OperatorFunction<VoicedFeatureBlock, Hop> {
  const { frameSamples, hopSamples, sampleRateHz, numCoeffs } = MFCC_CONFIG;
  const hopModelSamples = (options.hopMs * sampleRateHz) / 1000;
  return (source) =>
    new Observable<Hop>((subscriber) => {
      let queue: FrameQueue | null = new FrameQueue(numCoeffs);
      let index = 0;
      let framesCut = 0;
      let framesSeen = 0;
      let inputSamplesTotal = 0;

      const cut = (framesTotal: number, endMs: number, final: boolean, arrivedAtMs: number): void => {
        if (queue === null) return;
        const { coeffs, voiced } = queue.shift(framesTotal - framesCut);
        framesCut = framesTotal;
        subscriber.next({
          index,
          startMs: index * options.hopMs,
          endMs,
          frames: coeffs,
          voiced,
          frameCount: voiced.length,
          voicedFrames: voiced.reduce((n, v) => n + v, 0),
          framesTotal,
          inputSamplesTotal,
          final,
          arrivedAtMs,
        });
        index += 1;
      };

      const subscription = source.subscribe({
        next: (block) => {
          if (queue === null) return;
          queue.push(block.coeffs, block.voiced);
          framesSeen += block.count;
          inputSamplesTotal = block.inputSamplesTotal;
          while (block.samplesTotal >= (index + 1) * hopModelSamples) {
            const boundary = (index + 1) * hopModelSamples;
            cut(framesEndingBy(boundary, frameSamples, hopSamples), (index + 1) * options.hopMs, false, block.arrivedAtMs);
          }
        },
        complete: () => {
          const streamMs = (inputSamplesTotal / options.inputRateHz) * 1000;
          // The final hop is completed by the end of the stream, not by audio: its latency
          // counts from now (when `end` arrived), not from the last audio message.
          cut(framesSeen, Math.max(streamMs, index * options.hopMs), true, performance.now());
          subscriber.complete();
        },
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        queue = null;
      };
    });
}
