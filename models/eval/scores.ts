/**
 * The three scores of a condition, from what the server sent for each clip:
 * - final:   the `top` label of the session's last (`final: true`) result — the end-of-clip answer;
 * - live:    the `top` label of every voiced hop's result, each hop counted — what an agent
 *            watching the live view sees (UAR over hops);
 * - summary: `summary.dominant`, the argmax of the mean distribution over voiced hops.
 * Calibration: expected calibration error of the live confidences (10 equal-width bins) and
 * the reliability table behind it. A clip without a voiced result counts as wrong.
 * Live by position: the live UAR of the clip's k-th voiced hop, k in LIVE_POSITION_BINS, so
 * the report shows how the live view improves as an utterance goes on.
 */
import { metricsFromConfusion, type Metrics } from '../train/metrics.js';

export interface ClipOutcome {
  /** Index of the true label. */
  label: number;
  final: number | null;
  summary: number | null;
  /** Voiced hops: predicted label and its confidence. */
  live: { pred: number; confidence: number }[];
}

export interface ReliabilityBin {
  /** Bin edges on confidence. */
  from: number;
  to: number;
  hops: number;
  meanConfidence: number;
  accuracy: number;
}

/** A range of voiced-hop positions within a clip (1 = its first voiced hop), both ends inclusive; `to` null: no end. */
export interface LivePositionBin {
  from: number;
  to: number | null;
  hops: number;
  uar: number;
}

export const LIVE_POSITION_BINS: readonly (readonly [number, number | null])[] = [
  [1, 1],
  [2, 2],
  [3, 4],
  [5, 8],
  [9, null],
];

export interface ConditionScores {
  clips: number;
  /** Clips that got no voiced result (counted wrong). */
  noResult: number;
  liveHops: number;
  final: Metrics;
  live: Metrics;
  summary: Metrics;
  /** Expected calibration error of live confidences, 0–1. */
  ece: number;
  reliability: ReliabilityBin[];
  liveByPosition: LivePositionBin[];
}

export const RELIABILITY_BINS = 10;

function metricsOf(pairs: readonly [number, number | null][], labels: readonly string[]): Metrics {
  const n = labels.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const [t, p] of pairs) {
    // No answer is an error: booked as the next class, so it costs recall where it belongs.
    const pred = p ?? (t + 1) % n;
    (confusion[t] as number[])[pred] = ((confusion[t] as number[])[pred] as number) + 1;
  }
  return metricsFromConfusion(confusion, labels);
}

export function reliability(hops: readonly { correct: boolean; confidence: number }[], bins = RELIABILITY_BINS): { ece: number; table: ReliabilityBin[] } {
  const table: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({ from: b / bins, to: (b + 1) / bins, hops: 0, meanConfidence: 0, accuracy: 0 }));
  for (const h of hops) {
    const bin = table[Math.min(bins - 1, Math.max(0, Math.floor(h.confidence * bins)))] as ReliabilityBin;
    bin.hops += 1;
    bin.meanConfidence += h.confidence;
    bin.accuracy += h.correct ? 1 : 0;
  }
  let ece = 0;
  for (const bin of table) {
    if (bin.hops === 0) continue;
    bin.meanConfidence /= bin.hops;
    bin.accuracy /= bin.hops;
    ece += (bin.hops / Math.max(1, hops.length)) * Math.abs(bin.accuracy - bin.meanConfidence);
  }
  return { ece, table };
}

export function scoreCondition(outcomes: readonly ClipOutcome[], labels: readonly string[]): ConditionScores {
  const hops = outcomes.flatMap((o) => o.live.map((h, k) => ({ label: o.label, position: k + 1, ...h })));
  const { ece, table } = reliability(hops.map((h) => ({ correct: h.pred === h.label, confidence: h.confidence })));
  return {
    clips: outcomes.length,
    noResult: outcomes.filter((o) => o.final === null).length,
    liveHops: hops.length,
    final: metricsOf(outcomes.map((o) => [o.label, o.final]), labels),
    live: metricsOf(hops.map((h) => [h.label, h.pred]), labels),
    summary: metricsOf(outcomes.map((o) => [o.label, o.summary]), labels),
    ece,
    reliability: table,
    liveByPosition: LIVE_POSITION_BINS.map(([from, to]) => {
      const inBin = hops.filter((h) => h.position >= from && h.position <= (to ?? Infinity));
      return { from, to, hops: inBin.length, uar: metricsOf(inBin.map((h) => [h.label, h.pred]), labels).uar };
    }),
  };
}

export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const variance = values.length < 2 ? 0 : values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}
