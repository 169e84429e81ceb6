/** Packing of hops and results into one typed array per message (server/model/pack.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packHops, packResults, unpackHops, unpackResults } from '../../../server/model/pack.js';

describe('worker message packing', () => {
  it('round-trips hops and results through one typed array each', () => {
    const hops = [
      { sessionId: 'a', requestId: 1, frames: Float32Array.from({ length: 40 }, (_, i) => i), voiced: Uint8Array.of(1, 0) },
      { sessionId: 'b', requestId: 2, frames: new Float32Array(0), voiced: new Uint8Array(0) },
      { sessionId: 'c', requestId: 3, frames: Float32Array.from({ length: 20 }, (_, i) => -i), voiced: Uint8Array.of(1) },
    ];
    const packed = packHops(hops);
    assert.equal(packed.frames.length, 60);
    assert.deepEqual(
      unpackHops(packed, 20).map((h) => [h.sessionId, h.requestId, [...h.frames], [...h.voiced]]),
      hops.map((h) => [h.sessionId, h.requestId, [...h.frames], [...h.voiced]]),
    );
    const results = [
      { sessionId: 'a', requestId: 1, probs: Float32Array.of(0.25, 0.75), framesConsumed: 2 },
      { sessionId: 'b', requestId: 2, probs: null, framesConsumed: 0, error: 'boom' },
    ];
    const back = unpackResults(packResults(results, 2));
    assert.deepEqual([...(back[0]?.probs ?? [])], [0.25, 0.75]);
    assert.equal(back[1]?.probs, null);
    assert.equal(back[1]?.error, 'boom');
    assert.equal(back[0]?.framesConsumed, 2);
  });
});
