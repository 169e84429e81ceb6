/**
 * A stream that ends in a long silence (a caller who stops talking before the call ends)
 * ends on its last voiced answer: over silence the reported distribution decays to uniform,
 * but `top` stays the label that distribution decays from, at every smoothing — also at 0,
 * where the silent hops are exactly uniform, and at 0.25 and 0.5, where float32 rounding
 * ties or reorders the decayed values after a few seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { encodeSamples, streamBytes } from '../helpers/channels.js';
import { FIXTURES, readWavMono, startTestServer } from '../helpers/server.js';

const SILENCE_SECONDS = 8;

describe('a stream that ends in silence', () => {
  let server: RunningServer;
  let audio: Uint8Array;
  before(async () => {
    server = await startTestServer();
    const { sampleRateHz, samples } = await readWavMono(FIXTURES.angry);
    assert.equal(sampleRateHz, 16_000);
    const padded = new Float32Array(samples.length + SILENCE_SECONDS * sampleRateHz);
    padded.set(samples);
    audio = encodeSamples(padded, 'pcm_s16le');
  });
  after(async () => server.close());

  for (const smoothing of [0, 0.25, 0.5]) {
    it(`ends on the last voiced hop's label (smoothing ${smoothing})`, async () => {
      const outcome = await streamBytes(server.wsUrl, { sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1, hopMs: 250, smoothing }, audio, 5);
      assert.deepEqual(outcome.errors, []);
      const lastVoiced = outcome.results.filter((r) => r.voiced).at(-1);
      const final = outcome.final;
      assert.ok(lastVoiced !== undefined && final !== undefined, 'a voiced hop and a final result');
      assert.equal(final.voiced, false);
      // Every hop after the speech keeps its label while the distribution flattens.
      const tail = outcome.results.slice(outcome.results.indexOf(lastVoiced) + 1);
      assert.ok(tail.length >= SILENCE_SECONDS * 4 - 2, `${tail.length} silent hops`);
      assert.deepEqual([...new Set(tail.map((r) => r.top))], [lastVoiced.top]);
      const probs = Object.values(final.probs);
      const uniform = 1 / probs.length;
      assert.ok(probs.every((p) => Math.abs(p - uniform) < 1e-6), `flat after ${SILENCE_SECONDS} s: ${probs.join(', ')}`);
      assert.equal(final.confidence, final.probs[final.top]);
    });
  }
});
