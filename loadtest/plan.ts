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
  /** A telephone call: sends the call loop (8 kHz μ-law); its sample counts are at that rate. */
  call?: boolean;
}

/** The call loop of a call-centre load and the share of streams that send it. */
export interface CallPlanConfig {
  /** Fraction of the streams that are calls, 0–1, spread evenly over the stream numbers. */
  share: number;
  sampleRateHz: number;
  loopSamples: number;
  clipStartSamples: readonly number[];
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
  /** Some streams as calls (absent: none). */
  calls?: CallPlanConfig;
}

/** Whether stream `i` is a call when `share` of the streams are: ⌊N·share⌋ of any first N, evenly spread. */
export function isCallStream(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

export { mulberry32 };

export function makeStreamPlans(config: PlanConfig): StreamPlan[] {
  const random = mulberry32(config.seed);
  const rampMs = config.rampSeconds * 1000;
  const plans: StreamPlan[] = [];
  for (let i = 0; i < config.streams; i++) {
    const chunkMs = config.chunkMs.min + Math.floor(random() * (config.chunkMs.max - config.chunkMs.min + 1));
    // Evenly spread starts plus jitter, so hop boundaries of different streams do not line up.
    const startOffsetMs = config.streams > 1 ? (i / config.streams) * rampMs + random() * (rampMs / config.streams) : 0;
    const call = config.calls !== undefined && isCallStream(i, config.calls.share);
    const loop = call && config.calls !== undefined ? config.calls : config;
    const clipStarts = loop.clipStartSamples.length > 0 ? loop.clipStartSamples : [0];
    const clipStart = clipStarts[i % clipStarts.length] as number;
    plans.push({
      streamId: i,
      startOffsetMs,
      audioOffsetSamples: clipStart % Math.max(1, loop.loopSamples),
      chunkSamples: Math.max(1, Math.round((chunkMs * loop.sampleRateHz) / 1000)),
      totalSamples: Math.round(config.durationSeconds * loop.sampleRateHz),
      ...(call ? { call } : {}),
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
