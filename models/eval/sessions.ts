/**
 * Multi-utterance sessions for the evaluation: one stream per held-out speaker holding all
 * of that speaker's clips in a seeded random order, each followed by a gap of digital
 * silence, as a call or a game session brings one speaker's utterances one after another.
 * A model that adapts to its stream (the stats head's speaker reference) can only show it
 * here: a one-clip session never has an earlier utterance.
 *
 * `sessionOf` builds the audio and each clip's span; `clipOutcomes` cuts the server's
 * results back into per-clip outcomes: final = the last voiced result that ends inside the
 * clip (the stream holds it over the gap; smoothing decays toward uniform, which keeps the
 * argmax), live = every voiced result that ends inside the clip, summary = the argmax of
 * the mean distribution over those.
 */
import type { EmotionMessage } from '../../shared/protocol.js';
import { MODEL_SAMPLE_RATE_HZ } from '../../shared/protocol.js';
import { Prng } from '../train/prng.js';
import type { ClipOutcome } from './scores.js';

/** Digital silence after each clip: over the model's 0.5 s reset rule with room for the hop. */
export const SESSION_GAP_SECONDS = 1;

/** Prefix of a session row's condition name: `session-telephone` is `telephone` as one stream per speaker. */
export const SESSION_PREFIX = 'session-';

export function sessionConditionName(condition: string): string {
  return `${SESSION_PREFIX}${condition}`;
}

export function isSessionCondition(name: string): boolean {
  return name.startsWith(SESSION_PREFIX);
}

/** A session row's one-line description, from its condition's. */
export function sessionDescription(description: string, gapSeconds = SESSION_GAP_SECONDS): string {
  return `${description}; one stream per speaker: all their clips in a random order, ${gapSeconds} s gaps`;
}

export interface SessionClip {
  /** Index into the caller's clip list. */
  index: number;
  /**
   * The clip's span in the session's stream time, ms: [startMs, endMs), the clip and the
   * gap after it (so consecutive spans tile the stream).
   */
  startMs: number;
  endMs: number;
}

/** Seeded Fisher–Yates order of `count` items: a permutation of 0 … count − 1. */
export function sessionOrder(count: number, seed: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`sessionOrder: expected a count ≥ 0, got ${count}`);
  return new Prng(seed).shuffle(Array.from({ length: count }, (_, i) => i));
}

/** The session's 16 kHz samples (clips in `order`, each followed by the gap) and each clip's span. */
export function sessionOf(clips: readonly Float32Array[], order: readonly number[], gapSeconds = SESSION_GAP_SECONDS): { samples: Float32Array; spans: SessionClip[] } {
  const gap = Math.round(gapSeconds * MODEL_SAMPLE_RATE_HZ);
  const missing = order.find((i) => clips[i] === undefined);
  if (missing !== undefined) throw new Error(`sessionOf: expected clip indices in [0, ${clips.length}), got ${missing}`);
  const total = order.reduce((n, i) => n + clips[i]!.length + gap, 0);
  const samples = new Float32Array(total);
  const spans: SessionClip[] = [];
  let at = 0;
  for (const i of order) {
    const clip = clips[i]!;
    samples.set(clip, at);
    spans.push({ index: i, startMs: (1000 * at) / MODEL_SAMPLE_RATE_HZ, endMs: (1000 * (at + clip.length + gap)) / MODEL_SAMPLE_RATE_HZ });
    at += clip.length + gap;
  }
  return { samples, spans };
}

/**
 * Per-clip outcomes (indexed by `span.index`) from one session's results: a result belongs
 * to the span its `endMs` (the last sample it heard) falls in, (startMs, endMs].
 */
export function clipOutcomes(results: readonly EmotionMessage[], spans: readonly SessionClip[], labelOf: (index: number) => number, labels: readonly string[]): ClipOutcome[] {
  const out = new Array<ClipOutcome>(spans.length);
  const index = (name: string): number => labels.indexOf(name);
  for (const span of spans) {
    const inside = results.filter((r) => r.voiced && r.endMs > span.startMs && r.endMs <= span.endMs);
    const last = inside.at(-1);
    let summary: number | null = null;
    if (inside.length > 0) {
      // Sums rank the labels as the means do.
      const sums = labels.map((l) => inside.reduce((s, r) => s + (r.probs[l] ?? 0), 0));
      summary = sums.indexOf(Math.max(...sums));
    }
    out[span.index] = {
      label: labelOf(span.index),
      final: last === undefined ? null : index(last.top),
      summary,
      live: inside.map((r) => ({ pred: index(r.top), confidence: r.confidence })),
    };
  }
  return out;
}
