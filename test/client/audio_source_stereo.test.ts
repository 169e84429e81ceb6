/**
 * `fromWav(bytes, { keepStereo: true })` for channelMode 'separate': a stereo WAV the
 * protocol carries as is stays as is; one it cannot (24-bit) becomes interleaved stereo
 * float32 with each channel intact instead of a mono mix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromWav } from '../../client/sdk/audio_source.js';

/** A 24-bit stereo WAV with distinct channels. */
function wav24(left: number[], right: number[]): Uint8Array {
  const data = new Uint8Array(left.length * 6);
  left.forEach((l, i) => {
    for (const [c, x] of [[0, l], [1, right[i] ?? 0]] as const) {
      const v = Math.round(x * 8388607);
      data.set([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff], i * 6 + c * 3);
    }
  });
  const out = new Uint8Array(44 + data.length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => [...s].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + data.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 2, true);
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 16_000 * 6, true);
  view.setUint16(32, 6, true);
  view.setUint16(34, 24, true);
  ascii(36, 'data');
  view.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

describe('fromWav keepStereo', () => {
  const left = [0.5, -0.25, 0.125, 0];
  const right = [-0.5, 0.75, 0, 0.3];

  it('keeps both channels of a 24-bit stereo WAV as interleaved float32', () => {
    const source = fromWav(wav24(left, right), { keepStereo: true });
    assert.equal(source.channels, 2);
    assert.equal(source.encoding, 'pcm_f32le');
    const samples = new Float32Array(source.data.buffer, source.data.byteOffset, source.data.byteLength / 4);
    left.forEach((l, i) => {
      assert.ok(Math.abs((samples[2 * i] ?? NaN) - l) < 1e-6, `left ${i}`);
      assert.ok(Math.abs((samples[2 * i + 1] ?? NaN) - (right[i] ?? 0)) < 1e-6, `right ${i}`);
    });
  });

  it('without it, the same file is mixed to mono (unchanged default)', () => {
    const source = fromWav(wav24(left, right));
    assert.equal(source.channels, 1);
  });
});
