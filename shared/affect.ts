/**
 * The fixed map from categorical emotion labels to the circumplex model of affect
 * (Russell 1980): arousal (calm −1 … +1 excited) and valence (unpleasant −1 … +1 pleasant).
 *
 * Why a fixed table and not a learned regressor: the training data (RAVDESS) carries only
 * categorical labels, so any arousal/valence the server reports is a projection of the
 * distribution. A documented table makes that projection explicit and reproducible; a client
 * that wants another projection can compute it from `probs` itself.
 *
 * Coordinates are rounded placements of each category on the circumplex, following the
 * angular positions in Russell (1980) and Posner, Russell & Peterson (2005). Labels the table
 * does not know map to the origin (neutral), so they pull the estimate toward 0 rather than
 * inventing a direction. Isomorphic: no Node-only API.
 */

export interface AffectPoint {
  /** Activation, −1 (sleepy, calm) … +1 (aroused, excited). */
  arousal: number;
  /** Hedonic tone, −1 (unpleasant) … +1 (pleasant). */
  valence: number;
}

/** Label → circumplex coordinates. Keys are lower-case; lookups are case-insensitive. */
export const AFFECT_MAP: Readonly<Record<string, AffectPoint>> = Object.freeze({
  neutral: { arousal: 0.0, valence: 0.0 },
  calm: { arousal: -0.6, valence: 0.4 },
  happy: { arousal: 0.6, valence: 0.8 },
  sad: { arousal: -0.6, valence: -0.7 },
  angry: { arousal: 0.8, valence: -0.6 },
  fearful: { arousal: 0.7, valence: -0.7 },
  disgust: { arousal: 0.3, valence: -0.8 },
  surprised: { arousal: 0.8, valence: 0.3 },
});

/** Coordinates of one label (the origin for labels outside the table). */
export function affectOfLabel(label: string): AffectPoint {
  return AFFECT_MAP[label.toLowerCase()] ?? { arousal: 0, valence: 0 };
}

/**
 * Arousal and valence of a distribution over labels: the expectation of the labels'
 * coordinates, shrunk toward the origin by the distribution's certainty,
 *
 *   affect(p) = c(p) · Σ_i p_i · point(label_i),   c(p) = 1 − H(p) / ln C
 *
 * (H the entropy in nats, C the number of labels). A one-hot distribution gives exactly its
 * label's point; the uniform distribution — what the server reports over silence — gives
 * exactly (0, 0) instead of the table's average, so arousal and valence never pretend a
 * confidence the distribution does not have. The weights are renormalised first, so rounding
 * in `probs` cannot push a value outside [-1, 1]. Empty or all-zero input gives the origin.
 */
export function affectOf(probs: Readonly<Record<string, number>>): AffectPoint {
  const entries = Object.entries(probs);
  let total = 0;
  for (const [, p] of entries) if (p > 0) total += p;
  if (total === 0) return { arousal: 0, valence: 0 };
  let arousal = 0;
  let valence = 0;
  let entropy = 0;
  for (const [label, raw] of entries) {
    if (!(raw > 0)) continue;
    const p = raw / total;
    const point = affectOfLabel(label);
    arousal += p * point.arousal;
    valence += p * point.valence;
    entropy -= p * Math.log(p);
  }
  const certainty = entries.length > 1 ? Math.max(0, 1 - entropy / Math.log(entries.length)) : 1;
  return { arousal: certainty * arousal, valence: certainty * valence };
}
