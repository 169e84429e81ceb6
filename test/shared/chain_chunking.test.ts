/**
 * Chunking invariance of the whole DSP chain the server runs per stream:
 * bytes → PcmDecoder → StreamingResampler → MfccExtractor → VoicedGate. Feeding the same
 * bytes in random chunks (1 byte … seconds) must give bit-identical frames to one chunk.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAlaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { MfccExtractor } from '../../shared/dsp/mfcc.js';
import { PcmDecoder } from '../../shared/dsp/pcm_decode.js';
import { StreamingResampler } from '../../shared/dsp/resample.js';
import { VoicedGate } from '../../shared/dsp/vad.js';
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
  voiced: boolean[];
}

function runChain(bytes: Uint8Array, chunkSizes: number[], encoding: Encoding, channels: 1 | 2, rateHz: number): ChainOutput {
  const decoder = new PcmDecoder({ encoding, channels });
  const resampler = new StreamingResampler(rateHz);
  const mfcc = new MfccExtractor();
  const gate = new VoicedGate();
  const coeffs: Float32Array[] = [];
  const energies: Float32Array[] = [];
  const voiced: boolean[] = [];
  const feed = (samples: Float32Array): void => {
    const frames = mfcc.push(samples);
    coeffs.push(frames.coeffs);
    energies.push(frames.energyDb);
    for (const e of frames.energyDb) voiced.push(gate.push(e));
  };
  let at = 0;
  for (const size of chunkSizes) {
    feed(resampler.process(decoder.decode(bytes.subarray(at, at + size))));
    at += size;
  }
  feed(resampler.flush());
  return { coeffs: concat(coeffs), energyDb: concat(energies), voiced };
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
    const toRate = new StreamingResampler(16000, rateHz);
    const bytes = encode(concat([toRate.process(clip), toRate.flush()]), encoding, channels);
    const whole = runChain(bytes, [bytes.length], encoding, channels, rateHz);
    assert.ok(whole.voiced.includes(true), 'the clip has speech');
    for (const maxChunk of [3, 1000, rateHz * 4]) {
      const chunked = runChain(bytes, randomChunkSizes(bytes.length, maxChunk, random), encoding, channels, rateHz);
      const label = `${encoding} × ${channels} @ ${rateHz} Hz, chunks ≤ ${maxChunk} bytes`;
      assert.deepEqual(chunked.coeffs, whole.coeffs, label);
      assert.deepEqual(chunked.energyDb, whole.energyDb, label);
      assert.deepEqual(chunked.voiced, whole.voiced, label);
    }
  }
});
