/**
 * G.711 µ-law and A-law companding (ITU-T G.711), as in the Sun Microsystems reference
 * `g711.c` that sox, ffmpeg and most telephony stacks reproduce bit for bit.
 *
 * Decoding is a 256-entry table lookup; the tables are exact (µ-law decodes to 14-bit and
 * A-law to 13-bit linear values, scaled here to the 16-bit range and then to [-1, 1) by
 * dividing by 32768, the same scale as `pcm_s16le`). Encoding exists for the telephone
 * augmentation round trip, the load test's calls and the tests.
 *
 * The encoders round the sample to the nearest 14-bit (µ-law) or 13-bit (A-law) value, as
 * sox does from its float samples (checked code for code against sox in
 * test/shared/g711_sox.test.ts). The Sun code's `x >> 2` floors instead, which maps every
 * tiny negative sample (−1 … −4 of 16 bits) to the −8 code and every tiny positive one to
 * 0: a quiet studio's ±1 LSB silence becomes asymmetric −84 dBFS noise where sox's call
 * (and a real line's encoder, which sees the analogue level) carries digital zero. Training
 * on the floored version cost a model trained only on calls 7 of its 16-point gap between
 * simulated and sox calls (models/README.md, r28).
 */

/** µ-law bias added before the segment search (G.711 §2; Sun g711.c `BIAS`). */
const MULAW_BIAS = 0x84;
/** Largest 14-bit magnitude µ-law can represent after the bias (Sun g711.c `CLIP`, >> 2). */
const MULAW_CLIP_14BIT = 8159;
/** Segment end points of the 14-bit µ-law and 13-bit A-law magnitudes (Sun g711.c). */
const MULAW_SEGMENT_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;
/** Full scale of the 16-bit linear domain both laws are expressed in. */
const INT16_SCALE = 32768;

function segmentOf(magnitude: number, ends: readonly number[]): number {
  for (let seg = 0; seg < ends.length; seg++) {
    if (magnitude <= (ends[seg] as number)) return seg;
  }
  return ends.length;
}

/** µ-law byte → 16-bit linear sample (range ±32124). */
export function mulawToInt16(byte: number): number {
  const u = ~byte & 0xff;
  const mantissa = ((u & 0x0f) << 3) + MULAW_BIAS;
  const magnitude = (mantissa << ((u & 0x70) >> 4)) - MULAW_BIAS;
  // 0 − m, not −m: the negative-zero code 0x7f must decode to +0 like 0xff.
  return u & 0x80 ? 0 - magnitude : magnitude;
}

/** A-law byte → 16-bit linear sample (range ±32256). */
export function alawToInt16(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Linear sample in the 16-bit range (any number; clipped; rounded to 14 bits) → µ-law byte. */
export function int16ToMulaw(sample: number): number {
  // sox: the 14-bit value rounded half up (its SOX_SAMPLE_TO_SIGNED), then the Sun code on it.
  const v14 = Number.isNaN(sample) ? 0 : Math.round(Math.max(-32768, Math.min(32767, sample)) / 4);
  let pcm = Math.abs(v14);
  const mask = v14 < 0 ? 0x7f : 0xff;
  if (pcm > MULAW_CLIP_14BIT) pcm = MULAW_CLIP_14BIT;
  pcm += MULAW_BIAS >> 2;
  const seg = segmentOf(pcm, MULAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

/** Linear sample in the 16-bit range (any number; clipped; rounded to 13 bits, as sox does) → A-law byte. */
export function int16ToAlaw(sample: number): number {
  let pcm = Number.isNaN(sample) ? 0 : Math.round(Math.max(-32768, Math.min(32767, sample)) / 8);
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segmentOf(pcm, ALAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return (aval ^ mask) & 0xff;
}

function buildTable(toInt16: (byte: number) => number): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = toInt16(b) / INT16_SCALE;
  return table;
}

/** Byte → float sample in [-1, 1), shared by the streaming decoder and the WAV reader. */
export const MULAW_DECODE_TABLE: Float32Array = buildTable(mulawToInt16);
export const ALAW_DECODE_TABLE: Float32Array = buildTable(alawToInt16);

/** Float samples in [-1, 1] (clipped beyond) → µ-law bytes. */
export function encodeMulaw(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = int16ToMulaw((samples[i] as number) * INT16_SCALE);
  return out;
}

/** Float samples in [-1, 1] (clipped beyond) → A-law bytes. */
export function encodeAlaw(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = int16ToAlaw((samples[i] as number) * INT16_SCALE);
  return out;
}

/** µ-law bytes → float samples. */
export function decodeMulaw(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_DECODE_TABLE[bytes[i] as number] as number;
  return out;
}

/** A-law bytes → float samples. */
export function decodeAlaw(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE_TABLE[bytes[i] as number] as number;
  return out;
}
