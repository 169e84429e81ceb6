/** In-thread requests of the pipelines a worker hosts (server/model/local_steps.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../shared/error_codes.js';
import { LocalSteps } from '../../../server/model/local_steps.js';

describe('local steps', () => {
  it('answers its own (negative) requests in-thread and passes the main thread’s on', async () => {
    const local = new LocalSteps();
    const first = local.request('a', new Float32Array(2), Uint8Array.of(1));
    const second = local.request('b', new Float32Array(2), Uint8Array.of(1));
    assert.deepEqual([first.request.requestId, second.request.requestId], [-1, -2]);
    assert.equal(local.size, 2);
    const remote = { sessionId: 'm', requestId: 7, probs: null, framesConsumed: 0 };
    const passed = local.settle([
      { sessionId: 'a', requestId: -1, probs: Float32Array.of(0.5, 0.5), framesConsumed: 8 },
      remote,
      { sessionId: 'b', requestId: -2, probs: null, framesConsumed: 0, error: 'boom' },
    ]);
    assert.deepEqual(passed, [remote]);
    assert.deepEqual(await first.outcome, { probs: Float32Array.of(0.5, 0.5), framesConsumed: 8 });
    await assert.rejects(second.outcome, (err) => err instanceof ProtocolError && err.code === 'internal');
    assert.equal(local.size, 0);
  });

  it('forgets the requests of a closed session: their later results are passed on, not settled', () => {
    const local = new LocalSteps();
    const { request } = local.request('a', new Float32Array(0), new Uint8Array(0));
    local.forget([request]);
    assert.equal(local.size, 0);
    const late = { sessionId: 'a', requestId: request.requestId, probs: null, framesConsumed: 0 };
    assert.deepEqual(local.settle([late]), [late]);
  });
});
