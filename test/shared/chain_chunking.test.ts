/**
 * Chunking invariance of the feature chain (shared/dsp/feature_chain.ts) that the server,
 * training and evaluation run: bytes → PcmDecoder → StreamingResampler → MfccExtractor →
 * VoicedGate. Feeding the same bytes in random chunks (1 byte … seconds) must give
 * bit-identical frames to one chunk.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAlaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { FeatureChain, type FeatureFrames } from '../../shared/dsp/feature_chain.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import type { Encoding } from '../../shared/protocol.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { concat, randomChunkSizes, readFixture, seededRandom } from './helpers.js';

function encode(samples: Float32Array, encoding: Encoding, channels: 1 | 2): Uint8Array {
  // Stereo: the left channel carries the signal, the right a scaled copy, so downmix matters.
  const interleaved = new Float32Array(samples.length * channels);
  samples.forEach((x, i) => {
    interleaved[i * channels] = x;
    if (channels === 2) interleaved[i * 2 + 1] = -0.5 * x;
  });
  switch (encoding) {
    case 'mulaw':
      return encodeMulaw(interleaved);
    case 'alaw':
      return encodeAlaw(interleaved);
    case 'pcm_f32le':
      return new Uint8Array(interleaved.buffer);
    case 'pcm_s16le': {
      const out = new Int16Array(interleaved.length);
      interleaved.forEach((x, i) => (out[i] = Math.max(-32768, Math.min(32767, Math.round(x * 32768)))));
      return new Uint8Array(out.buffer);
    }
  }
}

interface ChainOutput {
  coeffs: Float32Array;
  energyDb: Float32Array;
  voiced: Uint8Array;
}

function runChain(bytes: Uint8Array, chunkSizes: number[], encoding: Encoding, channels: 1 | 2, rateHz: number): ChainOutput {
  const chain = new FeatureChain({ inputRateHz: rateHz, decoder: { encoding, channels } });
  const blocks: FeatureFrames[] = [];
  let at = 0;
  for (const size of chunkSizes) {
    blocks.push(chain.pushBytes(bytes.subarray(at, at + size)));
    at += size;
  }
  blocks.push(chain.flush());
  return {
    coeffs: concat(blocks.map((b) => b.coeffs)),
    energyDb: concat(blocks.map((b) => b.energyDb)),
    voiced: Uint8Array.from(blocks.flatMap((b) => [...b.voiced])),
  };
}

test('decode → resample → MFCC → gate is bit-identical for any chunking', () => {
  const { samples } = decodeWavToMono(readFixture('speech/03-01-03-01-01-01-02.wav'));
  const clip = samples.subarray(16000 * 1, 16000 * 2.6);
  const random = seededRandom(2024);
  const cases: [Encoding, 1 | 2, number][] = [
    ['pcm_s16le', 1, 16000],
    ['pcm_s16le', 2, 44100],
    ['pcm_f32le', 1, 48000],
    ['pcm_f32le', 2, 22050],
    ['mulaw', 1, 8000],
    ['alaw', 2, 11025],
  ];
  for (const [encoding, channels, rateHz] of cases) {
    const bytes = encode(resampleWhole(clip, 16000, rateHz), encoding, channels);
    const whole = runChain(bytes, [bytes.length], encoding, channels, rateHz);
    assert.ok(whole.voiced.includes(1), 'the clip has speech');
    for (const maxChunk of [3, 1000, rateHz * 4]) {
      const chunked = runChain(bytes, randomChunkSizes(bytes.length, maxChunk, random), encoding, channels, rateHz);
      const label = `${encoding} × ${channels} @ ${rateHz} Hz, chunks ≤ ${maxChunk} bytes`;
      assert.deepEqual(chunked.coeffs, whole.coeffs, label);
      assert.deepEqual(chunked.energyDb, whole.energyDb, label);
      assert.deepEqual(chunked.voiced, whole.voiced, label);
    }
  }
});
