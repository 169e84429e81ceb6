/**
 * Every kind of `POST /v1/analyze` body, built from the speech fixtures: WAV files in each
 * encoding and layout the server reads (chunks before and after `data`, streamed sizes, a
 * truncated last block, WAVE_FORMAT_EXTENSIBLE, encodings decoded in the worker and those
 * decoded on the main thread, more than two channels), raw audio described by the query,
 * `channelMode=separate`, and malformed bodies with their error. Odd rates (11025 Hz) make
 * slices whose size in bytes is not a whole number, so their cut points are tested too.
 * Used by analyze_streaming.test.ts; also the bodies of the one-off comparison with the
 * buffering implementation (see that test's header).
 */
import { readFile } from 'node:fs/promises';
import { FIXTURES } from '../helpers/server.js';
import { clipPair, encodeSamples, interleave } from '../helpers/channels.js';

export interface AnalyzeBody {
  name: string;
  /** The query string, with its `?` (or empty). */
  query: string;
  body: Uint8Array;
  /** The status the answer has (200, or the error's). */
  status: number;
  /** A body (by name) whose results and summary this one's equal: the same audio another way. */
  sameAs?: string;
}

interface WavChunk {
  id: string;
  data: Uint8Array;
  /** The size written in the chunk header (default: the data's length). */
  size?: number;
}

/** A RIFF/WAVE file from its chunks (odd-sized chunks padded, as RIFF wants). */
export function riff(chunks: WavChunk[], riffSize?: number): Uint8Array {
  const length = 12 + chunks.reduce((n, c) => n + 8 + c.data.length + (c.data.length & 1), 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => [...text].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, riffSize ?? length - 8, true);
  ascii(8, 'WAVE');
  let at = 12;
  for (const c of chunks) {
    ascii(at, c.id);
    view.setUint32(at + 4, c.size ?? c.data.length, true);
    out.set(c.data, at + 8);
    at += 8 + c.data.length + (c.data.length & 1);
  }
  return out;
}

/** A fmt chunk body: plain (16 bytes) or WAVE_FORMAT_EXTENSIBLE (40 bytes, sub-format = `formatTag`). */
export function fmt(formatTag: number, channels: number, rateHz: number, bits: number, extensible = false): Uint8Array {
  const out = new Uint8Array(extensible ? 40 : 16);
  const view = new DataView(out.buffer);
  const blockAlign = (channels * bits) / 8;
  view.setUint16(0, extensible ? 0xfffe : formatTag, true);
  view.setUint16(2, channels, true);
  view.setUint32(4, rateHz, true);
  view.setUint32(8, rateHz * blockAlign, true);
  view.setUint16(12, blockAlign, true);
  view.setUint16(14, bits, true);
  if (extensible) {
    view.setUint16(16, 22, true);
    view.setUint16(18, bits, true);
    view.setUint16(24, formatTag, true);
  }
  return out;
}

/** Float samples of `channels` clips interleaved, in a file-only integer width (8/24/32 bits) or float64. */
function encodeWide(clips: Float32Array[], kind: 'u8' | 's24' | 's32' | 'f64'): Uint8Array {
  const width = { u8: 1, s24: 3, s32: 4, f64: 8 }[kind];
  const frames = clips[0]?.length ?? 0;
  const out = new Uint8Array(frames * clips.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < frames; i++) {
    clips.forEach((clip, c) => {
      const x = Math.max(-1, Math.min(1 - 2 ** -23, clip[i] ?? 0));
      const at = (i * clips.length + c) * width;
      if (kind === 'u8') out[at] = Math.round(x * 127) + 128;
      else if (kind === 's32') view.setInt32(at, Math.round(x * 2 ** 31 - 1), true);
      else if (kind === 'f64') view.setFloat64(at, x, true);
      else {
        const v = Math.round(x * 2 ** 23) & 0xffffff;
        out.set([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff], at);
      }
    });
  }
  return out;
}

/** Equal-length mono byte streams of `sampleBytes` samples → one interleaved stream. */
function interleaveMany(parts: Uint8Array[], sampleBytes: number): Uint8Array {
  const frames = (parts[0]?.length ?? 0) / sampleBytes;
  const out = new Uint8Array(frames * sampleBytes * parts.length);
  for (let f = 0; f < frames; f++) {
    parts.forEach((p, c) => out.set(p.subarray(f * sampleBytes, (f + 1) * sampleBytes), (f * parts.length + c) * sampleBytes));
  }
  return out;
}

const PCM = 1;
const FLOAT = 3;
const MULAW = 7;

/** Every body kind the analysis reads, and the malformed ones with their status. */
export async function analyzeBodies(): Promise<AnalyzeBody[]> {
  const happyFile = new Uint8Array(await readFile(FIXTURES.happy));
  const [a, b] = await clipPair(FIXTURES.happy, FIXTURES.angry, 16_000);
  const [a11, b11] = await clipPair(FIXTURES.happy, FIXTURES.angry, 11_025);
  const [a44] = await clipPair(FIXTURES.neutral, FIXTURES.neutral, 44_100);
  const s16 = encodeSamples(a, 'pcm_s16le');
  const stereo16 = interleave(s16, encodeSamples(b, 'pcm_s16le'), 2);
  const list = { id: 'LIST', data: new TextEncoder().encode('INFOISFT\x05\x00\x00\x00Lavf\x00') };
  // 24 806 stereo 16-bit frames at 11025 Hz (99 224 bytes) and 2 bytes of a partial frame
  // (even, so no pad byte follows): the slice cut at 9 × 11025 = 99 225 bytes ends past the
  // whole frames, so dropping the partial frame shortens a slice that looked whole.
  const stereo11 = interleave(encodeSamples(a11.subarray(0, 24_806), 'pcm_s16le'), encodeSamples(b11.subarray(0, 24_806), 'pcm_s16le'), 2);
  const truncated = new Uint8Array(stereo11.length + 2);
  truncated.set(stereo11);
  truncated.set([1, 2], stereo11.length);
  const f64Bad = new Float64Array(16_000).fill(0.01);
  f64Bad[8_000] = Number.POSITIVE_INFINITY;
  const wav = (tag: number, channels: number, rate: number, bits: number, data: Uint8Array): Uint8Array =>
    riff([{ id: 'fmt ', data: fmt(tag, channels, rate, bits) }, { id: 'data', data }]);
  const ok = (name: string, query: string, body: Uint8Array, sameAs?: string): AnalyzeBody => ({ name, query, body, status: 200, ...(sameAs === undefined ? {} : { sameAs }) });
  const FIXTURE = 'wav s16 mono (fixture file)';
  const STEREO11 = 'wav data size past the end, partial last frame, 11025 Hz stereo mix';
  const oddRaw = new Uint8Array(s16.length + 1);
  oddRaw.set(s16);
  oddRaw[s16.length] = 7;
  return [
    ok(FIXTURE, '', happyFile),
    ok('wav s16 mono, hopMs 500, smoothing 0', '?hopMs=500&smoothing=0', happyFile),
    ok('wav with LIST and fact chunks before data', '', riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, list, { id: 'fact', data: new Uint8Array(4) }, { id: 'data', data: s16 }]), FIXTURE),
    ok('wav with a chunk after data', '', riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, { id: 'data', data: s16 }, list]), FIXTURE),
    ok('wav streamed: data size 0xFFFFFFFF', '', riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, { id: 'data', data: s16, size: 0xffffffff }], 0xffffffff), FIXTURE),
    ok('wav streamed: data and RIFF size 0', '', riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, { id: 'data', data: s16, size: 0 }], 0), FIXTURE),
    ok('wav data size 0 (no audio)', '', riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, { id: 'data', data: s16, size: 0 }])),
    ok(STEREO11, '', riff([{ id: 'fmt ', data: fmt(PCM, 2, 11_025, 16) }, { id: 'data', data: truncated, size: 0x7fffffff }])),
    ok('wav 11025 Hz stereo mix, whole frames only', '', wav(PCM, 2, 11_025, 16, stereo11), STEREO11),
    ok('raw s16 11025 Hz stereo mix', '?sampleRate=11025&encoding=pcm_s16le&channels=2', stereo11, STEREO11),
    ok('wav stereo s16 mix', '', wav(PCM, 2, 16_000, 16, stereo16)),
    ok('wav extensible float32 44.1 kHz', '', riff([{ id: 'fmt ', data: fmt(FLOAT, 1, 44_100, 32, true) }, { id: 'data', data: encodeSamples(a44, 'pcm_f32le') }])),
    ok('wav µ-law 11025 Hz (slices of 2756.25 bytes)', '', wav(MULAW, 1, 11_025, 8, encodeSamples(a11, 'mulaw'))),
    ok('wav u8 (decoded here)', '', wav(PCM, 1, 16_000, 8, encodeWide([a], 'u8'))),
    ok('wav s24 (decoded here)', '', wav(PCM, 1, 16_000, 24, encodeWide([a], 's24')), FIXTURE),
    ok('wav s32 (decoded here)', '', wav(PCM, 1, 16_000, 32, encodeWide([a], 's32'))),
    ok('wav f64 (decoded here)', '', wav(FLOAT, 1, 16_000, 64, encodeWide([a], 'f64')), FIXTURE),
    ok('wav 3 channels s16 (decoded here)', '', wav(PCM, 3, 16_000, 16, interleaveMany([s16, encodeSamples(b, 'pcm_s16le'), s16.slice().reverse()], 2))),
    ok('raw s16 mono', '?sampleRate=16000&encoding=pcm_s16le&channels=1', s16, FIXTURE),
    ok('raw s16 mono, a trailing odd byte', '?sampleRate=16000&encoding=pcm_s16le&channels=1', oddRaw, FIXTURE),
    ok('raw s16 11025 Hz (slices of 5512.5 bytes)', '?sampleRate=11025&encoding=pcm_s16le', encodeSamples(a11, 'pcm_s16le')),
    ok('raw µ-law 8 kHz, hopMs 1000', '?sampleRate=8000&encoding=mulaw&hopMs=1000', encodeSamples((await clipPair(FIXTURES.angry, FIXTURES.angry, 8_000))[0], 'mulaw')),
    ok('raw s16 stereo mix', '?sampleRate=16000&encoding=pcm_s16le&channels=2', stereo16, 'wav stereo s16 mix'),
    ok('separate: wav s16 stereo, labels', '?channelMode=separate&channelLabels=agent,caller', wav(PCM, 2, 16_000, 16, stereo16)),
    ok('separate: raw µ-law stereo', '?channelMode=separate&sampleRate=16000&encoding=mulaw&channels=2', interleave(encodeSamples(a, 'mulaw'), encodeSamples(b, 'mulaw'), 1)),
    ok('separate: raw s16 stereo, a partial frame at the end', '?channelMode=separate&sampleRate=16000&encoding=pcm_s16le&channels=2', stereo16.subarray(0, stereo16.length - 1)),
    ok('separate: wav s24 stereo (decoded here)', '?channelMode=separate', wav(PCM, 2, 16_000, 24, encodeWide([a, b], 's24'))),
    ok('separate: wav f64 stereo 11025 Hz (decoded here)', '?channelMode=separate', wav(FLOAT, 2, 11_025, 64, encodeWide([a11, b11], 'f64'))),
    { name: 'empty', query: '', body: new Uint8Array(0), status: 400 },
    { name: 'raw without its format', query: '', body: new Uint8Array(1000), status: 400 },
    { name: 'separate raw without its format', query: '?channelMode=separate', body: new Uint8Array(1000), status: 400 },
    { name: 'raw in an unknown encoding', query: '?sampleRate=16000&encoding=opus', body: new Uint8Array(1000), status: 415 },
    { name: 'raw float with a non-finite sample', query: '?sampleRate=16000&encoding=pcm_f32le', body: new Uint8Array(new Float32Array([0.1, Infinity, 0.2, 0.1]).buffer), status: 422 },
    { name: 'wav f64 with a non-finite sample half-way', query: '', body: wav(FLOAT, 1, 16_000, 64, new Uint8Array(f64Bad.buffer)), status: 422 },
    { name: 'wav fmt chunk too short', query: '', body: riff([{ id: 'fmt ', data: new Uint8Array(10) }, { id: 'data', data: s16 }]), status: 422 },
    { name: 'wav fmt cut off by the end', query: '', body: riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }]).subarray(0, 30), status: 422 },
    { name: 'wav in MP3 (format tag 0x55)', query: '', body: wav(0x55, 1, 16_000, 16, s16), status: 415 },
    { name: 'wav at 4 kHz', query: '', body: wav(PCM, 1, 4_000, 16, s16), status: 415 },
    { name: 'wav without data', query: '', body: riff([{ id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }, list]), status: 422 },
    { name: 'wav data before fmt', query: '', body: riff([{ id: 'data', data: s16 }, { id: 'fmt ', data: fmt(PCM, 1, 16_000, 16) }]), status: 422 },
    { name: 'wav without fmt or data, a chunk past the end', query: '', body: riff([{ id: 'LIST', data: new Uint8Array(8), size: 1_000_000 }]), status: 422 },
    { name: 'wav bad blockAlign', query: '', body: (() => {
      const f = fmt(PCM, 1, 16_000, 16);
      f[12] = 4;
      return riff([{ id: 'fmt ', data: f }, { id: 'data', data: s16 }]);
    })(), status: 422 },
    { name: 'separate: wav with 3 channels', query: '?channelMode=separate', body: wav(PCM, 3, 16_000, 16, new Uint8Array(9_600)), status: 415 },
  ];
}
