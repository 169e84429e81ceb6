/** What a worker sends back (server/model/worker_outbox.ts): packed results, events once per turn. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalSteps } from '../../../server/model/local_steps.js';
import type { FromWorker } from '../../../server/model/messages.js';
import { unpackResults } from '../../../server/model/pack.js';
import { WorkerOutbox } from '../../../server/model/worker_outbox.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const posted: { message: FromWorker; transfer: ArrayBuffer[] }[] = [];
  const local = new LocalSteps();
  let dspCalls = 0;
  const outbox = new WorkerOutbox({
    post: (message, transfer = []) => posted.push({ message, transfer }),
    numLabels: 2,
    local,
    takeDsp: () => {
      dspCalls += 1;
      return { audioSeconds: 0.25, seconds: 0.001 };
    },
  });
  return { posted, local, outbox, dspCalls: () => dspCalls };
}

describe('worker outbox', () => {
  it('posts the main thread’s results of a round as one packed, transferred message with its calls', () => {
    const { posted, local, outbox } = setup();
    const mine = local.request('p', new Float32Array(0), new Uint8Array(0));
    outbox.results(
      [
        { sessionId: 'm', requestId: 3, probs: Float32Array.of(0.25, 0.75), framesConsumed: 8 },
        { sessionId: 'p', requestId: mine.request.requestId, probs: Float32Array.of(1, 0), framesConsumed: 8 },
      ],
      [{ streams: 2, seconds: 0.002 }],
    );
    assert.equal(posted.length, 1);
    const [{ message, transfer } = assert.fail('one message')] = posted;
    assert.ok(message.type === 'results');
    assert.deepEqual(message.calls, [{ streams: 2, seconds: 0.002 }]);
    assert.deepEqual(
      unpackResults(message.results).map((r) => [r.sessionId, r.requestId, [...(r.probs ?? [])]]),
      [['m', 3, [0.25, 0.75]]],
    );
    assert.deepEqual(transfer, [message.results.probs.buffer]);
    assert.equal(local.size, 0, 'the in-thread request was settled here');
  });

  it('gathers pipeline events of one turn, with the calls made only for them, into one message', async () => {
    const { posted, local, outbox, dspCalls } = setup();
    const mine = local.request('p', new Float32Array(0), new Uint8Array(0));
    outbox.results([{ sessionId: 'p', requestId: mine.request.requestId, probs: null, framesConsumed: 0 }], [{ streams: 1, seconds: 0.001 }]);
    outbox.event({ kind: 'complete', sessionId: 'p' });
    outbox.event({ kind: 'error', sessionId: 'q', code: 'bad_audio', message: 'x' });
    assert.equal(posted.length, 0, 'nothing before the turn ends');
    await turn();
    assert.deepEqual(
      posted.map((p) => p.message),
      [
        {
          type: 'pipeline',
          events: [
            { kind: 'complete', sessionId: 'p' },
            { kind: 'error', sessionId: 'q', code: 'bad_audio', message: 'x' },
          ],
          calls: [{ streams: 1, seconds: 0.001 }],
          dsp: { audioSeconds: 0.25, seconds: 0.001 },
        },
      ],
    );
    assert.equal(dspCalls(), 1);
    await turn();
    assert.equal(posted.length, 1, 'an idle turn posts nothing');
  });
});
