/** The naive baseline's ring of recent frames (server/workers/naive_window.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NaiveWindow } from '../../../server/workers/naive_window.js';

/** n rows of width 2 whose values are their row numbers from `first`. */
const rows = (first: number, n: number): Float32Array => Float32Array.from({ length: 2 * n }, (_, i) => first + Math.floor(i / 2));

describe('naive window', () => {
  it('keeps the newest windowFrames rows, oldest first, whatever the push sizes', () => {
    const window = new NaiveWindow(2, 4);
    window.push(rows(0, 3), Uint8Array.of(1, 0, 1));
    assert.deepEqual([...window.view().frames], [0, 0, 1, 1, 2, 2]);
    window.push(rows(3, 2), Uint8Array.of(0, 1));
    assert.deepEqual([...window.view().frames], [1, 1, 2, 2, 3, 3, 4, 4]);
    assert.deepEqual([...window.view().voiced], [0, 1, 0, 1]);
    window.push(rows(5, 7), new Uint8Array(7).fill(1)); // longer than the window
    assert.deepEqual([...window.view().frames], [8, 8, 9, 9, 10, 10, 11, 11]);
    assert.equal(window.framesSeen, 12);
  });

  it('validates its sizes and each push', () => {
    assert.throws(() => new NaiveWindow(0, 4), /numCoeffs: expected a positive integer, got 0/);
    assert.throws(() => new NaiveWindow(2, 1.5), /windowFrames: expected a positive integer, got 1.5/);
    assert.throws(() => new NaiveWindow(2, 4).push(new Float32Array(3), Uint8Array.of(1)), /expected 2 frame values for 1 flags, got 3/);
  });
});
