/**
 * Power spectrum |X[k]|², k = 0 … N/2, of a real frame: a thin adapter over `fft.js`
 * (radix-4, precomputed tables, its `realTransform` computes only the half spectrum a real
 * input needs). MFCC needs no phase. The work buffers are allocated once; a call
 * allocates nothing.
 */
import FFT from 'fft.js';

export class RealFft {
  readonly size: number;
  private readonly fft: FFT;
  /** Interleaved complex output [re0, im0, re1, im1, …] of length 2N. */
  private readonly spectrum: number[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new RangeError(`expected size a power of two ≥ 8, got ${size}`);
    }
    this.size = size;
    this.fft = new FFT(size);
    this.spectrum = this.fft.createComplexArray() as number[];
  }

  /** Writes |X[k]|² for k = 0 … N/2 into `power` (length ≥ N/2 + 1); `input` has length N. */
  powerSpectrum(input: Float64Array, power: Float64Array): void {
    const out = this.spectrum;
    this.fft.realTransform(out, input);
    const bins = this.size / 2;
    for (let k = 0; k <= bins; k++) {
      const re = out[2 * k] as number;
      const im = out[2 * k + 1] as number;
      power[k] = re * re + im * im;
    }
  }
}
