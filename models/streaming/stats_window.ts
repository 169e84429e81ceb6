/**
 * The stats head's bounded window (running_stats.ts): its blocks, and where it starts in a
 * segment, which the offline path (offline.ts) needs to cover the same frames as a stream.
 */

/** Blocks of a bounded window: more is finer (window nearer windowFrames), fewer is lighter. */
export const STATS_WINDOW_BLOCKS = 8;

/** Block length (frames) and count of a window of `windowFrames` (Infinity: one endless block). */
export function statsWindowBlocks(windowFrames: number): { blockFrames: number; blocks: number } {
  if (windowFrames === Infinity) return { blockFrames: Infinity, blocks: 1 };
  if (!Number.isInteger(windowFrames) || windowFrames < STATS_WINDOW_BLOCKS) {
    throw new RangeError(`stats window: expected an integer ≥ ${STATS_WINDOW_BLOCKS} frames or Infinity, got ${windowFrames}`);
  }
  return { blockFrames: Math.floor(windowFrames / STATS_WINDOW_BLOCKS), blocks: STATS_WINDOW_BLOCKS };
}

/** First frame (from the segment's start) the statistics cover after `frames` frames of it. */
export function statsWindowStart(frames: number, windowFrames: number): number {
  if (frames <= 0) return 0;
  const { blockFrames, blocks } = statsWindowBlocks(windowFrames);
  if (blockFrames === Infinity) return 0;
  return Math.max(0, Math.floor((frames - 1) / blockFrames) - blocks + 1) * blockFrames;
}
