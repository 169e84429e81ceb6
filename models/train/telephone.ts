/**
 * Telephone channel simulation for training augmentation and the `evaluate --telephone`
 * shortcut: band-limit to the voice band (300–3400 Hz), 8 kHz, G.711 μ-law round trip, back
 * to 16 kHz — the path a call takes before it reaches the server (which resamples 8 kHz
 * μ-law streams the same way).
 *
 * Two band limits:
 * - 'steep' (default): resample to 8 kHz, then a linear-phase FIR whose edges match sox's
 *   `sinc 300-3400` (shared/dsp/band_pass.ts) — what a real channel does. Audio outside the
 *   band is gone, not just quieter.
 * - 'gentle': the 4th-order Butterworth band-pass of model v1 (biquad.ts), kept so v1's
 *   recipe can be re-run. It leaves 100–300 Hz (where male pitch and most voicing energy
 *   lie) only 6–20 dB down; v1 trained on it collapsed on real telephone audio.
 */
import { steepTelephoneBand8k, TELEPHONE_HIGH_HZ, TELEPHONE_LOW_HZ, TELEPHONE_RATE_HZ } from '../../shared/dsp/telephone_band.js';
import { decodeMulaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { bandPass } from './biquad.js';

export { TELEPHONE_HIGH_HZ, TELEPHONE_LOW_HZ, TELEPHONE_RATE_HZ };

export const TELEPHONE_FILTERS = ['steep', 'gentle'] as const;
export type TelephoneFilter = (typeof TELEPHONE_FILTERS)[number];

/** Band-limited 8 kHz samples of the call (before the codec). */
export function telephoneBand8k(samples: Float32Array, sampleRateHz = 16000, filter: TelephoneFilter = 'steep'): Float32Array {
  if (filter === 'gentle') {
    return resampleWhole(bandPass(samples, TELEPHONE_LOW_HZ, TELEPHONE_HIGH_HZ, sampleRateHz), sampleRateHz, TELEPHONE_RATE_HZ);
  }
  return steepTelephoneBand8k(samples, sampleRateHz);
}

/** The call as the server would receive it: 8 kHz G.711 μ-law bytes. */
export function telephoneMulaw8k(samples: Float32Array, sampleRateHz = 16000, filter: TelephoneFilter = 'steep'): Uint8Array {
  return encodeMulaw(telephoneBand8k(samples, sampleRateHz, filter));
}

/** Degrades samples at `sampleRateHz` (default 16 kHz) and returns them at the same rate. */
export function telephoneDegrade(samples: Float32Array, sampleRateHz = 16000, filter: TelephoneFilter = 'steep'): Float32Array {
  return resampleWhole(decodeMulaw(telephoneMulaw8k(samples, sampleRateHz, filter)), TELEPHONE_RATE_HZ, sampleRateHz);
}
