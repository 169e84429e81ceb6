/**
 * The utterance rule's parameters (applied in segment.ts), kept apart so the plans that carry
 * them need not import the rule's code.
 */

export interface SegmentRule {
  /** R: unvoiced frames fed before a pause starts dropping, ≥ 1 (meta.resetAfterSilenceFrames). */
  resetAfterSilenceFrames: number;
  /** M: fed frames after which the next voiced frame starts a new segment (meta.maxSegmentFrames); absent: no cap. */
  maxSegmentFrames?: number;
}

/** Does a voiced frame after these counters start a new segment (after a pause, or at the cap)? */
export function startsSegment(silenceRun: number, segmentFrames: number, rule: SegmentRule): boolean {
  return silenceRun >= rule.resetAfterSilenceFrames || segmentFrames >= (rule.maxSegmentFrames ?? Infinity);
}

/** The rule of a model's meta (no cap unless it sets one). */
export function segmentRuleOf(meta: { resetAfterSilenceFrames: number; maxSegmentFrames?: number }): SegmentRule {
  return meta.maxSegmentFrames === undefined ? { resetAfterSilenceFrames: meta.resetAfterSilenceFrames } : { resetAfterSilenceFrames: meta.resetAfterSilenceFrames, maxSegmentFrames: meta.maxSegmentFrames };
}
