import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../shared/error_codes.js';
import { ENCODINGS, type Encoding } from '../../shared/protocol.js';
import { alawToInt16, int16ToAlaw, int16ToMulaw, mulawToInt16 } from '../../shared/dsp/g711.js';
import { PcmDecoder } from '../../shared/dsp/pcm_decode.js';
import { concat, randomChunkSizes, seededRandom } from './helpers.js';

function s16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt16(2 * i, v, true));
  return out;
}

function f32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

test('pcm_s16le decodes known values (÷32768)', () => {
  const d = new PcmDecoder({ encoding: 'pcm_s16le', channels: 1 });
  assert.deepEqual(Array.from(d.decode(s16([0, 1, -1, 16384, -32768, 32767]))), [0, 1 / 32768, -1 / 32768, 0.5, -1, 32767 / 32768].map(Math.fround));
});

test('pcm_f32le decodes known values and passes out-of-range values through', () => {
  const d = new PcmDecoder({ encoding: 'pcm_f32le', channels: 1 });
  assert.deepEqual(Array.from(d.decode(f32([0, 0.25, -1, 1.5]))), [0, 0.25, -1, 1.5]);
});

test('mulaw and alaw decode through the G.711 laws', () => {
  const mu = new PcmDecoder({ encoding: 'mulaw', channels: 1 });
  const a = new PcmDecoder({ encoding: 'alaw', channels: 1 });
  const bytes = Uint8Array.from([0x00, 0x7f, 0x80, 0xd5, 0x2a]);
  assert.deepEqual(Array.from(mu.decode(bytes)), Array.from(bytes, (b) => Math.fround(mulawToInt16(b) / 32768)));
  assert.deepEqual(Array.from(a.decode(bytes)), Array.from(bytes, (b) => Math.fround(alawToInt16(b) / 32768)));
});

test('stereo is downmixed by averaging, for every encoding', () => {
  const l = [1000, -2000, 30000];
  const r = [3000, 2000, -30000];
  const interleave = (f: (v: number) => number[]): number[] => l.flatMap((v, i) => [...f(v), ...f(r[i] as number)]);
  const cases: Record<Encoding, Uint8Array> = {
    pcm_s16le: s16(interleave((v) => [v])),
    pcm_f32le: f32(interleave((v) => [v / 32768])),
    mulaw: Uint8Array.from(interleave((v) => [int16ToMulaw(v)])),
    alaw: Uint8Array.from(interleave((v) => [int16ToAlaw(v)])),
  };
  const linear: Record<Encoding, (v: number) => number> = {
    pcm_s16le: (v) => v,
    pcm_f32le: (v) => v,
    mulaw: (v) => mulawToInt16(int16ToMulaw(v)),
    alaw: (v) => alawToInt16(int16ToAlaw(v)),
  };
  for (const encoding of ENCODINGS) {
    const mono = new PcmDecoder({ encoding, channels: 2 }).decode(cases[encoding]);
    const expected = l.map((v, i) => Math.fround((linear[encoding](v) + linear[encoding](r[i] as number)) / 2 / 32768));
    assert.deepEqual(Array.from(mono), expected, encoding);
  }
});

test('a chunk may end mid-sample or mid-frame: the remainder is carried, never dropped', () => {
  const random = seededRandom(7);
  for (const encoding of ENCODINGS) {
    for (const channels of [1, 2] as const) {
      const bytes = new Uint8Array(4 * 2 * 997);
      if (encoding === 'pcm_f32le') {
        const view = new DataView(bytes.buffer);
        for (let i = 0; i < bytes.length / 4; i++) view.setFloat32(4 * i, random() * 2 - 1, true);
      } else {
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      }
      const whole = new PcmDecoder({ encoding, channels }).decode(bytes);
      const d = new PcmDecoder({ encoding, channels });
      const parts: Float32Array[] = [];
      let at = 0;
      for (const size of randomChunkSizes(bytes.length, 64, random)) {
        parts.push(d.decode(bytes.subarray(at, at + size)));
        at += size;
        assert.equal(d.pendingBytes, at % d.frameBytes);
      }
      assert.deepEqual(concat(parts), whole, `${encoding} × ${channels}`);
    }
  }
});

test('one byte at a time: pendingBytes counts up and resets at each frame boundary', () => {
  const d = new PcmDecoder({ encoding: 'pcm_f32le', channels: 2 });
  const bytes = f32([0.5, -0.25]);
  for (let i = 0; i < 7; i++) {
    assert.equal(d.decode(bytes.subarray(i, i + 1)).length, 0);
    assert.equal(d.pendingBytes, i + 1);
  }
  assert.deepEqual(Array.from(d.decode(bytes.subarray(7))), [0.125]);
  assert.equal(d.pendingBytes, 0);
  d.decode(bytes.subarray(0, 3));
  d.reset();
  assert.equal(d.pendingBytes, 0);
});

test('pcm_f32le NaN or ±Inf → bad_audio ProtocolError', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    for (const channels of [1, 2] as const) {
      const d = new PcmDecoder({ encoding: 'pcm_f32le', channels });
      assert.throws(
        () => d.decode(f32([0.1, 0.2, bad, 0.3])),
        (e: unknown) => e instanceof ProtocolError && e.code === 'bad_audio' && /finite/.test(e.message),
      );
    }
  }
  // Also when the bad sample straddles two chunks.
  const d = new PcmDecoder({ encoding: 'pcm_f32le', channels: 1 });
  const bytes = f32([0.1, Number.NaN]);
  d.decode(bytes.subarray(0, 6));
  assert.throws(() => d.decode(bytes.subarray(6)), (e: unknown) => e instanceof ProtocolError && e.code === 'bad_audio');
});

test('unknown encodings and channel counts are rejected as unsupported_format', () => {
  assert.throws(
    () => new PcmDecoder({ encoding: 'opus' as Encoding, channels: 1 }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'unsupported_format' && /expected encoding/.test(e.message),
  );
  assert.throws(
    () => new PcmDecoder({ encoding: 'pcm_s16le', channels: 3 as 1 }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'unsupported_format' && /got 3/.test(e.message),
  );
});
