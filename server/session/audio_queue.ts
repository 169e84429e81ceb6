/**
 * Feeds a session's received audio into its pipeline without holding the event loop: a
 * message larger than one slice (0.25 s of audio by default) is cut into slices processed
 * one per macrotask, so a file client's 1 MiB message (32 s at 16 kHz, ~30–80 ms of
 * resampling and MFCC work) cannot stall every other socket. Small messages arriving to an
 * empty queue — the live-stream case — are fed at once, adding no latency.
 *
 * `end` is queued behind the audio, so the stream completes only after every byte received
 * has been fed: sample order and the end-after-audio rule are kept.
 */
import type { AudioChunk } from '../pipeline/index.js';

/** Audio fed per macrotask, seconds: ≈ 2 ms of work at 48 kHz on a slow core. */
export const SLICE_SECONDS = 0.25;

export class AudioQueue {
  private readonly slices: AudioChunk[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private ending = false;
  private disposed = false;

  /**
   * @param sliceBytes most bytes fed per macrotask, > 0 (a multiple of the sample frame size
   *   is tidy but not required: the decoder carries partial samples)
   * @param feed pushes one chunk into the pipeline (synchronous)
   * @param complete completes the pipeline's input
   */
  constructor(
    private readonly sliceBytes: number,
    private readonly feed: (chunk: AudioChunk) => void,
    private readonly complete: () => void,
  ) {
    if (!(Number.isInteger(sliceBytes) && sliceBytes > 0)) throw new RangeError(`sliceBytes: expected a positive integer, got ${sliceBytes}`);
  }

  /** Chunks waiting to be fed. */
  get pending(): number {
    return this.slices.length;
  }

  push(bytes: Uint8Array, arrivedAtMs: number): void {
    if (this.disposed || this.ending) return;
    if (this.slices.length === 0 && this.scheduled === null && bytes.length <= this.sliceBytes) {
      this.feed({ bytes, arrivedAtMs });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += this.sliceBytes) {
      this.slices.push({ bytes: bytes.subarray(offset, offset + this.sliceBytes), arrivedAtMs });
    }
    this.schedule();
  }

  /** Completes the input once everything queued has been fed. */
  end(): void {
    if (this.disposed || this.ending) return;
    this.ending = true;
    if (this.slices.length === 0 && this.scheduled === null) this.complete();
  }

  /** Drops whatever is queued; nothing is fed or completed afterwards. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.slices.length = 0;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  private schedule(): void {
    if (this.scheduled === null && !this.disposed) this.scheduled = setImmediate(() => this.step());
  }

  private step(): void {
    this.scheduled = null;
    const slice = this.slices.shift();
    if (slice !== undefined) this.feed(slice);
    if (this.disposed) return;
    if (this.slices.length > 0) this.schedule();
    else if (this.ending) this.complete();
  }
}
