/**
 * Feeds a session's received audio into its pipeline without holding the event loop: a
 * message larger than one slice (0.25 s of audio by default) is cut into slices processed
 * one per macrotask, so a file client's 1 MiB message (32 s at 16 kHz, ~30–80 ms of
 * resampling and MFCC work) cannot stall every other socket. Small messages arriving to an
 * empty queue — the live-stream case — are fed at once, adding no latency.
 *
 * `end` is queued behind the audio, so the stream completes only after every byte received
 * has been fed: sample order and the end-after-audio rule are kept.
 *
 * With a Pacer, a slice is fed only when the session's real-time budget allows (live
 * first, pacer.ts); what waits stays here, counted in the session's backlog, so the
 * backlog's pause/reject policy bounds it.
 */
import type { AudioChunk } from '../pipeline/index.js';
import type { Pacer } from './pacer.js';

/** Optional pacing of a queue: the budget, and how to turn bytes into stream seconds. */
export interface QueuePacing {
  pacer: Pacer;
  /** Bytes of one stream second, > 0. */
  bytesPerSecond: number;
  /** Called once per slice that had to wait for the budget, with its stream seconds. */
  onPaced?: (seconds: number) => void;
}

/** Audio fed per macrotask, seconds: ≈ 2 ms of work at 48 kHz on a slow core. */
export const SLICE_SECONDS = 0.25;

export class AudioQueue {
  private readonly slices: AudioChunk[] = [];
  /** Cancels the pending step (an immediate, or a pacing timer); null when none is pending. */
  private scheduled: (() => void) | null = null;
  private scheduledIsTimer = false;
  /** Whether the head slice already waited for the pacer (counted once). */
  private headPaced = false;
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
    private readonly pacing?: QueuePacing,
  ) {
    if (!(Number.isInteger(sliceBytes) && sliceBytes > 0)) throw new RangeError(`sliceBytes: expected a positive integer, got ${sliceBytes}`);
  }

  /** Chunks waiting to be fed. */
  get pending(): number {
    return this.slices.length;
  }

  /** Queues `bytes` (of one `channel` when they are already split, a telephony track). */
  push(bytes: Uint8Array, arrivedAtMs: number, channel?: number): void {
    if (this.disposed || this.ending) return;
    const chunk = (part: Uint8Array): AudioChunk => (channel === undefined ? { bytes: part, arrivedAtMs } : { bytes: part, arrivedAtMs, channel });
    if (this.slices.length === 0 && this.scheduled === null && bytes.length <= this.sliceBytes && this.waitMs() === 0) {
      this.feedPaced(chunk(bytes));
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += this.sliceBytes) {
      this.slices.push(chunk(bytes.subarray(offset, offset + this.sliceBytes)));
    }
    this.schedule();
  }

  /** Completes the input once everything queued has been fed. */
  end(): void {
    if (this.disposed || this.ending) return;
    this.ending = true;
    if (this.slices.length === 0 && this.scheduled === null) this.complete();
  }

  /** Stops pacing (a drain finishes the received audio as fast as it can). */
  hurry(): void {
    this.pacing?.pacer.lift();
    if (this.scheduled !== null && this.scheduledIsTimer) {
      this.cancel();
      this.schedule();
    }
  }

  /** Drops whatever is queued; nothing is fed or completed afterwards. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.slices.length = 0;
    this.cancel();
  }

  private waitMs(): number {
    return this.pacing === undefined ? 0 : this.pacing.pacer.waitMs(performance.now());
  }

  private feedPaced(chunk: AudioChunk): void {
    this.pacing?.pacer.fed(chunk.bytes.length / this.pacing.bytesPerSecond, performance.now());
    this.feed(chunk);
  }

  private cancel(): void {
    this.scheduled?.();
    this.scheduled = null;
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled !== null || this.disposed) return;
    this.scheduledIsTimer = delayMs > 0;
    if (delayMs > 0) {
      const timer = setTimeout(() => this.step(), delayMs);
      this.scheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.step());
      this.scheduled = () => clearImmediate(immediate);
    }
  }

  private step(): void {
    this.scheduled = null;
    const head = this.slices[0];
    if (head !== undefined) {
      const waitMs = this.waitMs();
      if (waitMs > 0) {
        if (!this.headPaced && this.pacing !== undefined) {
          this.headPaced = true;
          this.pacing.onPaced?.(head.bytes.length / this.pacing.bytesPerSecond);
        }
        this.schedule(waitMs);
        return;
      }
      this.slices.shift();
      this.headPaced = false;
      this.feedPaced(head);
    }
    if (this.disposed) return;
    if (this.slices.length > 0) this.schedule();
    else if (this.ending) this.complete();
  }
}
