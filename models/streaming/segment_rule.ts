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

/** The rule of a model's meta (no cap unless it sets one). */
export function segmentRuleOf(meta: { resetAfterSilenceFrames: number; maxSegmentFrames?: number }): SegmentRule {
  return meta.maxSegmentFrames === undefined ? { resetAfterSilenceFrames: meta.resetAfterSilenceFrames } : { resetAfterSilenceFrames: meta.resetAfterSilenceFrames, maxSegmentFrames: meta.maxSegmentFrames };
}
