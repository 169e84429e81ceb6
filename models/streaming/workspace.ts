/**
 * Host-side buffers and row layout of one stepBatch call.
 *
 * Rows are PACKED: a stream contributes exactly its own steps to every layer (no padding to
 * the longest stream), so a batch where most streams bring 3 steps and a few bring 4 costs
 * 3.x steps of compute per stream, not 4. The LSTM wants, per step s, the streams that have
 * a step s as a prefix of the batch: streams are ordered by step count, most first, and the
 * last conv layer writes its output time-major in that order.
 */

/** Grow-only Float32Array buffers reused across calls (stepBatch is synchronous, so one plan's calls never overlap). */
export class Scratch {
  private readonly buffers = new Map<string, Float32Array>();

  /** `length` values of the buffer `name`, left as its last user wrote them. */
  take(name: string, length: number): Float32Array {
    let buffer = this.buffers.get(name);
    if (buffer === undefined || buffer.length < length) {
      // Grow by half again so a slowly rising batch size does not reallocate every call.
      buffer = new Float32Array(Math.max(length, Math.ceil((buffer?.length ?? 0) * 1.5)));
      this.buffers.set(name, buffer);
    }
    return buffer.subarray(0, length);
  }
}

/** Packed time-major rows: step s of stream b (b < counts[s]) is row offsets[s] + b. */
export interface StepLayout {
  /** Steps per stream, non-increasing. */
  steps: readonly number[];
  /** counts[s]: streams with more than s steps (a prefix of the batch). */
  counts: number[];
  /** offsets[s]: rows of all earlier steps. */
  offsets: number[];
  /** Σ steps. */
  rows: number;
}

export function stepLayout(steps: readonly number[]): StepLayout {
  for (let b = 1; b < steps.length; b++) {
    if (steps[b]! > steps[b - 1]!) throw new Error(`stepLayout: expected step counts sorted most first, got ${steps.join(',')}`);
  }
  const maxSteps = steps[0] ?? 0;
  const counts: number[] = [];
  const offsets: number[] = [];
  let rows = 0;
  let count = steps.length;
  for (let s = 0; s < maxSteps; s++) {
    while (steps[count - 1]! <= s) count--;
    counts.push(count);
    offsets.push(rows);
    rows += count;
  }
  return { steps, counts, offsets, rows };
}
