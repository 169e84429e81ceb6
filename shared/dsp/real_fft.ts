/**
 * Power spectrum of a real frame by a radix-2 FFT, specialised for the MFCC hot path.
 *
 * A real sequence of N samples is packed into N/2 complex values z[n] = x[2n] + i·x[2n+1],
 * transformed by an N/2-point complex FFT and split into the N-point spectrum
 * (the standard "two-for-one" real FFT; Brigham, The Fast Fourier Transform, §10.10):
 *   X[k] = ½(Z[k] + Z*[N/2−k]) − ½i·e^(−2πik/N)·(Z[k] − Z*[N/2−k]).
 * Only |X[k]|², k = 0 … N/2, is produced: MFCC needs no phase. All tables and work buffers
 * are typed arrays allocated once; a call allocates nothing.
 */

export class RealFft {
  readonly size: number;
  private readonly half: number;
  private readonly bitReverse: Int32Array;
  /** e^(−2πik/(N/2)), k < N/4: the complex FFT's twiddles. */
  private readonly twiddleRe: Float64Array;
  private readonly twiddleIm: Float64Array;
  /** e^(−2πik/N), k ≤ N/2: the split step's twiddles. */
  private readonly splitRe: Float64Array;
  private readonly splitIm: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new RangeError(`expected size a power of two ≥ 8, got ${size}`);
    }
    this.size = size;
    const half = size / 2;
    this.half = half;
    const bits = Math.log2(half);
    this.bitReverse = new Int32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReverse[i] = r;
    }
    this.twiddleRe = new Float64Array(half / 2);
    this.twiddleIm = new Float64Array(half / 2);
    for (let k = 0; k < half / 2; k++) {
      this.twiddleRe[k] = Math.cos((2 * Math.PI * k) / half);
      this.twiddleIm[k] = -Math.sin((2 * Math.PI * k) / half);
    }
    this.splitRe = new Float64Array(half + 1);
    this.splitIm = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitRe[k] = Math.cos((2 * Math.PI * k) / size);
      this.splitIm[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
  }

  /** power[k] = |X[k]|² for k = 0 … size/2, X the DFT of `input` (length `size`). */
  powerSpectrum(input: Float64Array, power: Float64Array): void {
    const half = this.half;
    const re = this.re;
    const im = this.im;
    const rev = this.bitReverse;
    // Bit-reversed load fused with the first (size-2, twiddle-free) butterfly stage.
    for (let i = 0; i < half; i += 2) {
      const a = 2 * (rev[i] as number);
      const b = 2 * (rev[i + 1] as number);
      const ar = input[a] as number;
      const ai = input[a + 1] as number;
      const br = input[b] as number;
      const bi = input[b + 1] as number;
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
    // Size-4 stage: twiddles 1 and −i.
    for (let i = 0; i < half; i += 4) {
      const r0 = re[i] as number, i0 = im[i] as number;
      const r1 = re[i + 1] as number, i1 = im[i + 1] as number;
      const r2 = re[i + 2] as number, i2 = im[i + 2] as number;
      const r3 = re[i + 3] as number, i3 = im[i + 3] as number;
      re[i] = r0 + r2;
      im[i] = i0 + i2;
      re[i + 2] = r0 - r2;
      im[i + 2] = i0 - i2;
      // (r3 + i·i3)·(−i) = i3 − i·r3
      re[i + 1] = r1 + i3;
      im[i + 1] = i1 - r3;
      re[i + 3] = r1 - i3;
      im[i + 3] = i1 + r3;
    }
    const twRe = this.twiddleRe;
    const twIm = this.twiddleIm;
    let span = 4;
    // Two radix-2 stages per pass (radix-2²): each element is loaded and stored once per
    // pair of stages, which is what costs in JS, not the multiplies.
    for (; 4 * span <= half; span *= 4) {
      const strideA = half / (2 * span);
      const strideB = half / (4 * span);
      for (let k = 0; k < span; k++) {
        const ar = twRe[k * strideA] as number;
        const ai = twIm[k * strideA] as number;
        const br = twRe[k * strideB] as number;
        const bi = twIm[k * strideB] as number;
        for (let j0 = k; j0 < half; j0 += 4 * span) {
          const j1 = j0 + span;
          const j2 = j1 + span;
          const j3 = j2 + span;
          const x0r = re[j0] as number, x0i = im[j0] as number;
          const x1r = re[j1] as number, x1i = im[j1] as number;
          const x2r = re[j2] as number, x2i = im[j2] as number;
          const x3r = re[j3] as number, x3i = im[j3] as number;
          // Stage A (span): pairs (0, 1) and (2, 3), twiddle W_{2·span}^k.
          const t1r = ar * x1r - ai * x1i, t1i = ar * x1i + ai * x1r;
          const t3r = ar * x3r - ai * x3i, t3i = ar * x3i + ai * x3r;
          const a0r = x0r + t1r, a0i = x0i + t1i;
          const a1r = x0r - t1r, a1i = x0i - t1i;
          const a2r = x2r + t3r, a2i = x2i + t3i;
          const a3r = x2r - t3r, a3i = x2i - t3i;
          // Stage B (2·span): pairs (0, 2) with W_{4·span}^k and (1, 3) with −i·W_{4·span}^k.
          const u2r = br * a2r - bi * a2i, u2i = br * a2i + bi * a2r;
          const v3r = br * a3r - bi * a3i, v3i = br * a3i + bi * a3r;
          re[j0] = a0r + u2r;
          im[j0] = a0i + u2i;
          re[j2] = a0r - u2r;
          im[j2] = a0i - u2i;
          // −i·(v3r + i·v3i) = v3i − i·v3r
          re[j1] = a1r + v3i;
          im[j1] = a1i - v3r;
          re[j3] = a1r - v3i;
          im[j3] = a1i + v3r;
        }
      }
    }
    // A last single radix-2 stage when log2(N/2) is odd.
    for (; span < half; span *= 2) {
      const stride = half / (2 * span);
      for (let k = 0; k < span; k++) {
        const wr = twRe[k * stride] as number;
        const wi = twIm[k * stride] as number;
        for (let start = k; start < half; start += 2 * span) {
          const j = start + span;
          const xr = re[j] as number;
          const xi = im[j] as number;
          const tr = wr * xr - wi * xi;
          const ti = wr * xi + wi * xr;
          const ur = re[start] as number;
          const ui = im[start] as number;
          re[start] = ur + tr;
          im[start] = ui + ti;
          re[j] = ur - tr;
          im[j] = ui - ti;
        }
      }
    }
    // Split the packed spectrum into the real input's bins 0 … N/2.
    const z0r = re[0] as number;
    const z0i = im[0] as number;
    power[0] = (z0r + z0i) * (z0r + z0i);
    power[half] = (z0r - z0i) * (z0r - z0i);
    const spRe = this.splitRe;
    const spIm = this.splitIm;
    for (let k = 1; k < half; k++) {
      const ar = re[k] as number;
      const ai = im[k] as number;
      const br = re[half - k] as number;
      const bi = -(im[half - k] as number);
      // Even part ½(a + b), odd part ½(a − b); X = E + W·(−i)·O.
      const er = ar + br;
      const ei = ai + bi;
      const dr = ar - br;
      const di = ai - bi;
      // (−i)(dr + i·di) = di − i·dr
      const or = di;
      const oi = -dr;
      const wr = spRe[k] as number;
      const wi = spIm[k] as number;
      const xr = 0.5 * (er + wr * or - wi * oi);
      const xi = 0.5 * (ei + wr * oi + wi * or);
      power[k] = xr * xr + xi * xi;
    }
  }
}
