/**
 * Test helper: re-encodes mono float samples as WAV files in the formats a user may hand
 * the SDK (8-bit, 24-bit, float64, µ-law, stereo, odd rates), so `fromWav` + the server
 * can be checked on each. Written independently of shared/wav.ts's encoder on purpose.
 */
import { encodeMulaw } from '../../shared/dsp/g711.js';
import { resampleWhole } from '../../shared/dsp/resample.js';

export type VariantEncoding = 'pcm_u8' | 'pcm_s16le' | 'pcm_s24le' | 'pcm_f32le' | 'pcm_f64le' | 'mulaw';

const FORMAT: Record<VariantEncoding, { tag: number; bits: number }> = {
  pcm_u8: { tag: 1, bits: 8 },
  pcm_s16le: { tag: 1, bits: 16 },
  pcm_s24le: { tag: 1, bits: 24 },
  pcm_f32le: { tag: 3, bits: 32 },
  pcm_f64le: { tag: 3, bits: 64 },
  mulaw: { tag: 7, bits: 8 },
};

export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  return resampleWhole(samples, fromHz, toHz);
}

/** A WAV of `samples` (mono) at `sampleRateHz`, duplicated to `channels`, in `encoding`. */
export function encodeWav(samples: Float32Array, sampleRateHz: number, encoding: VariantEncoding, channels = 1): Uint8Array {
  const { tag, bits } = FORMAT[encoding];
  const bytesPerSample = bits / 8;
  const dataBytes = samples.length * channels * bytesPerSample;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, tag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * channels * bytesPerSample, true);
  view.setUint16(32, channels * bytesPerSample, true);
  view.setUint16(34, bits, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  const mulaw = encoding === 'mulaw' ? encodeMulaw(samples) : null;
  let at = 44;
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i] ?? 0));
    for (let c = 0; c < channels; c++) {
      switch (encoding) {
        case 'pcm_u8':
          view.setUint8(at, Math.max(0, Math.min(255, Math.round(x * 128 + 128))));
          break;
        case 'pcm_s16le':
          view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
          break;
        case 'pcm_s24le': {
          const v = Math.max(-8388608, Math.min(8388607, Math.round(x * 8388608)));
          view.setUint8(at, v & 0xff);
          view.setUint8(at + 1, (v >> 8) & 0xff);
          view.setUint8(at + 2, (v >> 16) & 0xff);
          break;
        }
        case 'pcm_f32le':
          view.setFloat32(at, x, true);
          break;
        case 'pcm_f64le':
          view.setFloat64(at, x, true);
          break;
        case 'mulaw':
          view.setUint8(at, mulaw?.[i] ?? 0xff);
          break;
      }
      at += bytesPerSample;
    }
  }
  return out;
}
