/** Stage 7, smoothing (server/pipeline/smooth.ts): a marble test and early unsubscribe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { emaStep, smooth, uniform } from '../../../server/pipeline/smooth.js';
import type { InferredHop } from '../../../server/pipeline/types.js';

describe('smoothing stage', () => {
  const inferred = (index: number, probs: number[] | null, voicedFrames: number): InferredHop => ({
    index,
    startMs: index * 100,
    endMs: (index + 1) * 100,
    frames: new Float32Array(0),
    voiced: new Uint8Array(0),
    frameCount: 10,
    voicedFrames,
    framesTotal: (index + 1) * 10,
    inputSamplesTotal: (index + 1) * 1600,
    final: false,
    arrivedAtMs: 0,
    probs: probs === null ? null : Float32Array.from(probs),
    framesConsumedTotal: (index + 1) * 10,
  });

  it('EMA over voiced hops, decay toward uniform over silence, exact uniform before speech', () => {
    assert.deepEqual([...emaStep(null, Float32Array.of(1, 0), 0.5)], [1, 0]);
    assert.deepEqual([...emaStep(Float32Array.of(1, 0), Float32Array.of(0, 1), 0.5)], [0.5, 0.5]);
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a b c d|', {
        a: inferred(0, null, 0),
        b: inferred(1, [0, 1, 0], 10),
        c: inferred(2, [0, 0, 1], 10),
        d: inferred(3, [0, 0, 1], 0),
      });
      const out = source.pipe(smooth(0.5, 3));
      const pick = (v: { smoothed: Float32Array; isVoiced: boolean }) => ({ p: [...v.smoothed].map((x) => +x.toFixed(4)), voiced: v.isVoiced });
      const third = 1 / 3;
      expectObservable(out.pipe(map(pick))).toBe('a b c d|', {
        a: { p: [...uniform(3)].map((x) => +x.toFixed(4)), voiced: false },
        b: { p: [0, 1, 0], voiced: true },
        c: { p: [0, 0.5, 0.5], voiced: true },
        d: { p: [third / 2, 0.25 + third / 2, 0.25 + third / 2].map((x) => +x.toFixed(4)), voiced: false },
      });
    });
  });

  it('releases its state on early unsubscribe', () => {
    const subject = new Subject<InferredHop>();
    const seen: number[] = [];
    const sub = subject.pipe(smooth(0.5, 3)).subscribe((v) => seen.push(v.index));
    subject.next(inferred(0, [1, 0, 0], 5));
    sub.unsubscribe();
    subject.next(inferred(1, [1, 0, 0], 5));
    assert.deepEqual(seen, [0]);
    assert.equal(subject.observed, false);
  });
});
