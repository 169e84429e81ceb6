/** The session's audio queue (server/session/audio_queue.ts): big messages fed in slices. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioQueue } from '../../../server/session/audio_queue.js';

describe('audio queue', () => {
  it('feeds small chunks at once, big ones in slices one per macrotask, and ends after them', async () => {
    const fed: number[] = [];
    let completed = false;
    const queue = new AudioQueue(4, (c) => fed.push(c.bytes.length), () => (completed = true));
    queue.push(new Uint8Array(3), 0);
    assert.deepEqual(fed, [3], 'small chunk to an empty queue: fed synchronously');
    queue.push(new Uint8Array(10), 0);
    queue.push(new Uint8Array(2), 0);
    queue.end();
    assert.deepEqual(fed, [3]);
    assert.equal(completed, false, 'end waits behind queued audio');
    for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
    assert.deepEqual(fed, [3, 4, 4, 2, 2]);
    assert.equal(completed, true);
  });

  it('dispose drops what is queued', async () => {
    const fed: number[] = [];
    const queue = new AudioQueue(4, (c) => fed.push(c.bytes.length), () => assert.fail('must not complete'));
    queue.push(new Uint8Array(12), 0);
    queue.end();
    queue.dispose();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(fed, []);
  });
});
