/**
 * Steep linear-phase FIR band-pass (Kaiser-windowed sinc), used to model a real telephone
 * channel: its 300–3400 Hz voice band has edges that fall by 60+ dB within ~200 Hz, far
 * steeper than a low-order IIR band-pass. The defaults match sox's `sinc 300-3400`
 * (−6 dB at the cutoffs, within 0.3 dB 50 Hz inside them, −30 dB 50 Hz and ≥ 60 dB 75 Hz outside;
 * measured with `test/fixtures/golden/make_band_pass.py`).
 *
 * Design after Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., §7.6:
 * h[n] = (2f₂·sinc(2f₂m) − 2f₁·sinc(2f₁m))·kaiser(m), m = n − (N−1)/2, f in cycles/sample,
 * with N and β from the transition width and stopband attenuation (eqs. 7.62–7.63).
 */
import { kaiserBeta, kaiserWindow } from './kaiser.js';

/** Width of each transition band, Hz, centred on its cutoff (sox's `sinc` default is similar). */
export const DEFAULT_TRANSITION_HZ = 170;
/** Stopband attenuation, dB. */
export const DEFAULT_ATTENUATION_DB = 100;

export interface BandPassDesign {
  lowHz: number;
  highHz: number;
  sampleRateHz: number;
  /** Default DEFAULT_TRANSITION_HZ. */
  transitionHz?: number;
  /** Default DEFAULT_ATTENUATION_DB. */
  attenuationDb?: number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

const designs = new Map<string, Float64Array>();

/** The filter's taps (odd length, symmetric); cached per design. */
export function bandPassTaps(d: BandPassDesign): Float64Array {
  const transitionHz = d.transitionHz ?? DEFAULT_TRANSITION_HZ;
  const attenuationDb = d.attenuationDb ?? DEFAULT_ATTENUATION_DB;
  const nyquist = d.sampleRateHz / 2;
  if (!(d.lowHz > 0 && d.lowHz < d.highHz && d.highHz < nyquist)) {
    throw new Error(`expected 0 < lowHz < highHz < ${nyquist} Hz, got ${d.lowHz}–${d.highHz} Hz`);
  }
  if (!(transitionHz > 0 && transitionHz < 2 * d.lowHz)) throw new Error(`expected transitionHz in (0, ${2 * d.lowHz}), got ${transitionHz}`);
  const key = `${d.lowHz}|${d.highHz}|${d.sampleRateHz}|${transitionHz}|${attenuationDb}`;
  const cached = designs.get(key);
  if (cached !== undefined) return cached;
  const deltaOmega = (2 * Math.PI * transitionHz) / d.sampleRateHz;
  const order = Math.ceil((attenuationDb - 8) / (2.285 * deltaOmega));
  const length = order % 2 === 0 ? order + 1 : order + 2;
  const beta = kaiserBeta(attenuationDb);
  const f1 = d.lowHz / d.sampleRateHz;
  const f2 = d.highHz / d.sampleRateHz;
  const half = (length - 1) / 2;
  const taps = new Float64Array(length);
  for (let n = 0; n < length; n += 1) {
    const m = n - half;
    taps[n] = (2 * f2 * sinc(2 * f2 * m) - 2 * f1 * sinc(2 * f1 * m)) * kaiserWindow(m / (half + 1), beta);
  }
  designs.set(key, taps);
  return taps;
}

/**
 * Filters a whole signal with the band-pass and compensates its delay: output sample i is
 * aligned with input sample i (zero phase), same length, zeros assumed outside the signal.
 */
export function bandPassFilter(input: Float32Array, d: BandPassDesign): Float32Array {
  const taps = bandPassTaps(d);
  const half = (taps.length - 1) / 2;
  const out = new Float32Array(input.length);
  const n = input.length;
  for (let i = 0; i < n; i += 1) {
    const lo = Math.max(0, i - half);
    const hi = Math.min(n - 1, i + half);
    let acc = 0;
    for (let j = lo; j <= hi; j += 1) acc += (input[j] as number) * (taps[j - i + half] as number);
    out[i] = acc;
  }
  return out;
}

/** Magnitude response in dB at `hz` (for tests and docs). */
export function bandPassResponseDb(d: BandPassDesign, hz: number): number {
  const taps = bandPassTaps(d);
  const w = (2 * Math.PI * hz) / d.sampleRateHz;
  let re = 0;
  let im = 0;
  for (let n = 0; n < taps.length; n += 1) {
    re += (taps[n] as number) * Math.cos(w * n);
    im -= (taps[n] as number) * Math.sin(w * n);
  }
  return 20 * Math.log10(Math.max(Math.hypot(re, im), 1e-12));
}
