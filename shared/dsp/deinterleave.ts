/**
 * Streaming byte de-interleaver: interleaved multi-channel audio bytes (L R L R …) → one
 * byte stream per channel, in the same encoding. A chunk may end mid-sample or mid-frame;
 * the bytes of the incomplete frame are carried to the next chunk, so any chunking of the
 * same bytes gives the same per-channel bytes — and each channel's stream is exactly what a
 * mono client of that channel would have sent (channelMode 'separate').
 */

export class ByteDeinterleaver {
  /** Bytes of one interleaved frame (one sample per channel). */
  readonly frameBytes: number;
  private readonly carry: Uint8Array;
  private carryLength = 0;

  /**
   * @param sampleBytes bytes of one sample of one channel (1, 2 or 4 for the protocol's encodings)
   * @param channels interleaved channels, ≥ 1
   */
  constructor(
    readonly sampleBytes: number,
    readonly channels: number,
  ) {
    if (!(Number.isInteger(sampleBytes) && sampleBytes > 0)) throw new RangeError(`sampleBytes: expected a positive integer, got ${sampleBytes}`);
    if (!(Number.isInteger(channels) && channels > 0)) throw new RangeError(`channels: expected a positive integer, got ${channels}`);
    this.frameBytes = sampleBytes * channels;
    this.carry = new Uint8Array(this.frameBytes);
  }

  /** Bytes of an incomplete frame held back, 0 … frameBytes − 1. */
  get pendingBytes(): number {
    return this.carryLength;
  }

  /** One chunk → one array of whole samples per channel (empty while a frame is incomplete). */
  split(chunk: Uint8Array): Uint8Array[] {
    const { frameBytes, sampleBytes, channels } = this;
    // The carried partial frame is joined only when there is one (rare: chunks usually hold
    // whole frames), so the common path reads the chunk in place.
    let data = chunk;
    if (this.carryLength > 0) {
      data = new Uint8Array(this.carryLength + chunk.length);
      data.set(this.carry.subarray(0, this.carryLength));
      data.set(chunk, this.carryLength);
    }
    const frames = Math.floor(data.length / frameBytes);
    const out: Uint8Array[] = [];
    for (let c = 0; c < channels; c += 1) {
      const target = new Uint8Array(frames * sampleBytes);
      for (let f = 0, from = c * sampleBytes, to = 0; f < frames; f += 1, from += frameBytes) {
        for (let b = 0; b < sampleBytes; b += 1, to += 1) target[to] = data[from + b] as number;
      }
      out.push(target);
    }
    const used = frames * frameBytes;
    this.carry.set(data.subarray(used));
    this.carryLength = data.length - used;
    return out;
  }

  reset(): void {
    this.carryLength = 0;
  }
}
