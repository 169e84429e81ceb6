/** ByteDeinterleaver: exact per-channel bytes, and the same for any chunking (frames split anywhere). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteDeinterleaver } from '../../shared/dsp/deinterleave.js';
import { seededRandom } from './helpers.js';

function interleaved(frames: number, sampleBytes: number, channels: number): Uint8Array {
  const out = new Uint8Array(frames * sampleBytes * channels);
  // Byte b of channel c's sample f is distinct enough to catch any shuffle.
  for (let f = 0; f < frames; f += 1) {
    for (let c = 0; c < channels; c += 1) {
      for (let b = 0; b < sampleBytes; b += 1) out[(f * channels + c) * sampleBytes + b] = (f * 7 + c * 101 + b * 13) & 0xff;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('ByteDeinterleaver', () => {
  for (const sampleBytes of [1, 2, 4]) {
    it(`splits ${sampleBytes}-byte stereo samples exactly, for any chunking`, () => {
      const data = interleaved(1000, sampleBytes, 2);
      const expected = [0, 1].map((c) => {
        const out = new Uint8Array(1000 * sampleBytes);
        for (let f = 0; f < 1000; f += 1) out.set(data.subarray((f * 2 + c) * sampleBytes, (f * 2 + c + 1) * sampleBytes), f * sampleBytes);
        return out;
      });
      for (const seed of [1, 2, 3]) {
        const random = seededRandom(seed);
        const splitter = new ByteDeinterleaver(sampleBytes, 2);
        const got: Uint8Array[][] = [[], []];
        for (let at = 0; at < data.length; ) {
          const size = 1 + Math.floor(random() * 37);
          splitter.split(data.subarray(at, at + size)).forEach((part, c) => got[c]?.push(part));
          at += size;
        }
        assert.equal(splitter.pendingBytes, 0);
        assert.deepEqual(concat(got[0] ?? []), expected[0]);
        assert.deepEqual(concat(got[1] ?? []), expected[1]);
      }
    });
  }

  it('holds an incomplete frame until the rest arrives', () => {
    const splitter = new ByteDeinterleaver(2, 2);
    assert.deepEqual(splitter.split(new Uint8Array([1, 2, 3])), [new Uint8Array(0), new Uint8Array(0)]);
    assert.equal(splitter.pendingBytes, 3);
    assert.deepEqual(splitter.split(new Uint8Array([4, 5])), [new Uint8Array([1, 2]), new Uint8Array([3, 4])]);
    assert.equal(splitter.pendingBytes, 1);
    splitter.reset();
    assert.equal(splitter.pendingBytes, 0);
  });

  it('refuses a bad configuration', () => {
    assert.throws(() => new ByteDeinterleaver(0, 2), /sampleBytes: expected a positive integer, got 0/);
    assert.throws(() => new ByteDeinterleaver(2, 0), /channels: expected a positive integer, got 0/);
  });
});
