/**
 * The voice band of a real telephone channel (ITU-T G.712): 8 kHz, 300–3400 Hz with steep
 * edges (band_pass.ts, matched to sox's `sinc 300-3400`). Used by the training's telephone
 * augmentation and the load test's calls.
 */
import { bandPassFilter } from './band_pass.js';
import { resampleWhole } from './resample.js';

export const TELEPHONE_LOW_HZ = 300;
export const TELEPHONE_HIGH_HZ = 3400;
/** Narrowband telephony rate, Hz. */
export const TELEPHONE_RATE_HZ = 8000;

/** `samples` at `sampleRateHz` → 8 kHz, steeply band-limited to the voice band. */
export function steepTelephoneBand8k(samples: Float32Array, sampleRateHz: number): Float32Array {
  const narrow = resampleWhole(samples, sampleRateHz, TELEPHONE_RATE_HZ);
  return bandPassFilter(narrow, { lowHz: TELEPHONE_LOW_HZ, highHz: TELEPHONE_HIGH_HZ, sampleRateHz: TELEPHONE_RATE_HZ });
}
