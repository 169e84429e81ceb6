/**
 * Training examples for a stats head that reads each utterance relative to the speaker's
 * earlier ones (models/streaming/speaker_reference.ts). A served stream's first segment has
 * no history, so its head must stay the plain head there: the examples are
 * - every clip version the network was trained on, with no history (u' = u), as the plain
 *   head is fitted; plus
 * - each training clip's wideband and telephone original, HISTORY_DRAWS_PER_CLIP times, with
 *   a history of n earlier utterances (n drawn from HISTORY_SIZES, 0 draws dropped) taken
 *   from the same speaker's other clips over the same channel — one stream, one channel —
 *   re-referenced by the served SpeakerReference.
 * The global reference is the mean and variance of the originals' statistics (both channels).
 */
import { Prng } from './prng.js';
import { moments } from './stats_head_fit.js';
import { SpeakerReference, type SpeakerNormConfig } from '../streaming/speaker_reference.js';

/** History sizes drawn per example (59 = every other clip of a RAVDESS actor). */
export const HISTORY_SIZES = [0, 1, 2, 4, 8, 16, 32, 59];
export const HISTORY_DRAWS_PER_CLIP = 4;
/** n0 of the served reference: the global figures weigh as much as 8 utterances. */
export const DEFAULT_PRIOR_UTTERANCES = 8;
/** A segment joins the reference from 0.5 s of voiced frames (a cough or a click does not). */
export const DEFAULT_MIN_VOICED_FRAMES = 50;

/** One channel's utterance statistics of the training clips, grouped by speaker. */
export interface ChannelStats {
  u: Float64Array[];
  y: number[];
  bySpeaker: Map<string, number[]>;
}

export function channelStats(rows: readonly { u: Float64Array; y: number; speaker: string }[]): ChannelStats {
  const bySpeaker = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const group = bySpeaker.get(r.speaker);
    if (group === undefined) bySpeaker.set(r.speaker, [i]);
    else group.push(i);
  });
  return { u: rows.map((r) => r.u), y: rows.map((r) => r.y), bySpeaker };
}

/** `n` distinct items of `pool` (the first n of a seeded shuffle). */
export function drawDistinct<T>(pool: readonly T[], n: number, prng: Prng): T[] {
  return prng.shuffle([...pool]).slice(0, n);
}

export interface HistoryDraw {
  channel: ChannelStats;
  index: number;
  history: number[];
}

/** HISTORY_DRAWS_PER_CLIP histories per clip and channel (n = 0 draws included; callers drop them). */
export function historyDraws(channels: readonly ChannelStats[], seed: number): HistoryDraw[] {
  const prng = new Prng(seed);
  const out: HistoryDraw[] = [];
  for (const channel of channels) {
    for (const idx of channel.bySpeaker.values()) {
      for (const index of idx) {
        const others = idx.filter((k) => k !== index);
        for (let d = 0; d < HISTORY_DRAWS_PER_CLIP; d++) {
          out.push({ channel, index, history: drawDistinct(others, HISTORY_SIZES[Math.floor(prng.next() * HISTORY_SIZES.length)]!, prng) });
        }
      }
    }
  }
  return out;
}

/** The statistics of clip `index` re-referenced to `history` (earlier clips of its speaker and channel). */
export function referencedStats(channel: ChannelStats, index: number, history: readonly number[], config: SpeakerNormConfig): Float64Array {
  const reference = new SpeakerReference({ ...config, minVoicedFrames: 0 });
  for (const k of history) reference.addUtterance(channel.u[k]!, 1);
  return reference.apply(Float64Array.from(channel.u[index]!));
}

/**
 * The served config from the originals of both channels, over their first `dims` values (the
 * statistics; a head input after them, the count, is not re-referenced).
 */
export function speakerNormConfig(channels: readonly ChannelStats[], priorUtterances = DEFAULT_PRIOR_UTTERANCES, minVoicedFrames = DEFAULT_MIN_VOICED_FRAMES, dims?: number): SpeakerNormConfig {
  const g = moments(channels.flatMap((c) => c.u.map((u) => u.subarray(0, dims ?? u.length))));
  return { priorUtterances, mean: Array.from(g.mean), variance: Array.from(g.variance), minVoicedFrames };
}

/** The head's examples: `plain` (no history) plus every draw with a history. */
export function speakerNormExamples(
  plain: readonly { x: Float64Array; y: number }[],
  channels: readonly ChannelStats[],
  config: SpeakerNormConfig,
  seed: number,
): { xs: Float64Array[]; ys: number[]; withHistory: number } {
  const draws = historyDraws(channels, seed).filter((d) => d.history.length > 0);
  return {
    xs: [...plain.map((e) => e.x), ...draws.map((d) => referencedStats(d.channel, d.index, d.history, config))],
    ys: [...plain.map((e) => e.y), ...draws.map((d) => d.channel.y[d.index]!)],
    withHistory: draws.length,
  };
}
