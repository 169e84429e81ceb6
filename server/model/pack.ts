/**
 * Packing of hop requests and results into one typed array per message. Transferring many
 * small ArrayBuffers costs far more than copying them (profiled: ~0.25 ms per hop on the
 * main thread with one transfer per hop), so everything a tick sends travels as one
 * Float32Array (+ one Uint8Array) with per-item row counts, and is read back as views.
 */
import type { HopRequest, HopResult, PackedHops, PackedResults } from './messages.js';

export function packHops(hops: readonly HopRequest[]): PackedHops {
  let values = 0;
  let rows = 0;
  for (const h of hops) {
    values += h.frames.length;
    rows += h.voiced.length;
  }
  const frames = new Float32Array(values);
  const voiced = new Uint8Array(rows);
  let valueOffset = 0;
  let rowOffset = 0;
  const items = hops.map((h) => {
    frames.set(h.frames, valueOffset);
    voiced.set(h.voiced, rowOffset);
    valueOffset += h.frames.length;
    rowOffset += h.voiced.length;
    return { sessionId: h.sessionId, requestId: h.requestId, frameCount: h.voiced.length };
  });
  return { items, frames, voiced };
}

/** Views into the packed arrays; `numCoeffs` values per frame row. */
export function unpackHops(packed: PackedHops, numCoeffs: number): HopRequest[] {
  let row = 0;
  return packed.items.map((item) => {
    const hop: HopRequest = {
      sessionId: item.sessionId,
      requestId: item.requestId,
      frames: packed.frames.subarray(row * numCoeffs, (row + item.frameCount) * numCoeffs),
      voiced: packed.voiced.subarray(row, row + item.frameCount),
    };
    row += item.frameCount;
    return hop;
  });
}

export function packResults(results: readonly HopResult[], numLabels: number): PackedResults {
  const probs = new Float32Array(results.length * numLabels);
  const items = results.map((r, i) => {
    if (r.probs !== null) probs.set(r.probs.subarray(0, numLabels), i * numLabels);
    const item: PackedResults['items'][number] = {
      sessionId: r.sessionId,
      requestId: r.requestId,
      hasProbs: r.probs !== null,
      framesConsumed: r.framesConsumed,
    };
    if (r.error !== undefined) item.error = r.error;
    return item;
  });
  return { items, probs, numLabels };
}

export function unpackResults(packed: PackedResults): HopResult[] {
  const n = packed.numLabels;
  return packed.items.map((item, i) => {
    const result: HopResult = {
      sessionId: item.sessionId,
      requestId: item.requestId,
      probs: item.hasProbs ? packed.probs.subarray(i * n, (i + 1) * n) : null,
      framesConsumed: item.framesConsumed,
    };
    if (item.error !== undefined) result.error = item.error;
    return result;
  });
}
