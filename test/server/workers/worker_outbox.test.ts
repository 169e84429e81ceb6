/** What a worker sends back (server/workers/worker_outbox.ts): one message per turn, events with the model calls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FromWorker } from '../../../server/workers/messages.js';
import { WorkerOutbox } from '../../../server/workers/worker_outbox.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const posted: FromWorker[] = [];
  let dspCalls = 0;
  const outbox = new WorkerOutbox({
    post: (message) => posted.push(message),
    takeDsp: () => {
      dspCalls += 1;
      return { audioSeconds: 0.25, seconds: 0.001 };
    },
  });
  return { posted, outbox, dspCalls: () => dspCalls };
}

describe('worker outbox', () => {
  it('gathers the events and model calls of one turn into one message', async () => {
    const { posted, outbox, dspCalls } = setup();
    outbox.modelCalls([{ streams: 2, seconds: 0.002 }]);
    outbox.event({ kind: 'complete', sessionId: 'p' });
    outbox.modelCalls([]);
    outbox.event({ kind: 'error', sessionId: 'q', code: 'bad_audio', message: 'x' });
    assert.equal(posted.length, 0, 'nothing before the turn ends');
    await turn();
    assert.deepEqual(posted, [
      {
        type: 'events',
        events: [
          { kind: 'complete', sessionId: 'p' },
          { kind: 'error', sessionId: 'q', code: 'bad_audio', message: 'x' },
        ],
        calls: [{ streams: 2, seconds: 0.002 }],
        dsp: { audioSeconds: 0.25, seconds: 0.001 },
      },
    ]);
    assert.equal(dspCalls(), 1);
    await turn();
    assert.equal(posted.length, 1, 'an idle turn posts nothing');
  });

  it('a round with no event yet still reports its model call (in a message of its own)', async () => {
    const { posted, outbox } = setup();
    outbox.modelCalls([{ streams: 1, seconds: 0.001 }]);
    await turn();
    assert.deepEqual(
      posted.map((m) => (m.type === 'events' ? [m.events.length, m.calls.length] : [])),
      [[0, 1]],
    );
  });
});
