/**
 * The end-of-stream summary, accumulated result by result (no result list is kept, so a
 * long call costs constant memory beyond its segments).
 *   durationMs  the audio received: where the final hop ends (without one, the latest hop
 *               end); an earlier hop cut early may end past it, at its boundary
 *   voicedMs    time of voiced hops
 *   mean        mean reported distribution over voiced hops (uniform if none)
 *   dominant    argmax of `mean`
 *   segments    runs of consecutive voiced hops with the same top label, with the mean
 *               confidence of that label over the run
 */
import type { EmotionMessage, SummaryMessage, SummarySegment } from '../../shared/protocol.js';

export class SummaryAccumulator {
  private readonly sums: Float64Array;
  private voicedHops = 0;
  private voicedMs = 0;
  /** Latest hop end, ms. */
  private hopEndMs = 0;
  /** Longest stream (end of the audio) among the final hops seen, ms; null before any. */
  private finalEndMs: number | null = null;
  private readonly segments: SummarySegment[] = [];
  private open: { startMs: number; endMs: number; label: string; confidenceSum: number; hops: number } | null = null;

  /**
   * @param keepSegments false for an accumulator whose sums are all that is used (the pooled
   *   summary of separate channels), so it keeps no segment list
   */
  constructor(
    private readonly labels: readonly string[],
    private readonly keepSegments = true,
  ) {
    this.sums = new Float64Array(labels.length);
  }

  /** Adds one result; `hopEndMs` is the stream time the hop covers up to. */
  push(message: EmotionMessage, hopEndMs: number): void {
    const spanMs = Math.max(0, hopEndMs - message.startMs);
    this.hopEndMs = Math.max(this.hopEndMs, hopEndMs);
    if (message.final === true) this.finalEndMs = Math.max(this.finalEndMs ?? 0, hopEndMs);
    if (!message.voiced) {
      this.closeSegment();
      return;
    }
    this.voicedHops += 1;
    this.voicedMs += spanMs;
    this.labels.forEach((label, i) => {
      this.sums[i] = (this.sums[i] ?? 0) + (message.probs[label] ?? 0);
    });
    if (!this.keepSegments) return;
    if (this.open !== null && this.open.label === message.top && this.open.endMs >= message.startMs) {
      this.open.endMs = Math.max(this.open.endMs, hopEndMs);
      this.open.confidenceSum += message.confidence;
      this.open.hops += 1;
    } else {
      this.closeSegment();
      this.open = { startMs: message.startMs, endMs: hopEndMs, label: message.top, confidenceSum: message.confidence, hops: 1 };
    }
  }

  /**
   * Adds another accumulator's totals (sums, voiced hops and time, latest and final hop
   * ends). A pooled summary built this way from per-channel accumulators, in channel order,
   * has the same floating-point sums whatever order the channels' hops arrived in.
   */
  absorb(other: SummaryAccumulator): void {
    other.sums.forEach((v, i) => {
      this.sums[i] = (this.sums[i] ?? 0) + v;
    });
    this.voicedHops += other.voicedHops;
    this.voicedMs += other.voicedMs;
    this.hopEndMs = Math.max(this.hopEndMs, other.hopEndMs);
    if (other.finalEndMs !== null) this.finalEndMs = Math.max(this.finalEndMs ?? 0, other.finalEndMs);
  }

  private closeSegment(): void {
    if (this.open === null) return;
    this.segments.push({
      startMs: this.open.startMs,
      endMs: this.open.endMs,
      label: this.open.label,
      confidence: round6(this.open.confidenceSum / this.open.hops),
    });
    this.open = null;
  }

  build(): SummaryMessage {
    this.closeSegment();
    const durationMs = this.finalEndMs ?? this.hopEndMs;
    const mean: Record<string, number> = {};
    let dominant = this.labels[0] ?? '';
    let best = -1;
    this.labels.forEach((label, i) => {
      const p = this.voicedHops > 0 ? (this.sums[i] ?? 0) / this.voicedHops : 1 / this.labels.length;
      mean[label] = round6(p);
      if (p > best) {
        best = p;
        dominant = label;
      }
    });
    return {
      type: 'summary',
      durationMs: round6(durationMs),
      voicedMs: round6(this.voicedMs),
      mean,
      dominant,
      segments: this.segments.map((s) => ({ ...s, endMs: Math.min(s.endMs, round6(durationMs)) })),
    };
  }
}

/** The summary's rounding: 6 decimals. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
