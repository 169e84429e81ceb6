/**
 * RIFF/WAVE reading and writing, isomorphic (no Node API).
 *
 * Reads PCM 8/16/24/32-bit integer, 32/64-bit float, µ-law (format 7) and A-law (format 6),
 * plain or WAVE_FORMAT_EXTENSIBLE; skips unknown chunks and their pad bytes; tolerates a
 * data chunk whose declared size runs past the end of the bytes (streaming writers put
 * 0 or 0xFFFFFFFF there), keeping the whole blocks that are present. The fmt chunk rules
 * and the size conventions are exported for readers that get the file piece by piece
 * (server/analyze/wav.ts), so both read a file the same way.
 */
import { ProtocolError } from './error_codes.js';
import { ENCODINGS, type Encoding } from './protocol.js';
import { ALAW_DECODE_TABLE, MULAW_DECODE_TABLE } from './dsp/g711.js';

/** Sample encodings a WAV file may carry: the protocol's, plus those only files use. */
export type WavEncoding = Encoding | 'pcm_u8' | 'pcm_s24le' | 'pcm_s32le' | 'pcm_f64le';

/** Whether a WAV's encoding is one the stream protocol carries (so its bytes can be streamed as they are). */
export function isStreamEncoding(encoding: WavEncoding): encoding is Encoding {
  return (ENCODINGS as readonly string[]).includes(encoding);
}

export interface ParsedWav {
  sampleRateHz: number;
  channels: number;
  encoding: WavEncoding;
  /** The sample bytes, interleaved, whole blocks only (a view into the input). */
  data: Uint8Array;
}

/** wFormatTag values (Microsoft mmreg.h). */
const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Sizes that mean "unknown, read to the end" in streamed WAVs. */
const STREAMING_SIZE = 0xffffffff;
const MAX_CHANNELS = 32;

export function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function encodingOf(formatTag: number, bits: number): WavEncoding {
  const unsupported = (): never => {
    throw new ProtocolError('unsupported_format', `unsupported WAV format tag 0x${formatTag.toString(16)} with ${bits}-bit samples`);
  };
  switch (formatTag) {
    case WAVE_FORMAT_PCM:
      if (bits === 8) return 'pcm_u8';
      if (bits === 16) return 'pcm_s16le';
      if (bits === 24) return 'pcm_s24le';
      if (bits === 32) return 'pcm_s32le';
      return unsupported();
    case WAVE_FORMAT_IEEE_FLOAT:
      if (bits === 32) return 'pcm_f32le';
      if (bits === 64) return 'pcm_f64le';
      return unsupported();
    case WAVE_FORMAT_MULAW:
      return bits === 8 ? 'mulaw' : unsupported();
    case WAVE_FORMAT_ALAW:
      return bits === 8 ? 'alaw' : unsupported();
    default:
      return unsupported();
  }
}

/** What a fmt chunk says. */
export interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRateHz: number;
  /** Bytes of one frame (one sample of every channel). */
  blockAlign: number;
}

/** Bytes of a fmt chunk's body that are read (a WAVE_FORMAT_EXTENSIBLE one; a plain one uses 16). */
export const FMT_READ_BYTES = 40;

/**
 * A fmt chunk whose header declares `size` bytes, from the first bytes of its body that
 * are present (`head`, at most FMT_READ_BYTES: fewer when the file ends inside it).
 */
export function parseFmtChunk(head: Uint8Array, size: number): WavFormat {
  if (size < 16 || head.length < 16) throw new ProtocolError('bad_audio', `expected a fmt chunk of ≥ 16 bytes, got ${size}`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let formatTag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRateHz = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bits = view.getUint16(14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40 || head.length < 40) throw new ProtocolError('bad_audio', `expected a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk, got ${size}`);
    // The sub-format GUID starts with the plain format tag (KSDATAFORMAT_SUBTYPE_*).
    formatTag = view.getUint16(24, true);
  }
  const encoding = encodingOf(formatTag, bits);
  if (channels < 1 || channels > MAX_CHANNELS) throw new ProtocolError('unsupported_format', `expected 1–${MAX_CHANNELS} channels, got ${channels}`);
  if (sampleRateHz < 1) throw new ProtocolError('bad_audio', `expected a positive sample rate, got ${sampleRateHz}`);
  if (blockAlign !== (channels * bits) / 8) {
    throw new ProtocolError('bad_audio', `expected blockAlign ${(channels * bits) / 8} for ${channels} × ${bits} bits, got ${blockAlign}`);
  }
  return { encoding, channels, sampleRateHz, blockAlign };
}

/** Whether a data chunk's declared size means "unknown, read to the end" (streaming writers). */
export function isStreamingDataSize(dataSize: number, riffSize: number): boolean {
  return dataSize === STREAMING_SIZE || (dataSize === 0 && (riffSize === 0 || riffSize === STREAMING_SIZE));
}

/** The error of a RIFF/WAVE file that ended before its data chunk (`format`: whether a fmt chunk came). */
export function missingDataError(format: boolean): ProtocolError {
  return new ProtocolError('bad_audio', format ? 'expected a data chunk, got none' : 'expected fmt and data chunks, got neither');
}

/** The fmt-before-data rule. */
export function dataBeforeFmtError(): ProtocolError {
  return new ProtocolError('bad_audio', 'expected a fmt chunk before the data chunk, got data first');
}

export function parseWav(bytes: Uint8Array): ParsedWav {
  if (bytes.length < 12 || fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') {
    const tag = bytes.length >= 4 ? fourcc(bytes, 0) : '';
    throw new ProtocolError(
      'unsupported_format',
      tag === 'RIFX' || tag === 'RF64' ? `unsupported WAV variant ${tag}` : 'expected a RIFF/WAVE file, got other bytes',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffSize = view.getUint32(4, true);
  let format: WavFormat | null = null;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      format = parseFmtChunk(bytes.subarray(body, body + FMT_READ_BYTES), size);
    } else if (id === 'data') {
      if (!format) throw dataBeforeFmtError();
      const present = bytes.length - body;
      const declared = isStreamingDataSize(size, riffSize) ? present : Math.min(size, present);
      const usable = declared - (declared % format.blockAlign);
      return {
        sampleRateHz: format.sampleRateHz,
        channels: format.channels,
        encoding: format.encoding,
        data: bytes.subarray(body, body + usable),
      };
    }
    // Chunks are word-aligned: an odd size is followed by one pad byte.
    pos = body + size + (size & 1);
  }
  throw missingDataError(format !== null);
}

const BYTES_PER_SAMPLE: Readonly<Record<WavEncoding, number>> = {
  pcm_u8: 1,
  pcm_s16le: 2,
  pcm_s24le: 3,
  pcm_s32le: 4,
  pcm_f32le: 4,
  pcm_f64le: 8,
  mulaw: 1,
  alaw: 1,
};

/** Bytes of one interleaved frame (one sample of every channel) of a parsed WAV. */
export function wavFrameBytes(wav: Pick<ParsedWav, 'encoding' | 'channels'>): number {
  return BYTES_PER_SAMPLE[wav.encoding] * wav.channels;
}

/** One sample at byte `at`, in [-1, 1] for integer formats (the 2^(bits−1) scale). */
function sampleAt(view: DataView, bytes: Uint8Array, at: number, encoding: WavEncoding): number {
  switch (encoding) {
    case 'pcm_u8':
      return ((bytes[at] as number) - 128) / 128;
    case 'pcm_s16le':
      return view.getInt16(at, true) / 32768;
    case 'pcm_s24le':
      return ((((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16)) << 8) >> 8) / 8388608;
    case 'pcm_s32le':
      return view.getInt32(at, true) / 2147483648;
    case 'pcm_f32le':
      return view.getFloat32(at, true);
    case 'pcm_f64le':
      return view.getFloat64(at, true);
    case 'mulaw':
      return MULAW_DECODE_TABLE[bytes[at] as number] as number;
    case 'alaw':
      return ALAW_DECODE_TABLE[bytes[at] as number] as number;
  }
}

/**
 * Decodes interleaved samples of any WAV encoding: one channel (0-based), or every channel
 * averaged to mono (`channel` null). Non-finite samples are `bad_audio`.
 */
function decodeInterleaved(data: Uint8Array, encoding: WavEncoding, channels: number, channel: number | null): Float32Array {
  const bytesPerSample = BYTES_PER_SAMPLE[encoding];
  const blockBytes = bytesPerSample * channels;
  const frames = Math.floor(data.length / blockBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let v: number;
    if (channel === null) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += sampleAt(view, data, i * blockBytes + c * bytesPerSample, encoding);
      v = sum / channels;
    } else {
      v = sampleAt(view, data, i * blockBytes + channel * bytesPerSample, encoding);
    }
    if (!Number.isFinite(v)) {
      throw new ProtocolError('bad_audio', `expected finite samples, got ${v} at frame ${i}${channel === null ? '' : ` of channel ${channel}`}`);
    }
    out[i] = v;
  }
  return out;
}

/** Decodes interleaved samples of any WAV encoding, averaging channels to mono. */
export function decodeInterleavedToMono(data: Uint8Array, encoding: WavEncoding, channels: number): Float32Array {
  return decodeInterleaved(data, encoding, channels, null);
}

/** Decodes one channel (0-based) of interleaved samples of any WAV encoding. */
export function decodeInterleavedChannel(data: Uint8Array, encoding: WavEncoding, channels: number, channel: number): Float32Array {
  return decodeInterleaved(data, encoding, channels, channel);
}

export function decodeWavToMono(bytes: Uint8Array): { sampleRateHz: number; samples: Float32Array } {
  const wav = parseWav(bytes);
  return { sampleRateHz: wav.sampleRateHz, samples: decodeInterleavedToMono(wav.data, wav.encoding, wav.channels) };
}

/**
 * Mono float samples → 16-bit PCM WAV. Values are clipped to [-1, 1] and rounded as
 * round(x · 32768) limited to [−32768, 32767], the inverse of the decoders' /32768, so
 * decode(encode(x)) is exact for any x that came from 16-bit PCM.
 */
export function encodeWavPcm16(samples: Float32Array, sampleRateHz: number): Uint8Array {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > 0xffffffff / 2) {
    throw new RangeError(`expected sampleRateHz a positive integer, got ${sampleRateHz}`);
  }
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    const v = Number.isNaN(x) ? 0 : Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
    view.setInt16(44 + 2 * i, v, true);
  }
  return out;
}
