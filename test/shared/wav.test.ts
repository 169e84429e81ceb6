import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../shared/error_codes.js';
import { int16ToAlaw, int16ToMulaw } from '../../shared/dsp/g711.js';
import { decodeWavToMono, encodeWavPcm16, parseWav } from '../../shared/wav.js';
import { SPEECH_FIXTURES, concatBytes, readFixture } from './helpers.js';

interface WavSpec {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bits: number;
  data: Uint8Array;
  extensible?: boolean;
  /** Chunks inserted before fmt and between fmt and data. */
  extraChunks?: Uint8Array[];
  dataSizeOverride?: number;
  riffSizeOverride?: number;
}

function chunk(id: string, body: Uint8Array, declaredSize = body.length): Uint8Array {
  const header = new Uint8Array(8);
  for (let i = 0; i < 4; i++) header[i] = id.charCodeAt(i);
  new DataView(header.buffer).setUint32(4, declaredSize, true);
  return concatBytes([header, body, new Uint8Array(body.length & 1)]);
}

/** Builds a WAV by hand, independently of encodeWavPcm16. */
function buildWav(s: WavSpec): Uint8Array {
  const fmt = new Uint8Array(s.extensible ? 40 : 16);
  const v = new DataView(fmt.buffer);
  v.setUint16(0, s.extensible ? 0xfffe : s.formatTag, true);
  v.setUint16(2, s.channels, true);
  v.setUint32(4, s.sampleRateHz, true);
  v.setUint32(8, (s.sampleRateHz * s.channels * s.bits) / 8, true);
  v.setUint16(12, (s.channels * s.bits) / 8, true);
  v.setUint16(14, s.bits, true);
  if (s.extensible) {
    v.setUint16(16, 22, true);
    v.setUint16(18, s.bits, true);
    v.setUint32(20, s.channels === 2 ? 3 : 4, true);
    v.setUint16(24, s.formatTag, true); // KSDATAFORMAT_SUBTYPE_*: tag, then the fixed GUID tail
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const extra = s.extraChunks ?? [];
  const body = concatBytes([
    new TextEncoder().encode('WAVE'),
    ...extra.slice(0, 1),
    chunk('fmt ', fmt),
    ...extra.slice(1),
    chunk('data', s.data, s.dataSizeOverride),
  ]);
  return concatBytes([chunk('RIFF', body, s.riffSizeOverride ?? body.length)]);
}

function bytesOf(kind: 'i16' | 'i24' | 'i32' | 'f32' | 'f64' | 'u8', values: number[]): Uint8Array {
  const size = { i16: 2, i24: 3, i32: 4, f32: 4, f64: 8, u8: 1 }[kind];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === 'i16') view.setInt16(i * 2, x, true);
    else if (kind === 'i32') view.setInt32(i * 4, x, true);
    else if (kind === 'f32') view.setFloat32(i * 4, x, true);
    else if (kind === 'f64') view.setFloat64(i * 8, x, true);
    else if (kind === 'u8') out[i] = x;
    else out.set([x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff], i * 3);
  });
  return out;
}

const isCode = (code: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code && (!pattern || pattern.test(e.message));

test('every supported sample format decodes to the same mono values', () => {
  const expected = [0, 0.5, -0.5, -1];
  const cases: [string, WavSpec][] = [
    ['u8', { formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 8, data: bytesOf('u8', [128, 192, 64, 0]) }],
    ['s16', { formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 16, data: bytesOf('i16', [0, 16384, -16384, -32768]) }],
    ['s24', { formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 24, data: bytesOf('i24', [0, 1 << 22, -(1 << 22), -(1 << 23)]) }],
    ['s32', { formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 32, data: bytesOf('i32', [0, 1 << 30, -(1 << 30), -(2 ** 31)]) }],
    ['f32', { formatTag: 3, channels: 1, sampleRateHz: 8000, bits: 32, data: bytesOf('f32', expected) }],
    ['f64', { formatTag: 3, channels: 1, sampleRateHz: 8000, bits: 64, data: bytesOf('f64', expected) }],
    ['s16 extensible', { formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 16, extensible: true, data: bytesOf('i16', [0, 16384, -16384, -32768]) }],
    ['f32 extensible', { formatTag: 3, channels: 1, sampleRateHz: 8000, bits: 32, extensible: true, data: bytesOf('f32', expected) }],
  ];
  for (const [name, spec] of cases) {
    const { sampleRateHz, samples } = decodeWavToMono(buildWav(spec));
    assert.equal(sampleRateHz, 8000, name);
    assert.deepEqual(Array.from(samples), expected, name);
  }
});

test('µ-law (format 7) and A-law (format 6) parse to the protocol encodings', () => {
  const mu = Uint8Array.from([0, 8000, -8000].map(int16ToMulaw));
  const a = Uint8Array.from([0, 8000, -8000].map(int16ToAlaw));
  const pm = parseWav(buildWav({ formatTag: 7, channels: 1, sampleRateHz: 8000, bits: 8, data: mu }));
  assert.equal(pm.encoding, 'mulaw');
  assert.deepEqual(pm.data, mu);
  const pa = parseWav(buildWav({ formatTag: 6, channels: 1, sampleRateHz: 8000, bits: 8, data: a, extensible: true }));
  assert.equal(pa.encoding, 'alaw');
  const samples = decodeWavToMono(buildWav({ formatTag: 7, channels: 1, sampleRateHz: 8000, bits: 8, data: mu })).samples;
  assert.ok(Math.abs((samples[1] as number) - 8000 / 32768) < 0.01);
});

test('stereo and multichannel are averaged to mono', () => {
  const data = bytesOf('i16', [16384, 0, -16384, -16384]);
  assert.deepEqual(Array.from(decodeWavToMono(buildWav({ formatTag: 1, channels: 2, sampleRateHz: 44100, bits: 16, data })).samples), [0.25, -0.5]);
  const p = parseWav(buildWav({ formatTag: 1, channels: 2, sampleRateHz: 44100, bits: 16, data }));
  assert.equal(p.channels, 2);
  assert.equal(p.encoding, 'pcm_s16le');
  const quad = bytesOf('i16', [4096, 8192, 12288, 16384]);
  assert.deepEqual(Array.from(decodeWavToMono(buildWav({ formatTag: 1, channels: 4, sampleRateHz: 8000, bits: 16, data: quad })).samples), [0.3125]);
});

test('unknown chunks (odd sizes, pad bytes) are skipped', () => {
  const junk = chunk('JUNK', new Uint8Array(3).fill(0xee));
  const list = chunk('LIST', new TextEncoder().encode('INFOISFT'));
  const wav = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 16000, bits: 16, data: bytesOf('i16', [1, 2, 3]), extraChunks: [junk, list] });
  assert.deepEqual(Array.from(decodeWavToMono(wav).samples), [1, 2, 3].map((x) => Math.fround(x / 32768)));
});

test('a data size past the end (streaming WAVs: 0xFFFFFFFF or 0) keeps the whole blocks present', () => {
  const data = bytesOf('i16', [1, 2, 3, 4, 5]);
  const truncated = buildWav({ formatTag: 1, channels: 2, sampleRateHz: 16000, bits: 16, data: data.subarray(0, 9), dataSizeOverride: 1000 });
  assert.equal(parseWav(truncated).data.length, 8);
  const streaming = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 16000, bits: 16, data, dataSizeOverride: 0xffffffff, riffSizeOverride: 0xffffffff });
  assert.equal(decodeWavToMono(streaming).samples.length, 5);
  const zeroSized = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 16000, bits: 16, data, dataSizeOverride: 0, riffSizeOverride: 0 });
  assert.equal(decodeWavToMono(zeroSized).samples.length, 5);
});

test('errors: not WAV and unsupported codecs → unsupported_format; malformed → bad_audio', () => {
  assert.throws(() => parseWav(new TextEncoder().encode('ID3\u0004 mp3 bytes here')), isCode('unsupported_format', /RIFF\/WAVE/));
  assert.throws(() => parseWav(new Uint8Array(0)), isCode('unsupported_format'));
  const adpcm = buildWav({ formatTag: 2, channels: 1, sampleRateHz: 8000, bits: 4, data: new Uint8Array(4) });
  assert.throws(() => parseWav(adpcm), isCode('unsupported_format', /format tag 0x2/));
  const pcm12 = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 12, data: new Uint8Array(4) });
  assert.throws(() => parseWav(pcm12), isCode('unsupported_format', /12-bit/));
  const good = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 16, data: new Uint8Array(4) });
  assert.throws(() => parseWav(good.subarray(0, 30)), isCode('bad_audio', /fmt/));
  assert.throws(() => parseWav(good.subarray(0, 12)), isCode('bad_audio', /fmt and data/));
  const dataFirst = concatBytes([chunk('RIFF', concatBytes([new TextEncoder().encode('WAVE'), chunk('data', new Uint8Array(2))]))]);
  assert.throws(() => parseWav(dataFirst), isCode('bad_audio', /fmt chunk before the data/));
  const badAlign = buildWav({ formatTag: 1, channels: 1, sampleRateHz: 8000, bits: 16, data: new Uint8Array(4) });
  new DataView(badAlign.buffer).setUint16(32, 3, true);
  assert.throws(() => parseWav(badAlign), isCode('bad_audio', /blockAlign/));
  const nan = buildWav({ formatTag: 3, channels: 1, sampleRateHz: 8000, bits: 32, data: bytesOf('f32', [0, Number.NaN]) });
  assert.throws(() => decodeWavToMono(nan), isCode('bad_audio', /finite/));
});

test('encodeWavPcm16 round-trips 16-bit audio exactly and clips the rest', () => {
  for (const name of SPEECH_FIXTURES) {
    const original = readFixture(`speech/${name}`);
    const { sampleRateHz, samples } = decodeWavToMono(original);
    const again = encodeWavPcm16(samples, sampleRateHz);
    assert.deepEqual(decodeWavToMono(again).samples, samples, name);
    // The fixtures are canonical 44-byte-header WAVs, so even the bytes agree.
    assert.deepEqual(again, original, name);
  }
  const clipped = decodeWavToMono(encodeWavPcm16(Float32Array.from([2, -2, 0.5, Number.NaN]), 8000)).samples;
  assert.deepEqual(Array.from(clipped), [32767 / 32768, -1, 0.5, 0].map(Math.fround));
  assert.throws(() => encodeWavPcm16(new Float32Array(1), 0), /expected sampleRateHz/);
});
