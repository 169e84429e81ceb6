import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RealFft } from '../../shared/dsp/real_fft.js';
import { seededRandom } from './helpers.js';

/** |DFT|² by the definition, O(N²), in float64. */
function naivePower(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      re += (x[t] as number) * Math.cos((2 * Math.PI * k * t) / n);
      im -= (x[t] as number) * Math.sin((2 * Math.PI * k * t) / n);
    }
    out[k] = re * re + im * im;
  }
  return out;
}

test('RealFft.powerSpectrum equals the DFT definition for every size 8 … 2048', () => {
  const random = seededRandom(11);
  for (let n = 8; n <= 2048; n *= 2) {
    const x = Float64Array.from({ length: n }, () => random() * 2 - 1);
    const want = naivePower(x);
    const got = new Float64Array(n / 2 + 1);
    new RealFft(n).powerSpectrum(x, got);
    const scale = Math.max(...want);
    for (let k = 0; k <= n / 2; k++) {
      assert.ok(Math.abs((got[k] as number) - (want[k] as number)) <= 1e-10 * scale, `N=${n}, bin ${k}: ${got[k]} vs ${want[k]}`);
    }
  }
});

test('RealFft: a cosine on bin k puts (N/2)² in bin k; DC and Nyquist are exact', () => {
  const n = 512;
  const fft = new RealFft(n);
  const power = new Float64Array(n / 2 + 1);
  const x = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 37 * t) / n));
  fft.powerSpectrum(x, power);
  assert.ok(Math.abs((power[37] as number) - (n / 2) ** 2) < 1e-6);
  fft.powerSpectrum(new Float64Array(n).fill(1), power);
  assert.equal(power[0], n * n);
  fft.powerSpectrum(Float64Array.from({ length: n }, (_, t) => (t % 2 ? -1 : 1)), power);
  assert.equal(power[n / 2], n * n);
  assert.throws(() => new RealFft(400), /expected size a power of two ≥ 8, got 400/);
});
