/**
 * Clip → model features with exactly the server's code: the WAV decoded and resampled to
 * 16 kHz (resampleWhole), then the feature chain of shared/dsp (MFCC, VoicedGate) that the
 * server runs per stream. Training, evaluation and the live stream therefore see the same
 * numbers (no train/serve skew); normalisation happens later, with the training split's
 * statistics.
 */
import { readFileSync } from 'node:fs';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import { decodeWavToMono } from '../../shared/wav.js';

export const MODEL_RATE_HZ = 16000;

/** Raw (unnormalised) features of one clip. */
export interface ClipFeatures {
  /** Frames. */
  count: number;
  numCoeffs: number;
  /** count × numCoeffs, row-major. */
  coeffs: Float32Array;
  /** count flags, 1 = the VoicedGate said voiced. */
  voiced: Uint8Array;
}

export interface FeatureOptions {
  /** A model's VoicedGate when evaluating one trained with another (default: today's). */
  gate?: Partial<VoicedGateConfig>;
  /** Cepstral coefficients per frame, 1…numMelBins (default MFCC_CONFIG.numCoeffs). */
  numCoeffs?: number;
  /** Floor under the mel powers (the model's featureConfig.logFloor; default MFCC_CONFIG.logFloor). */
  logFloor?: number;
  /** Append the pitch columns (the model's featureConfig.pitch); numCoeffs counts them. */
  pitch?: boolean;
}

/** MFCC + voiced flags of 16 kHz mono samples, as the streaming path computes them. */
export function featuresOfSamples(samples16k: Float32Array, options: FeatureOptions = {}): ClipFeatures {
  const { count, numCoeffs, coeffs, voiced } = extractFeatures(samples16k, {
    inputRateHz: MODEL_RATE_HZ,
    numCoeffs: options.numCoeffs,
    logFloor: options.logFloor,
    pitch: options.pitch,
    voicedGate: options.gate,
  });
  return { count, numCoeffs, coeffs, voiced };
}

/** Reads a WAV file of any supported format and rate as 16 kHz mono samples. */
export function readWav16k(path: string): Float32Array {
  const bytes = new Uint8Array(readFileSync(path));
  const { sampleRateHz, samples } = decodeWavToMono(bytes);
  return resampleWhole(samples, sampleRateHz, MODEL_RATE_HZ);
}
