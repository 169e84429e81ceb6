/**
 * Stage 5: cuts the frame stream into hops of stream time. Hop k (k = 0, 1, …) stands for
 * [k·hopMs, (k+1)·hopMs), whose frames are those that END inside it. Frames are the clock
 * (sample counts, never timers), so a file sent in one message yields every hop at once
 * and a live stream one per hop.
 *
 * When to cut: the model steps whole groups of stepFrames frames, so the frames at the end
 * of a hop that cannot complete a step before the boundary would not change its result;
 * waiting for them only delays it (up to a step, 80 ms). With the model's step rule given,
 * hop k is cut as soon as no further step can complete inside it (the step clock of
 * models/streaming/step_clock.ts mirrors the runner's grid), and at the latest when its
 * last frame arrives; frames left over travel with hop k + 1, so the model sees the same
 * frames in the same order and gives the same steps. Each hop holds at least one frame of
 * its own span, so its voiced flag is judged on its own audio. Without a step rule (the
 * naive baseline, which re-reads every frame) a hop is cut when its last frame arrives.
 * On completion the remaining frames form the final hop, ending at the stream's end.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { framesToNextStep, START_CLOCK, tickStepClock, type StepRule } from '../../models/streaming/step_clock.js';
import type { Hop, VoicedFeatureBlock } from './types.js';

/** Frames i with i·hopSamples + frameSamples ≤ samples: those wholly inside the first `samples`. */
export function framesEndingBy(samples: number, frameSamples: number, hopSamples: number): number {
  return samples < frameSamples ? 0 : Math.floor((samples - frameSamples) / hopSamples) + 1;
}

/**
 * Whether the current hop can be cut after `framesSeen` frames. Its own frames are
 * [previousEnd, hopEnd) (frame counts ending by its start and by its end);
 * `framesToNextStep` is how many more frames the model needs before it can complete another
 * step (0 when unknown: then the hop waits for its last frame).
 */
export function hopReady(framesSeen: number, previousEnd: number, hopEnd: number, framesToNextStep: number): boolean {
  if (framesSeen >= hopEnd) return true;
  return framesSeen > previousEnd && framesToNextStep > hopEnd - framesSeen;
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
  /**
   * The model's step rule (streaming mode): hops are cut as soon as no step can complete
   * inside them. Absent: each hop waits for its last frame.
   */
  steps?: StepRule;
  /** Coefficients per frame, default MFCC_CONFIG.numCoeffs. */
  numCoeffs?: number;
  /**
   * When the input ended, on the clock of the blocks' `arrivedAtMs` (read at completion):
   * the final hop's arrival. Default performance.now() of this thread.
   */
  inputEndedAtMs?: () => number;
}

export function hop(options: HopOptions): OperatorFunction<VoicedFeatureBlock, Hop> {
  const { frameSamples, hopSamples, sampleRateHz } = MFCC_CONFIG;
  const numCoeffs = options.numCoeffs ?? MFCC_CONFIG.numCoeffs;
  const hopModelSamples = (options.hopMs * sampleRateHz) / 1000;
  return (source) =>
    new Observable<Hop>((subscriber) => {
      let queue: FrameQueue | null = new FrameQueue(numCoeffs);
      const steps = options.steps;
      let clock = START_CLOCK;
      let index = 0;
      let framesCut = 0;
      let framesSeen = 0;
      let inputSamplesTotal = 0;
      /** Frames ending by hop k's start and by its end. */
      const hopEndFrames = (k: number): number => framesEndingBy(k * hopModelSamples, frameSamples, hopSamples);

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
          inputSamplesTotal = block.inputSamplesTotal;
          // Frame by frame, so the cut points never depend on how the audio was chunked.
          for (let i = 0; i < block.count; i += 1) {
            framesSeen += 1;
            if (steps !== undefined) clock = tickStepClock(clock, block.voiced[i] ?? 0, steps);
            const toNextStep = steps === undefined ? 0 : framesToNextStep(clock, steps);
            if (hopReady(framesSeen, hopEndFrames(index), hopEndFrames(index + 1), toNextStep)) {
              cut(framesSeen, (index + 1) * options.hopMs, false, block.arrivedAtMs);
            }
          }
        },
        complete: () => {
          const streamMs = (inputSamplesTotal / options.inputRateHz) * 1000;
          // The final hop is completed by the end of the stream, not by audio: its latency
          // counts from when the input ended (`end` arrived), not from the last audio
          // message. It ends where the audio ends — before its start when an earlier hop was
          // cut early and the audio stopped short of that hop's boundary (the summary's
          // duration is this).
          cut(framesSeen, streamMs, true, options.inputEndedAtMs?.() ?? performance.now());
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
