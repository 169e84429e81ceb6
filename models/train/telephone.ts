/**
 * Telephone channel simulation, shared by training augmentation and `evaluate --telephone`
 * so both degrade audio the same way: band-limit to the G.712 voice band (300–3400 Hz),
 * resample to 8 kHz, G.711 μ-law round trip, resample back to 16 kHz — the path a call
 * takes before it reaches the server (which resamples 8 kHz μ-law streams the same way).
 */
import { decodeMulaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { StreamingResampler } from '../../shared/dsp/resample.js';
import { bandPass } from './biquad.js';

/** Voice band of a PSTN channel, Hz (ITU-T G.712). */
export const TELEPHONE_LOW_HZ = 300;
export const TELEPHONE_HIGH_HZ = 3400;
/** Narrowband telephony rate, Hz. */
export const TELEPHONE_RATE_HZ = 8000;

function resampleWhole(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  const resampler = new StreamingResampler(fromHz, toHz);
  const head = resampler.process(samples);
  const tail = resampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** The call as the server would receive it: 8 kHz G.711 μ-law bytes. */
export function telephoneMulaw8k(samples: Float32Array, sampleRateHz = 16000): Uint8Array {
  const banded = bandPass(samples, TELEPHONE_LOW_HZ, TELEPHONE_HIGH_HZ, sampleRateHz);
  return encodeMulaw(resampleWhole(banded, sampleRateHz, TELEPHONE_RATE_HZ));
}

/** Degrades samples at `sampleRateHz` (default 16 kHz) and returns them at the same rate. */
export function telephoneDegrade(samples: Float32Array, sampleRateHz = 16000): Float32Array {
  return resampleWhole(decodeMulaw(telephoneMulaw8k(samples, sampleRateHz)), TELEPHONE_RATE_HZ, sampleRateHz);
}
