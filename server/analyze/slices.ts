/**
 * Cuts a body's audio into the slices an analysis feeds, one at a time as the body is
 * read, at exactly the places a cut of the whole audio makes: slice k is
 * [⌊k·size⌋, ⌊(k+1)·size⌋) bytes (a slice of 0.25 s need not be a whole number of bytes:
 * 11025 Hz 16-bit mono gives 5512.5), the last one shorter.
 *
 * A WAV's audio is its whole sample frames only (shared/wav.ts drops a partial frame at
 * the end), so a slice is handed out only once `frameBytes − 1` bytes past it are known to
 * exist (or the audio is known to end): dropping a partial frame can shorten the last slice
 * (or the one before it, when the last would be shorter than a frame), never one already fed.
 * Held at once: one slice and those few bytes.
 */
import type { ByteSource } from './body.js';

export interface SliceOptions {
  /** Slice length, bytes, ≥ 1; may be fractional (the cut points are truncated). */
  sliceBytes: number;
  /** Whole units the audio is kept in, bytes, ≥ 1 (a WAV's block; 1 for raw audio, kept to the byte). */
  frameBytes: number;
  /** Bytes of audio in the body from here (a WAV's declared data size); Infinity: to the end. */
  dataBytes: number;
}

/** End (exclusive) of slice k of `sliceBytes` each, bytes from the audio's start. */
export function sliceEnd(k: number, sliceBytes: number): number {
  return Math.trunc((k + 1) * sliceBytes);
}

export class BodySlicer {
  private index = 0;
  private offset = 0;
  private done = false;

  constructor(
    private readonly source: ByteSource,
    private readonly options: SliceOptions,
  ) {
    const { sliceBytes, frameBytes, dataBytes } = options;
    if (!(sliceBytes >= 1)) throw new RangeError(`sliceBytes: expected ≥ 1, got ${sliceBytes}`);
    if (!(Number.isInteger(frameBytes) && frameBytes >= 1)) throw new RangeError(`frameBytes: expected a positive integer, got ${frameBytes}`);
    if (!(dataBytes >= 0)) throw new RangeError(`dataBytes: expected ≥ 0, got ${dataBytes}`);
  }

  /** The next slice, or null once the audio has ended. */
  async next(): Promise<Uint8Array | null> {
    if (this.done) return null;
    const { sliceBytes, frameBytes, dataBytes } = this.options;
    const start = this.offset;
    const end = sliceEnd(this.index, sliceBytes);
    // Enough to know the slice is whole: its bytes and the look-ahead, within the audio.
    const wanted = end - start + frameBytes - 1;
    const known = Math.min(await this.source.fill(Math.min(wanted, dataBytes - start)), dataBytes - start);
    let stop = end;
    if (known < wanted) {
      // The audio ends within reach: keep its whole frames.
      const total = start + known;
      stop = Math.min(end, total - (total % frameBytes));
    }
    if (stop <= start) {
      this.done = true;
      return null;
    }
    this.offset = stop;
    if (stop === end) this.index += 1;
    return this.source.take(stop - start);
  }
}
