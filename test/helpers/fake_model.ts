/**
 * Stand-ins for pipeline tests without a model: a speech-like clip (a tone between
 * silences) and a deterministic model stream that counts frames and leans angrier with
 * each voiced one.
 */
import assert from 'node:assert/strict';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import type { InferenceStream, StepOutcome } from '../../server/pipeline/contract.js';

export const FAKE_LABELS = ['calm', 'angry'];
export const FAKE_STEP_RULE = { stepFrames: 8, resetAfterSilenceFrames: 30 };
export const FAKE_RATE_HZ = 16_000;

/** 0.3 s silence, 0.6 s of a 220 Hz tone, 0.3 s silence, as pcm_s16le at 16 kHz. */
export function speechLike(): Uint8Array {
  const samples = new Int16Array(1.2 * FAKE_RATE_HZ);
  for (let i = 0.3 * FAKE_RATE_HZ; i < 0.9 * FAKE_RATE_HZ; i += 1) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / FAKE_RATE_HZ));
  return new Uint8Array(samples.buffer);
}

/** A deterministic stand-in for one stream's model: counts frames, leans angrier with each voiced one. */
export function fakeModel(): (frames: Float32Array, voiced: Uint8Array) => Promise<StepOutcome> {
  let consumed = 0;
  let voicedSeen = 0;
  return (frames, voiced) => {
    assert.equal(frames.length, voiced.length * MFCC_CONFIG.numCoeffs);
    consumed += voiced.length;
    voicedSeen += voiced.reduce((n, v) => n + v, 0);
    const angry = voicedSeen / (voicedSeen + 10);
    return Promise.resolve({ probs: voicedSeen === 0 ? null : Float32Array.of(1 - angry, angry), framesConsumed: consumed });
  };
}

/** A fresh fake model stream (its own state). */
export function fakeStream(sessionId = 'fake'): InferenceStream {
  return { sessionId, stepRule: FAKE_STEP_RULE, numCoeffs: MFCC_CONFIG.numCoeffs, step: fakeModel(), close: () => undefined };
}
