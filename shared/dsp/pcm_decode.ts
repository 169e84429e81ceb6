/**
 * Streaming PCM decoder: protocol-v1 audio bytes → mono float samples in [-1, 1].
 *
 * WebSocket messages need not align with samples or stereo frames, so the bytes of an
 * incomplete frame are carried to the next chunk rather than dropped (which would shift
 * every later sample) or decoded early. Stereo is downmixed by averaging the two channels,
 * which keeps full scale at full scale when both channels carry the same signal.
 */
import { ProtocolError } from '../error_codes.js';
import { ENCODINGS, type Encoding } from '../protocol.js';
import { ALAW_DECODE_TABLE, MULAW_DECODE_TABLE } from './g711.js';

/** Bytes per sample of one channel, by encoding. */
export const BYTES_PER_SAMPLE: Readonly<Record<Encoding, number>> = {
  pcm_s16le: 2,
  pcm_f32le: 4,
  mulaw: 1,
  alaw: 1,
};

/** Full scale of signed 16-bit PCM; -32768 maps to exactly -1 (the usual convention). */
const INT16_SCALE = 32768;

export interface PcmDecoderConfig {
  /** One of the protocol's encodings (`pcm_s16le`, `pcm_f32le`, `mulaw`, `alaw`). */
  encoding: Encoding;
  /** Interleaved channel count, 1 or 2; stereo is averaged to mono. */
  channels: 1 | 2;
}

export class PcmDecoder {
  readonly encoding: Encoding;
  readonly channels: 1 | 2;
  /** Bytes of one interleaved frame (one sample per channel). */
  readonly frameBytes: number;
  private readonly carry: Uint8Array;
  private carryLength = 0;
  /** Absolute index of the next output sample, for error messages. */
  private samplesDecoded = 0;

  constructor(config: PcmDecoderConfig) {
    if (!(ENCODINGS as readonly string[]).includes(config.encoding)) {
      throw new ProtocolError(
        'unsupported_format',
        `expected encoding one of ${ENCODINGS.join(', ')}, got ${String(config.encoding)}`,
      );
    }
    if (config.channels !== 1 && config.channels !== 2) {
      throw new ProtocolError('unsupported_format', `expected channels 1 or 2, got ${String(config.channels)}`);
    }
    this.encoding = config.encoding;
    this.channels = config.channels;
    this.frameBytes = BYTES_PER_SAMPLE[config.encoding] * config.channels;
    this.carry = new Uint8Array(this.frameBytes);
  }

  /** Bytes of an incomplete frame held back from the last chunk, 0 … frameBytes − 1. */
  get pendingBytes(): number {
    return this.carryLength;
  }

  /** Decodes every complete frame now available; the tail of an incomplete frame is carried. */
  decode(chunk: Uint8Array): Float32Array {
    const frameBytes = this.frameBytes;
    const totalFrames = Math.floor((this.carryLength + chunk.length) / frameBytes);
    const out = new Float32Array(totalFrames);
    let offset = 0;
    let outIndex = 0;
    if (this.carryLength > 0) {
      const needed = frameBytes - this.carryLength;
      if (chunk.length < needed) {
        this.carry.set(chunk, this.carryLength);
        this.carryLength += chunk.length;
        return out;
      }
      this.carry.set(chunk.subarray(0, needed), this.carryLength);
      this.decodeFrames(this.carry, 0, 1, out, 0);
      this.carryLength = 0;
      offset = needed;
      outIndex = 1;
    }
    const frames = totalFrames - outIndex;
    this.decodeFrames(chunk, offset, frames, out, outIndex);
    offset += frames * frameBytes;
    const rest = chunk.length - offset;
    if (rest > 0) {
      this.carry.set(chunk.subarray(offset), 0);
      this.carryLength = rest;
    }
    this.samplesDecoded += totalFrames;
    return out;
  }

  /** Forgets any carried bytes, as at the start of a new stream. */
  reset(): void {
    this.carryLength = 0;
    this.samplesDecoded = 0;
  }

  private decodeFrames(bytes: Uint8Array, offset: number, frames: number, out: Float32Array, outIndex: number): void {
    if (frames <= 0) return;
    const stereo = this.channels === 2;
    switch (this.encoding) {
      case 'pcm_s16le':
        decodeS16(bytes, offset, frames, stereo, out, outIndex);
        break;
      case 'pcm_f32le': {
        const bad = decodeF32(bytes, offset, frames, stereo, out, outIndex);
        if (bad >= 0) {
          const sampleIndex = this.samplesDecoded + (bad - outIndex);
          throw new ProtocolError('bad_audio', `expected finite pcm_f32le samples, got ${out[bad]} at frame ${sampleIndex}`);
        }
        break;
      }
      case 'mulaw':
        decodeTable(bytes, offset, frames, stereo, MULAW_DECODE_TABLE, out, outIndex);
        break;
      case 'alaw':
        decodeTable(bytes, offset, frames, stereo, ALAW_DECODE_TABLE, out, outIndex);
        break;
    }
  }
}

function decodeS16(bytes: Uint8Array, offset: number, frames: number, stereo: boolean, out: Float32Array, outIndex: number): void {
  let p = offset;
  if (stereo) {
    for (let i = 0; i < frames; i++, p += 4) {
      const l = (((bytes[p] as number) | ((bytes[p + 1] as number) << 8)) << 16) >> 16;
      const r = (((bytes[p + 2] as number) | ((bytes[p + 3] as number) << 8)) << 16) >> 16;
      out[outIndex + i] = (l + r) / (2 * INT16_SCALE);
    }
  } else {
    for (let i = 0; i < frames; i++, p += 2) {
      const s = (((bytes[p] as number) | ((bytes[p + 1] as number) << 8)) << 16) >> 16;
      out[outIndex + i] = s / INT16_SCALE;
    }
  }
}

/** Returns the output index of the first non-finite sample, or −1. */
function decodeF32(bytes: Uint8Array, offset: number, frames: number, stereo: boolean, out: Float32Array, outIndex: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, frames * (stereo ? 8 : 4));
  let bad = -1;
  if (stereo) {
    for (let i = 0; i < frames; i++) {
      const v = (view.getFloat32(i * 8, true) + view.getFloat32(i * 8 + 4, true)) * 0.5;
      out[outIndex + i] = v;
      if (bad < 0 && !Number.isFinite(v)) bad = outIndex + i;
    }
  } else {
    for (let i = 0; i < frames; i++) {
      const v = view.getFloat32(i * 4, true);
      out[outIndex + i] = v;
      if (bad < 0 && !Number.isFinite(v)) bad = outIndex + i;
    }
  }
  return bad;
}

function decodeTable(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  stereo: boolean,
  table: Float32Array,
  out: Float32Array,
  outIndex: number,
): void {
  if (stereo) {
    for (let i = 0, p = offset; i < frames; i++, p += 2) {
      out[outIndex + i] = ((table[bytes[p] as number] as number) + (table[bytes[p + 1] as number] as number)) * 0.5;
    }
  } else {
    for (let i = 0; i < frames; i++) out[outIndex + i] = table[bytes[offset + i] as number] as number;
  }
}
