/**
 * Missing-result detection for one stream. The server owes one `emotion` per hop of stream
 * time, numbered 0, 1, 2, …, whose hops [startMs, startMs + hop) tile the stream without
 * gaps; the last result's `endMs` must reach the end of the audio; after `end` a result
 * marked `final` and then a `summary` must arrive.
 *
 * A result's `endMs` (its last contributing sample) may trail its hop's end: the model
 * consumes whole analysis frames and steps, so up to a step of audio waits for the next
 * result. That lag is not a missing result; it is reported as staleness. At the end of the
 * stream there is no next result: the frames of an unfinished step never reach the model,
 * so a voiced final result may trail the audio by up to a step more than the tolerance.
 */

export interface CoverageConfig {
  /** The session's hop, ms (from `ready.hopMs`), > 0. */
  hopMs: number;
  /**
   * Slack, ms, allowed in hop start times and between the final `endMs` and the end of the
   * audio (the last analysis frame, 25 ms, may be incomplete). Default 30.
   */
  toleranceMs?: number;
}

export interface CoverageReport {
  /** Results received. */
  results: number;
  /** Hops owed but never answered: seq gaps, uncovered stretches, a missing final result. */
  missingResults: number;
  /** Stream time, ms, up to which results cover the audio without a gap. */
  coveredMs: number;
  finalSeen: boolean;
  summarySeen: boolean;
  /** Results whose seq went backwards or repeated (a protocol violation, not counted as missing). */
  outOfOrder: number;
  /** Largest (end of the result's hop − its endMs), ms: audio the result did not yet reflect. */
  maxStalenessMs: number;
}

export const DEFAULT_COVERAGE_TOLERANCE_MS = 30;

/**
 * Audio, ms, that the final result may leave out beyond the tolerance: the shipped model's
 * step (8 frames of 10 ms), whose unfinished remainder at `end` is never stepped.
 */
export const FINAL_STEP_SLACK_MS = 80;

export class CoverageTracker {
  readonly hopMs: number;
  private readonly toleranceMs: number;
  private expectedSeq = 0;
  private coveredMs = 0;
  /** Where the next hop should start, ms. */
  private nextHopStartMs = 0;
  private maxStalenessMs = 0;
  private results = 0;
  private missing = 0;
  private outOfOrder = 0;
  private finalSeen = false;
  private summarySeen = false;

  constructor(config: CoverageConfig) {
    if (!(config.hopMs > 0)) throw new RangeError(`expected hopMs > 0, got ${config.hopMs}`);
    this.hopMs = config.hopMs;
    this.toleranceMs = config.toleranceMs ?? DEFAULT_COVERAGE_TOLERANCE_MS;
  }

  onResult(seq: number, startMs: number, endMs: number, final: boolean): void {
    this.results++;
    if (final) this.finalSeen = true;
    let seqGap = 0;
    if (seq < this.expectedSeq) this.outOfOrder++;
    else {
      seqGap = seq - this.expectedSeq;
      this.missing += seqGap;
      this.expectedSeq = seq + 1;
    }
    const gapMs = startMs - this.nextHopStartMs;
    if (gapMs > this.toleranceMs) {
      // Hops skipped in stream time; those the seq numbers already revealed count once.
      const hopsInGap = Math.max(1, Math.round(gapMs / this.hopMs));
      this.missing += Math.max(0, hopsInGap - seqGap);
    }
    if (startMs + this.hopMs > this.nextHopStartMs) this.nextHopStartMs = startMs + this.hopMs;
    if (endMs > this.coveredMs) this.coveredMs = endMs;
    if (!final) this.maxStalenessMs = Math.max(this.maxStalenessMs, startMs + this.hopMs - endMs);
  }

  onSummary(): void {
    this.summarySeen = true;
  }

  /**
   * The verdict once the stream is over. `audioMs` is the stream time of all audio sent;
   * `ended` says whether `end` was sent (only then are a final result and summary owed).
   */
  report(audioMs: number, ended: boolean): CoverageReport {
    let missing = this.missing;
    const uncoveredMs = audioMs - this.coveredMs;
    const slackMs = this.toleranceMs + (this.finalSeen ? FINAL_STEP_SLACK_MS : 0);
    if (uncoveredMs > slackMs) missing += Math.ceil((uncoveredMs - slackMs) / this.hopMs);
    if (ended && !this.finalSeen && uncoveredMs <= this.toleranceMs) missing += 1;
    return {
      results: this.results,
      missingResults: missing,
      coveredMs: this.coveredMs,
      finalSeen: this.finalSeen,
      summarySeen: this.summarySeen,
      outOfOrder: this.outOfOrder,
      maxStalenessMs: this.maxStalenessMs,
    };
  }
}
