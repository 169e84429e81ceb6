/**
 * The deterministic per-stream plan: when each stream starts, where in the looped clips it
 * starts, and its chunk size. Pure: the same seed gives the same load, run after run.
 */
import { mulberry32 } from '../shared/prng.js';

/**
 * How a client behaves: `stream` (default) streams its audio in real time and ends; the
 * careless kinds of the soak (misbehaving_session.ts) never end by themselves: `idle` goes
 * silent after `ready`, `slow_reader` stops reading its socket and sends audio flat out.
 */
export type ClientBehavior = 'stream' | 'idle' | 'slow_reader';

export interface StreamPlan {
  /** 0-based stream number within the run. */
  streamId: number;
  /** Delay from the run's start to this stream's connection, ms. */
  startOffsetMs: number;
  /** First sample of the looped audio this stream sends. */
  audioOffsetSamples: number;
  /** Samples per chunk (the last chunk may be shorter). */
  chunkSamples: number;
  /** Samples the stream sends in all (a slow reader: at most). */
  totalSamples: number;
  /** Default 'stream'. */
  behavior?: ClientBehavior;
}

export interface PlanConfig {
  streams: number;
  durationSeconds: number;
  sampleRateHz: number;
  chunkMs: { min: number; max: number };
  rampSeconds: number;
  /** Length of the looped audio, samples. */
  loopSamples: number;
  /** Offsets where clips begin in the loop; streams start at a clip boundary, staggered across clips. */
  clipStartSamples: readonly number[];
  seed: number;
}

export { mulberry32 };

export function makeStreamPlans(config: PlanConfig): StreamPlan[] {
  const random = mulberry32(config.seed);
  const totalSamples = Math.round(config.durationSeconds * config.sampleRateHz);
  const rampMs = config.rampSeconds * 1000;
  const plans: StreamPlan[] = [];
  const clipStarts = config.clipStartSamples.length > 0 ? config.clipStartSamples : [0];
  for (let i = 0; i < config.streams; i++) {
    const chunkMs = config.chunkMs.min + Math.floor(random() * (config.chunkMs.max - config.chunkMs.min + 1));
    // Evenly spread starts plus jitter, so hop boundaries of different streams do not line up.
    const startOffsetMs = config.streams > 1 ? (i / config.streams) * rampMs + random() * (rampMs / config.streams) : 0;
    const clipStart = clipStarts[i % clipStarts.length] as number;
    plans.push({
      streamId: i,
      startOffsetMs,
      audioOffsetSamples: clipStart % Math.max(1, config.loopSamples),
      chunkSamples: Math.max(1, Math.round((chunkMs * config.sampleRateHz) / 1000)),
      totalSamples,
    });
  }
  return plans;
}

/**
 * Chunk schedule of a stream, pure: chunk k (0-based) carries samples
 * [k·chunkSamples, min((k+1)·chunkSamples, total)) and is due when its last sample exists
 * in real time, i.e. at `streamStartMs + end/rate`.
 */
export function chunkDueMs(streamStartMs: number, chunkEndSample: number, sampleRateHz: number): number {
  return streamStartMs + (chunkEndSample * 1000) / sampleRateHz;
}
