/**
 * Latency bookkeeping for one stream: remembers when each chunk was sent and which samples
 * it carried, so a result's `endMs` can be traced back to the send time of the chunk that
 * held its last contributing sample. Latency = result arrival − that send time, both read
 * from the same clock (`performance.now()` in the worker that owns the socket).
 */

/**
 * Index of the last sample that contributed to a result ending at `endMs`: samples
 * [0, floor(endMs·rate/1000)) lie before `endMs`, so the last is one less (clamped at 0).
 */
export function lastSampleIndex(endMs: number, sampleRateHz: number): number {
  const samples = (endMs * sampleRateHz) / 1000;
  // endMs is often a float like 249.99999999; within 1e-6 sample of an integer is that integer.
  const nearest = Math.round(samples);
  const whole = Math.abs(samples - nearest) < 1e-6 ? nearest : Math.floor(samples);
  return Math.max(0, whole - 1);
}

/**
 * A growable ring of (sentAtMs, cumulative end sample) per chunk, oldest first. Results
 * arrive in stream order, so every chunk before the one a result points at can be dropped:
 * the ring only holds the chunks the server has not answered yet (a handful, unless the
 * server falls behind, in which case it grows rather than losing entries).
 */
export class ChunkLedger {
  private sentAtMs: Float64Array;
  private endSample: Float64Array;
  private head = 0;
  private size = 0;
  /** Cumulative end sample of the last dropped chunk = start sample of the oldest held. */
  private droppedEndSample = 0;
  /** Total samples recorded so far. */
  totalSamples = 0;

  constructor(initialCapacity = 64) {
    const capacity = Math.max(2, initialCapacity);
    this.sentAtMs = new Float64Array(capacity);
    this.endSample = new Float64Array(capacity);
  }

  /** Number of chunks held. */
  get length(): number {
    return this.size;
  }

  /** Records a chunk of `sampleCount` samples sent at `sentAtMs`. */
  record(sentAtMs: number, sampleCount: number): void {
    if (!(sampleCount > 0)) throw new RangeError(`expected a positive sample count, got ${sampleCount}`);
    if (this.size === this.sentAtMs.length) this.grow();
    const slot = (this.head + this.size) % this.sentAtMs.length;
    this.totalSamples += sampleCount;
    this.sentAtMs[slot] = sentAtMs;
    this.endSample[slot] = this.totalSamples;
    this.size++;
  }

  /**
   * Send time of the chunk that holds sample `sampleIndex`, or undefined if no held chunk
   * does (never sent, or already dropped because a later sample was looked up before).
   * Drops every chunk strictly before the one found unless `keep` is set.
   */
  sentTimeOfSample(sampleIndex: number, keep = false): number | undefined {
    if (sampleIndex < this.droppedEndSample) return undefined;
    const cap = this.sentAtMs.length;
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % cap;
      if (sampleIndex < (this.endSample[slot] as number)) {
        if (i > 0 && !keep) {
          const lastDropped = (this.head + i - 1) % cap;
          this.droppedEndSample = this.endSample[lastDropped] as number;
          this.head = slot;
          this.size -= i;
        }
        return this.sentAtMs[slot] as number;
      }
    }
    return undefined;
  }

  private grow(): void {
    const cap = this.sentAtMs.length;
    const sent = new Float64Array(cap * 2);
    const ends = new Float64Array(cap * 2);
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % cap;
      sent[i] = this.sentAtMs[slot] as number;
      ends[i] = this.endSample[slot] as number;
    }
    this.sentAtMs = sent;
    this.endSample = ends;
    this.head = 0;
  }
}
