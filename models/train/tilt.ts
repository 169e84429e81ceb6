/**
 * Microphone / channel tilt: a constant spectral slope of `dbPerOctave` around a 1 kHz pivot
 * (gain g(f) = (f / 1 kHz)^(dbPerOctave / 6.02)), held flat below 100 Hz and above 7 kHz so
 * the slope does not blow up DC or the band edge; the result is rescaled to the input's
 * speech level, so a tilt changes colour, not loudness. Applied in the frequency domain over
 * the whole clip (zero-padded to a power of two), which gives the exact slope at any value.
 */
import FFT from 'fft.js';
import { activePower } from './level.js';

export const TILT_PIVOT_HZ = 1000;
const TILT_FLOOR_HZ = 100;
const TILT_CEILING_HZ = 7000;

export function spectralTilt(samples: Float32Array, sampleRateHz: number, dbPerOctave: number): Float32Array {
  if (dbPerOctave === 0 || samples.length === 0) return samples.slice();
  let size = 8;
  while (size < samples.length) size *= 2;
  const fft = new FFT(size);
  const input = new Array<number>(size).fill(0);
  for (let i = 0; i < samples.length; i += 1) input[i] = samples[i] as number;
  const spectrum = fft.createComplexArray() as number[];
  fft.realTransform(spectrum, input);
  fft.completeSpectrum(spectrum);
  const exponent = dbPerOctave / (20 * Math.log10(2));
  for (let k = 0; k < size; k += 1) {
    const bin = k <= size / 2 ? k : size - k;
    const hz = Math.min(TILT_CEILING_HZ, Math.max(TILT_FLOOR_HZ, (bin * sampleRateHz) / size));
    const gain = (hz / TILT_PIVOT_HZ) ** exponent;
    spectrum[2 * k] = (spectrum[2 * k] as number) * gain;
    spectrum[2 * k + 1] = (spectrum[2 * k + 1] as number) * gain;
  }
  const back = fft.createComplexArray() as number[];
  fft.inverseTransform(back, spectrum);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) out[i] = back[2 * i] as number;
  const scale = Math.sqrt(activePower(samples) / Math.max(activePower(out), 1e-20));
  for (let i = 0; i < out.length; i += 1) out[i] = Math.max(-1, Math.min(1, (out[i] as number) * scale));
  return out;
}
