/**
 * Audio ready to stream: the `start` fields plus the bytes to send in that format.
 * `fromWav` keeps a WAV's own encoding when protocol v1 carries it (no conversion, the
 * server decodes exactly what the file holds) and converts the rest (8/24/32-bit int,
 * 64-bit float, > 2 channels, rates outside 8–48 kHz) to mono float32, resampled to
 * 16 kHz where the rate is out of range. Isomorphic.
 */
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import {
  ENCODINGS,
  MAX_SAMPLE_RATE_HZ,
  MIN_SAMPLE_RATE_HZ,
  MODEL_SAMPLE_RATE_HZ,
  type Encoding,
} from '../../shared/protocol.js';
import { decodeInterleavedChannel, decodeInterleavedToMono, parseWav } from '../../shared/wav.js';

export interface AudioSource {
  sampleRate: number;
  encoding: Encoding;
  channels: 1 | 2;
  /** Interleaved samples in `encoding`, whole frames. */
  data: Uint8Array;
}

/** Bytes of one interleaved frame of `source`. */
export function frameBytesOf(source: Pick<AudioSource, 'encoding' | 'channels'>): number {
  return BYTES_PER_SAMPLE[source.encoding] * source.channels;
}

/** Duration of `source`, ms. */
export function durationMsOf(source: AudioSource): number {
  return (source.data.byteLength / frameBytesOf(source) / source.sampleRate) * 1000;
}

/** Mono float samples as a pcm_f32le source (little-endian on every platform that runs JS today). */
export function fromFloat32(samples: Float32Array, sampleRateHz: number): AudioSource {
  let rate = sampleRateHz;
  let out = samples;
  if (rate < MIN_SAMPLE_RATE_HZ || rate > MAX_SAMPLE_RATE_HZ) {
    out = resampleWhole(samples, rate, MODEL_SAMPLE_RATE_HZ);
    rate = MODEL_SAMPLE_RATE_HZ;
  }
  return {
    sampleRate: rate,
    encoding: 'pcm_f32le',
    channels: 1,
    data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
  };
}

/**
 * A WAV file's bytes as a source. Throws ProtocolError('unsupported_format' | 'bad_audio').
 * With `keepStereo` (for channelMode 'separate'), a stereo WAV the protocol cannot carry
 * as is (8/24/32-bit int, 64-bit float) becomes interleaved stereo float32 instead of mono.
 */
export function fromWav(bytes: Uint8Array, options: { keepStereo?: boolean } = {}): AudioSource {
  const wav = parseWav(bytes);
  const native = (ENCODINGS as readonly string[]).includes(wav.encoding);
  const rateOk = wav.sampleRateHz >= MIN_SAMPLE_RATE_HZ && wav.sampleRateHz <= MAX_SAMPLE_RATE_HZ;
  if (native && rateOk && (wav.channels === 1 || wav.channels === 2)) {
    return { sampleRate: wav.sampleRateHz, encoding: wav.encoding as Encoding, channels: wav.channels, data: wav.data };
  }
  if (options.keepStereo === true && wav.channels === 2 && rateOk) {
    const left = decodeInterleavedChannel(wav.data, wav.encoding, 2, 0);
    const right = decodeInterleavedChannel(wav.data, wav.encoding, 2, 1);
    const out = new Float32Array(left.length * 2);
    for (let i = 0; i < left.length; i += 1) {
      out[2 * i] = left[i] as number;
      out[2 * i + 1] = right[i] as number;
    }
    return { sampleRate: wav.sampleRateHz, encoding: 'pcm_f32le', channels: 2, data: new Uint8Array(out.buffer) };
  }
  return fromFloat32(decodeInterleavedToMono(wav.data, wav.encoding, wav.channels), wav.sampleRateHz);
}
