/**
 * Second-order IIR sections (RBJ Audio EQ Cookbook, Butterworth Q = 1/√2) for the
 * telephone band limit. Two cascaded sections give a 4th-order (24 dB/octave) slope,
 * close to the G.712 channel mask without a filter-design dependency.
 */

export interface BiquadCoeffs {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

const BUTTERWORTH_Q = Math.SQRT1_2;

function validate(cutoffHz: number, sampleRateHz: number): void {
  if (!(cutoffHz > 0 && cutoffHz < sampleRateHz / 2)) {
    throw new Error(`expected a cutoff in (0, ${sampleRateHz / 2}) Hz, got ${cutoffHz}`);
  }
}

export function lowPassCoeffs(cutoffHz: number, sampleRateHz: number): BiquadCoeffs {
  validate(cutoffHz, sampleRateHz);
  const w0 = (2 * Math.PI * cutoffHz) / sampleRateHz;
  const alpha = Math.sin(w0) / (2 * BUTTERWORTH_Q);
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  return { b0: (1 - cos) / 2 / a0, b1: (1 - cos) / a0, b2: (1 - cos) / 2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

export function highPassCoeffs(cutoffHz: number, sampleRateHz: number): BiquadCoeffs {
  validate(cutoffHz, sampleRateHz);
  const w0 = (2 * Math.PI * cutoffHz) / sampleRateHz;
  const alpha = Math.sin(w0) / (2 * BUTTERWORTH_Q);
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  return { b0: (1 + cos) / 2 / a0, b1: -(1 + cos) / a0, b2: (1 + cos) / 2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/** Filters a whole signal (direct form I, zero initial state) into a new array. */
export function biquadFilter(input: Float32Array, c: BiquadCoeffs): Float32Array {
  const out = new Float32Array(input.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < input.length; i += 1) {
    const x0 = input[i] as number;
    const y0 = c.b0 * x0 + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
    out[i] = y0;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
  }
  return out;
}

/** 4th-order band-pass: two high-pass then two low-pass Butterworth sections. */
export function bandPass(input: Float32Array, lowHz: number, highHz: number, sampleRateHz: number): Float32Array {
  const hp = highPassCoeffs(lowHz, sampleRateHz);
  const lp = lowPassCoeffs(highHz, sampleRateHz);
  return biquadFilter(biquadFilter(biquadFilter(biquadFilter(input, hp), hp), lp), lp);
}
