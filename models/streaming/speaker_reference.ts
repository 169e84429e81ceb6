/**
 * A stream's speaker reference for the stats head: the mean and variance of the utterance
 * statistics of the stream's earlier segments, shrunk toward the training set's. A stream
 * carries one speaker over one channel, and the statistics of an utterance say more about
 * the emotion relative to that speaker's usual voice than in absolute terms (the fact
 * sheet's per-speaker z-scoring). Causal: a segment joins the reference when it ends, so
 * the first segment of every stream is read exactly as without one.
 *
 * After n earlier utterances, per statistic j:
 *   mean_ref = (n · mean_spk + n0 · mean_G) / (n + n0),  var_ref likewise,
 *   u'_j = mean_G + sd_G · (u_j − mean_ref) / sd_ref,
 * so the head (fitted on u' of training speakers with random histories) reads statistics in
 * the global frame, and u' = u when n = 0.
 */

export interface SpeakerNormConfig {
  /** n0: pseudo-utterances of the global reference. */
  priorUtterances: number;
  /** Global mean and variance of each statistic over the training utterances. */
  mean: number[];
  variance: number[];
  /** Voiced frames a segment needs to join the reference. */
  minVoicedFrames: number;
}

const VAR_FLOOR = 1e-9;

export class SpeakerReference {
  private count = 0;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly sdG: Float64Array;
  /** affine() of the current utterances, computed once per utterance added (apply runs every step). */
  private cached: { scale: Float64Array; shift: Float64Array } | null = null;

  constructor(private readonly config: SpeakerNormConfig) {
    validateSpeakerNorm(config, config.mean.length);
    this.sum = new Float64Array(config.mean.length);
    this.sumSq = new Float64Array(config.mean.length);
    this.sdG = Float64Array.from(config.variance, (v) => Math.sqrt(v + VAR_FLOOR));
  }

  /** Utterances in the reference. */
  get utterances(): number {
    return this.count;
  }

  /** Forgets every utterance (a fresh stream). */
  clear(): void {
    this.count = 0;
    this.sum.fill(0);
    this.sumSq.fill(0);
    this.cached = null;
  }

  /** Adds one finished segment's statistics, if it had enough voiced frames. */
  addUtterance(stats: Float64Array, voicedFrames: number): void {
    if (voicedFrames < this.config.minVoicedFrames) return;
    for (let j = 0; j < this.sum.length; j++) {
      this.sum[j]! += stats[j]!;
      this.sumSq[j]! += stats[j]! * stats[j]!;
    }
    this.count++;
    this.cached = null;
  }

  /**
   * The map u' = shift + scale · u per statistic; null before the first utterance (the
   * identity). The offline path hands it to the tensor head (ForwardOptions.statsAffine).
   */
  affine(): { scale: Float64Array; shift: Float64Array } | null {
    const n = this.count;
    if (n === 0) return null;
    if (this.cached !== null) return this.cached;
    const n0 = this.config.priorUtterances;
    const { mean, variance } = this.config;
    const scale = new Float64Array(mean.length);
    const shift = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const m = this.sum[j]! / n;
      const v = Math.max(this.sumSq[j]! / n - m * m, 0);
      const refMean = (n * m + n0 * mean[j]!) / (n + n0);
      const refVar = (n * v + n0 * variance[j]!) / (n + n0);
      scale[j] = this.sdG[j]! / Math.sqrt(refVar + VAR_FLOOR);
      shift[j] = mean[j]! - scale[j]! * refMean;
    }
    this.cached = { scale, shift };
    return this.cached;
  }

  /** Re-references `stats` in place (identity before the first utterance) and returns it. */
  apply(stats: Float64Array): Float64Array {
    const a = this.affine();
    if (a === null) return stats;
    // Only the statistics it was built on: a head input after them (the count) is left as is.
    for (let j = 0; j < a.scale.length; j++) stats[j] = a.shift[j]! + a.scale[j]! * stats[j]!;
    return stats;
  }
}

export function validateSpeakerNorm(c: SpeakerNormConfig, dims: number): void {
  if (!(c.priorUtterances > 0)) throw new Error(`speakerNorm.priorUtterances: expected > 0, got ${c.priorUtterances}`);
  if (c.mean.length !== dims || c.variance.length !== dims) throw new Error(`speakerNorm: expected ${dims} means and variances, got ${c.mean.length} and ${c.variance.length}`);
  if (c.variance.some((v) => !(v >= 0)) || c.mean.some((m) => !Number.isFinite(m))) throw new Error('speakerNorm: expected finite means and variances ≥ 0');
  if (!Number.isInteger(c.minVoicedFrames) || c.minVoicedFrames < 0) throw new Error(`speakerNorm.minVoicedFrames: expected an integer ≥ 0, got ${c.minVoicedFrames}`);
}
