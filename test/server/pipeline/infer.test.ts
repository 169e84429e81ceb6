/** Stage 6, infer (server/pipeline/infer.ts): hop order, early unsubscribe, failures. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { ProtocolError } from '../../../shared/error_codes.js';
import { MFCC_CONFIG } from '../../../shared/dsp/mfcc.js';
import type { InferenceStream, StepOutcome } from '../../../server/pipeline/contract.js';
import { infer } from '../../../server/pipeline/infer.js';
import type { Hop } from '../../../server/pipeline/types.js';

describe('infer stage', () => {
  const hopOf = (index: number): Hop => ({
    index,
    startMs: index * 100,
    endMs: (index + 1) * 100,
    frames: new Float32Array(20),
    voiced: Uint8Array.of(1),
    frameCount: 1,
    voicedFrames: 1,
    framesTotal: index + 1,
    inputSamplesTotal: (index + 1) * 1600,
    final: false,
    arrivedAtMs: 0,
  });

  it('emits in hop order even when the model answers out of order; stops on unsubscribe', async () => {
    const resolvers: ((o: StepOutcome) => void)[] = [];
    const stream: InferenceStream = {
      sessionId: 's',
      numCoeffs: MFCC_CONFIG.numCoeffs,
      step: () => new Promise<StepOutcome>((resolve) => resolvers.push(resolve)),
      close: () => undefined,
    };
    const subject = new Subject<Hop>();
    const seen: number[] = [];
    const sub = subject.pipe(infer(stream)).subscribe((h) => seen.push(h.index));
    subject.next(hopOf(0));
    subject.next(hopOf(1));
    subject.next(hopOf(2));
    resolvers[1]?.({ probs: Float32Array.of(1), framesConsumed: 2 });
    resolvers[0]?.({ probs: Float32Array.of(1), framesConsumed: 1 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [0, 1]);
    sub.unsubscribe();
    resolvers[2]?.({ probs: Float32Array.of(1), framesConsumed: 3 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [0, 1]);
  });

  it('turns a failed model call into the stream error', async () => {
    const stream: InferenceStream = {
      sessionId: 's',
      numCoeffs: MFCC_CONFIG.numCoeffs,
      step: () => Promise.reject(new ProtocolError('internal', 'boom')),
      close: () => undefined,
    };
    const subject = new Subject<Hop>();
    const failure = new Promise<unknown>((resolve) => subject.pipe(infer(stream)).subscribe({ error: resolve }));
    subject.next(hopOf(0));
    const err = await failure;
    assert.ok(err instanceof ProtocolError && err.code === 'internal');
  });
});
