/** Stages 1–4, the feature chain as an operator (server/pipeline/features.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { extractFeatures } from '../../../shared/dsp/feature_chain.js';
import { ProtocolError } from '../../../shared/error_codes.js';
import { features } from '../../../server/pipeline/features.js';
import type { AudioChunk, VoicedFeatureBlock } from '../../../server/pipeline/types.js';

/** A 1 s chirp with a pause, as pcm_s16le bytes at `rateHz`. */
function chirpBytes(rateHz: number): { samples: Float32Array; bytes: Uint8Array } {
  const samples = Float32Array.from({ length: rateHz }, (_, n) => {
    const t = n / rateHz;
    return t > 0.4 && t < 0.6 ? 0 : 0.3 * Math.sin(2 * Math.PI * (200 + 800 * t) * t);
  });
  const pcm = Int16Array.from(samples, (x) => Math.round(x * 32767));
  return { samples: Float32Array.from(pcm, (s) => s / 32768), bytes: new Uint8Array(pcm.buffer) };
}

function run(bytes: Uint8Array, chunkBytes: number, rateHz: number): { blocks: VoicedFeatureBlock[]; completed: boolean } {
  const subject = new Subject<AudioChunk>();
  const blocks: VoicedFeatureBlock[] = [];
  let completed = false;
  subject
    .pipe(features({ inputRateHz: rateHz, decoder: { encoding: 'pcm_s16le', channels: 1 } }))
    .subscribe({ next: (b) => blocks.push(b), complete: () => (completed = true) });
  for (let at = 0; at < bytes.length; at += chunkBytes) subject.next({ bytes: bytes.subarray(at, at + chunkBytes), arrivedAtMs: at });
  subject.complete();
  return { blocks, completed };
}

describe('features stage', () => {
  it('fails the stream with bad_audio on NaN', () => {
    const floats = new Subject<AudioChunk>();
    let error: unknown = null;
    floats.pipe(features({ inputRateHz: 16000, decoder: { encoding: 'pcm_f32le', channels: 1 } })).subscribe({ error: (e: unknown) => (error = e) });
    floats.next({ bytes: new Uint8Array(Float32Array.of(0, Number.NaN).buffer), arrivedAtMs: 0 });
    assert.ok(error instanceof ProtocolError && error.code === 'bad_audio');
  });

  it('emits the shared chain’s frames, clocks and flushed tail for any chunking (odd byte chunks carried)', () => {
    for (const rateHz of [16000, 44100]) {
      const { samples, bytes } = chirpBytes(rateHz);
      const expected = extractFeatures(samples, { inputRateHz: rateHz });
      for (const chunkBytes of [3, 1001, bytes.length]) {
        const { blocks, completed } = run(bytes, chunkBytes, rateHz);
        assert.ok(completed);
        const count = blocks.reduce((n, b) => n + b.count, 0);
        assert.equal(count, expected.count, `${rateHz} Hz, ${chunkBytes}-byte chunks`);
        assert.deepEqual(Float32Array.from(blocks.flatMap((b) => [...b.coeffs])), expected.coeffs);
        assert.deepEqual(Uint8Array.from(blocks.flatMap((b) => [...b.voiced])), expected.voiced);
        const last = blocks.at(-1);
        assert.equal(last?.inputSamplesTotal, rateHz);
        assert.equal(last?.samplesTotal, 16000, 'the resampler’s tail reaches the clock');
        assert.ok(expected.voiced.includes(1) && expected.voiced.includes(0));
      }
    }
  });

  it('stops on early unsubscribe', () => {
    const subject = new Subject<AudioChunk>();
    const blocks: VoicedFeatureBlock[] = [];
    const subscription = subject.pipe(features({ inputRateHz: 16000, decoder: { encoding: 'pcm_s16le', channels: 1 } })).subscribe((b) => blocks.push(b));
    subject.next({ bytes: new Uint8Array(3200), arrivedAtMs: 0 });
    subscription.unsubscribe();
    subject.next({ bytes: new Uint8Array(3200), arrivedAtMs: 1 });
    assert.equal(blocks.length, 1);
    assert.equal(subject.observed, false);
  });
});
