/**
 * The feature chain (shared/dsp/feature_chain.ts): it is exactly its stages composed, it
 * is chunking-invariant on samples (bytes: chain_chunking.test.ts), and a flush ends one
 * stream so the next starts clean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatureChain, extractFeatures, extractFeaturesOfBytes, joinFrames, type FeatureFrames } from '../../shared/dsp/feature_chain.js';
import { computeMfcc } from '../../shared/dsp/mfcc.js';
import { PcmDecoder } from '../../shared/dsp/pcm_decode.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { VoicedGate } from '../../shared/dsp/vad.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { SPEECH_FIXTURES, randomChunkSizes, readFixture, seededRandom } from './helpers.js';

const clip16k = decodeWavToMono(readFixture(`speech/${SPEECH_FIXTURES[1]}`)).samples;

function chunked(chain: FeatureChain, samples: Float32Array, sizes: number[]): FeatureFrames {
  let out = chain.pushSamples(samples.subarray(0, 0));
  let at = 0;
  for (const size of sizes) {
    out = joinFrames(out, chain.pushSamples(samples.subarray(at, at + size)));
    at += size;
  }
  return joinFrames(out, chain.flush());
}

test('the chain is its stages composed: resample → MFCC → VoicedGate, bit for bit', () => {
  const gate = { absoluteFloorDb: -60, hangoverFrames: 8 };
  for (const [rateHz, numCoeffs] of [[16000, 20], [44100, 40], [8000, 13]] as const) {
    const input = resampleWhole(clip16k, 16000, rateHz);
    const ours = extractFeatures(input, { inputRateHz: rateHz, numCoeffs, voicedGate: gate });
    const mfcc = computeMfcc(resampleWhole(input, rateHz, 16000), { numCoeffs });
    const g = new VoicedGate(gate);
    const voiced = Uint8Array.from(mfcc.energyDb, (e) => (g.push(e) ? 1 : 0));
    assert.equal(ours.count, mfcc.count);
    assert.equal(ours.numCoeffs, numCoeffs);
    assert.deepEqual(ours.coeffs, mfcc.coeffs, `${rateHz} Hz`);
    assert.deepEqual(ours.energyDb, mfcc.energyDb);
    assert.deepEqual(ours.voiced, voiced);
    assert.equal(ours.inputSamples, input.length);
    assert.equal(ours.modelSamples, rateHz === 16000 ? input.length : Math.ceil((input.length * 16000) / rateHz));
  }
});

test('random sample chunkings give identical frames; bytes = their decoded samples', () => {
  const random = seededRandom(7);
  const input = resampleWhole(clip16k, 16000, 22050);
  const whole = extractFeatures(input, { inputRateHz: 22050 });
  assert.ok(whole.voiced.includes(1) && whole.voiced.includes(0));
  const chain = new FeatureChain({ inputRateHz: 22050 });
  for (const maxChunk of [1, 37, 5000, input.length]) {
    const sizes = maxChunk === 1 ? Array.from({ length: 3000 }, () => 1).concat([input.length - 3000]) : randomChunkSizes(input.length, maxChunk, random);
    // The same chain each time: flush() must leave it as new.
    assert.deepEqual(chunked(chain, input, sizes), whole, `chunks ≤ ${maxChunk}`);
  }
  const pcm = Int16Array.from(input, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))));
  const bytes = new Uint8Array(pcm.buffer);
  const decoder = { encoding: 'pcm_s16le', channels: 1 } as const;
  const viaBytes = extractFeaturesOfBytes(bytes, { inputRateHz: 22050, decoder });
  assert.deepEqual(viaBytes, extractFeatures(new PcmDecoder(decoder).decode(bytes), { inputRateHz: 22050 }));
});

test('a chain without a decoder refuses bytes; joinFrames keeps the empty side cheap', () => {
  const chain = new FeatureChain({ inputRateHz: 16000 });
  assert.throws(() => chain.pushBytes(new Uint8Array(4)), /expected a decoder config/);
  const empty = chain.pushSamples(new Float32Array(100));
  assert.equal(empty.count, 0);
  const some = chain.pushSamples(new Float32Array(900));
  const joined = joinFrames(empty, some);
  assert.equal(joined.coeffs, some.coeffs);
  assert.equal(joined.inputSamples, 1000);
  assert.equal(joined.modelSamples, 1000);
});

test('the log floor reaches the MFCC stage: digital silence reads √40 · ln(floor) in c0 and 0 elsewhere', () => {
  const silence = new Float32Array(16000);
  for (const [logFloor, expected] of [[undefined, Math.sqrt(40) * Math.log(1e-10)], [1e-8, Math.sqrt(40) * Math.log(1e-8)]] as const) {
    const f = extractFeatures(silence, logFloor === undefined ? { inputRateHz: 16000 } : { inputRateHz: 16000, logFloor });
    assert.ok(f.count > 90);
    for (let t = 0; t < f.count; t += 1) {
      assert.ok(Math.abs((f.coeffs[t * f.numCoeffs] as number) - expected) < 1e-3, `frame ${t} c0 ${f.coeffs[t * f.numCoeffs]}, expected ${expected}`);
      for (let c = 1; c < f.numCoeffs; c += 1) assert.ok(Math.abs(f.coeffs[t * f.numCoeffs + c] as number) < 1e-3);
    }
  }
});
