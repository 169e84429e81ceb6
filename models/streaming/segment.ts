/**
 * The utterance rule, shared by streaming, offline inference and training.
 *
 * A run counter counts consecutive unvoiced frames (VoicedGate decisions; a voiced frame sets
 * it to 0; it carries across calls and only reset() clears it). With R =
 * resetAfterSilenceFrames:
 * - the first R unvoiced frames of a run feed the model like any frame (the utterance's tail);
 * - frame R + 1 of a run and every later unvoiced frame is DROPPED, and the pending partial
 *   step is discarded with it: the stream holds its state and its last result, and a long
 *   pause costs no model steps;
 * - a voiced frame that follows a run of ≥ R unvoiced frames RESETS the stream just before
 *   it (conv context, pending frames, LSTM state, attention window cleared): that frame is
 *   the first of a new segment, which starts from zero state like a training clip.
 * Segment cap (M = maxSegmentFrames, meta.maxSegmentFrames; none by default): a voiced frame
 * that comes after M fed frames of one segment also starts a new one, so a segment that never
 * pauses — speech under a babble that holds the voice gate open — is heard as utterances of
 * at most about M frames, as long as the training spans, instead of one that lasts minutes.
 * (Measured on v5's folds: no gain in babble sessions at M = 800 or 400, so no shipped model
 * sets it; models/README.md, "Sessions in continuous noise".)
 */
import { startsSegment, type SegmentRule } from './segment_rule.js';
import type { StreamStateBase } from './stream_state_base.js';

export { segmentRuleOf, type SegmentRule } from './segment_rule.js';

/** The rule's counters, carried from chunk to chunk. */
export interface SegmentCounters {
  /** Consecutive unvoiced frames so far. */
  silenceRun: number;
  /** Frames fed to the model since the segment started (dropped frames excluded). */
  segmentFrames: number;
}

export interface SilenceScan extends SegmentCounters {
  /** Index of the voiced frame in this chunk that starts the last new segment, or -1. */
  resetIndex: number;
  /** Frames [max(resetIndex, 0), usedEnd) feed the model; frames from usedEnd on are dropped. */
  usedEnd: number;
}

export function scanSilence(voiced: Uint8Array, before: SegmentCounters, rule: SegmentRule): SilenceScan {
  const r = rule.resetAfterSilenceFrames;
  let run = before.silenceRun;
  let fed = before.segmentFrames;
  let resetIndex = -1;
  let firstDropped = run > r ? 0 : -1;
  for (let i = 0; i < voiced.length; i++) {
    if (voiced[i] !== 0) {
      if (startsSegment(run, fed, rule)) {
        resetIndex = i;
        firstDropped = -1;
        fed = 0;
      }
      run = 0;
      fed += 1;
    } else {
      run += 1;
      if (run > r) {
        if (firstDropped === -1) firstDropped = i;
      } else {
        fed += 1;
      }
    }
  }
  return { resetIndex, usedEnd: firstDropped === -1 ? voiced.length : firstDropped, silenceRun: run, segmentFrames: fed };
}

/**
 * Indices > 0 of the voiced frames of a chunk that start a new segment, for a stream whose
 * counters before the chunk are `before`: the points where the chunk must be cut so the old
 * segment's frames are stepped before the new one starts (runner.ts).
 */
export function segmentStartsAfterFirst(voiced: Uint8Array, before: SegmentCounters, rule: SegmentRule): number[] {
  const r = rule.resetAfterSilenceFrames;
  let run = before.silenceRun;
  let fed = before.segmentFrames;
  const starts: number[] = [];
  for (let i = 0; i < voiced.length; i++) {
    if (voiced[i] !== 0) {
      if (startsSegment(run, fed, rule)) {
        if (i > 0) starts.push(i);
        fed = 0;
      }
      run = 0;
      fed += 1;
    } else {
      run += 1;
      if (run <= r) fed += 1;
    }
  }
  return starts;
}

/**
 * Frames [start, end) of a whole clip that make up the segment it ends in, as a stream from
 * a fresh state would use them (then only whole steps from `start` count).
 */
export function lastSegmentRange(voiced: Uint8Array, rule: SegmentRule): { start: number; end: number } {
  return segmentRanges(voiced, rule).at(-1)!;
}

/**
 * Every segment of a whole clip as a fresh stream cuts it, in order: frames [start, end) of
 * each feed the model (the last one is lastSegmentRange's). A segment ends where its silence
 * run passes R or where the next one starts (after a pause, or at the cap).
 */
export function segmentRanges(voiced: Uint8Array, rule: SegmentRule): { start: number; end: number }[] {
  const r = rule.resetAfterSilenceFrames;
  const out: { start: number; end: number }[] = [];
  let run = 0;
  let fed = 0;
  let start = 0;
  let end = -1;
  for (let i = 0; i < voiced.length; i++) {
    if (voiced[i] !== 0) {
      if (startsSegment(run, fed, rule)) {
        out.push({ start, end: end === -1 ? i : end });
        start = i;
        end = -1;
        fed = 0;
      }
      run = 0;
      fed += 1;
    } else {
      run += 1;
      if (run > r) {
        if (end === -1) end = i;
      } else {
        fed += 1;
      }
    }
  }
  out.push({ start, end: end === -1 ? voiced.length : end });
  return out;
}

/** What one chunk brings a stream that steps on whole steps (fused and stateful runners). */
export interface ChunkSpan {
  /** Frames [start, end) of the chunk feed the model. */
  start: number;
  end: number;
  /** Whole steps the pending frames and [start, end) complete. */
  steps: number;
  /** A silence run passed R inside this chunk: the partial step after `end` is discarded. */
  dropsTail: boolean;
}

/**
 * Applies the rule to one chunk of a stepping stream: updates its silence counter and frame
 * count, starts a new segment (resetSegment) where the chunk does, and says which frames feed
 * the model and how many whole steps they complete after the pending ones. The caller
 * advances the stream by those steps or keeps the frames pending.
 */
export function admitChunk(state: StreamStateBase & { pendingFrames: number }, voiced: Uint8Array, rule: SegmentRule, stepFrames: number): ChunkSpan {
  const n = voiced.length;
  const scan = scanSilence(voiced, state, rule);
  state.silenceRun = scan.silenceRun;
  state.segmentFrames = scan.segmentFrames;
  if (scan.resetIndex >= 0) state.resetSegment();
  state.framesSeen += n;
  const start = Math.max(scan.resetIndex, 0);
  const end = scan.usedEnd;
  return { start, end, steps: Math.floor((state.pendingFrames + end - start) / stepFrames), dropsTail: end < n };
}
