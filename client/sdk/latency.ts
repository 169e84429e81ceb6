/**
 * Measures result latency on the client: remembers when each sent chunk's last sample left
 * (in stream time), and when a result for stream time `endMs` arrives, reports
 * now − (wall time at which `endMs` was sent). Sample counts are the clock for stream time.
 */

/** At most this many unacknowledged sends are remembered; older ones are dropped first. */
const MAX_PENDING_SENDS = 4096;

export class LatencyTracker {
  /** Stream time, ms, of the end of each unacknowledged send, ascending. */
  private readonly streamMs: number[] = [];
  /** Wall time, ms (performance.now), of each of those sends. */
  private readonly wallMs: number[] = [];
  private sentFrames = 0;

  /** @param sampleRateHz the stream's declared input rate, Hz. */
  constructor(private readonly sampleRateHz: number) {}

  /** Stream time sent so far, ms. */
  get sentMs(): number {
    return (this.sentFrames / this.sampleRateHz) * 1000;
  }

  /** Records that `frames` sample frames were handed to the socket at `nowMs`. */
  recordSend(frames: number, nowMs: number): void {
    this.sentFrames += frames;
    this.streamMs.push(this.sentMs);
    this.wallMs.push(nowMs);
    if (this.streamMs.length > MAX_PENDING_SENDS) {
      this.streamMs.shift();
      this.wallMs.shift();
    }
  }

  /** Latency of a result covering stream time up to `endMs`, or null if unknown. */
  onResult(endMs: number, nowMs: number): number | null {
    // The first send whose end reaches endMs carried endMs's last sample (1 ms slack for rounding).
    let i = 0;
    while (i < this.streamMs.length && (this.streamMs[i] ?? 0) < endMs - 1) i++;
    const sentAt = this.wallMs[i];
    // Keep the matched send: the next result may end inside the same chunk.
    this.streamMs.splice(0, i);
    this.wallMs.splice(0, i);
    return sentAt === undefined ? null : Math.max(0, nowMs - sentAt);
  }
}
