/** Stage 5, hop cutting (server/pipeline/hop.ts): the sample clock and the step rule, any block sizes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { framesEndingBy, hop } from '../../../server/pipeline/hop.js';
import { framesEndMs } from '../../../server/pipeline/result.js';
import type { Hop, VoicedFeatureBlock } from '../../../server/pipeline/types.js';

describe('hop stage', () => {
  it('counts the frames wholly inside a span', () => {
    assert.equal(framesEndingBy(399, 400, 160), 0);
    assert.equal(framesEndingBy(400, 400, 160), 1);
    assert.equal(framesEndingBy(4000, 400, 160), 23); // 250 ms: frames ending at 25 … 245 ms
    assert.equal(framesEndMs(23), 245);
  });

  it('cuts on the sample clock, whatever the block sizes, and flushes a final hop', () => {
    const block = (count: number, samplesTotal: number): VoicedFeatureBlock => ({
      count,
      coeffs: new Float32Array(count * 20).fill(samplesTotal),
      energyDb: new Float32Array(count),
      voiced: new Uint8Array(count).fill(1),
      samplesTotal,
      inputSamplesTotal: samplesTotal,
      arrivedAtMs: 0,
    });
    // 1 s of audio in 3 uneven blocks; frames total = framesEndingBy(16000) = 98.
    const blocks = [block(framesEndingBy(3000, 400, 160), 3000), block(framesEndingBy(12000, 400, 160) - 17, 12000), block(98 - 73, 16000)];
    const hops: Hop[] = [];
    const subject = new Subject<VoicedFeatureBlock>();
    subject.pipe(hop({ hopMs: 250, inputRateHz: 16000 })).subscribe((h) => hops.push(h));
    for (const b of blocks) subject.next(b);
    subject.complete();
    assert.deepEqual(
      hops.map((h) => [h.index, h.startMs, h.endMs, h.frameCount, h.framesTotal, h.final]),
      [
        [0, 0, 250, 23, 23, false],
        [1, 250, 500, 25, 48, false],
        [2, 500, 750, 25, 73, false],
        [3, 750, 1000, 25, 98, false],
        [4, 1000, 1000, 0, 98, true],
      ],
    );
  });

  it('with the step rule: cuts once no model step can complete inside the hop, whatever the block sizes', () => {
    const steps = { stepFrames: 8, resetAfterSilenceFrames: 5 };
    // 1 s = 98 frames: speech, a pause long enough to drop and reset (frames 38–47), speech.
    const voiced = new Uint8Array(98).fill(1).fill(0, 38, 48);
    const cutAt = (sizes: number[]): number[][] => {
      const hops: Hop[] = [];
      const subject = new Subject<VoicedFeatureBlock>();
      subject.pipe(hop({ hopMs: 250, inputRateHz: 16000, steps })).subscribe((h) => hops.push(h));
      let pos = 0;
      for (const size of [...sizes, 98]) {
        const count = Math.min(size, 98 - pos);
        const samplesTotal = 400 + (pos + count - 1) * 160;
        subject.next({
          count,
          coeffs: new Float32Array(count * 20),
          energyDb: new Float32Array(count),
          voiced: voiced.slice(pos, pos + count),
          samplesTotal,
          inputSamplesTotal: samplesTotal,
          arrivedAtMs: 0,
        });
        pos += count;
      }
      subject.complete();
      return hops.map((h) => [h.index, h.frameCount, h.framesTotal, h.voicedFrames, h.final ? 1 : 0]);
    };
    // Hop ends (frames ending by 250/500/750/1000 ms): 23, 48, 73, 98. Steps complete at 8 …
    // 40; frames 38–42 are the pause's first R = 5 (fed), 43 is dropped with the pending step,
    // so from 44 no step can complete before 48; speech at 48 resets the grid: steps at 56 … 96.
    const expected = [
      [0, 16, 16, 16, 0], // after the step at 16 none fits before 23: cut at 16, not 23
      [1, 28, 44, 22, 0], // dropping: the next step needs 8 fed frames, past 48
      [2, 28, 72, 24, 0], // the step at 72 is the last before 73
      [3, 24, 96, 24, 0],
      [4, 2, 98, 2, 1],
    ];
    assert.deepEqual(cutAt([98]), expected);
    assert.deepEqual(cutAt([1, 1, 1, 5, 7, 3, 20, 2]), expected);
    assert.deepEqual(cutAt(Array.from({ length: 98 }, () => 1)), expected);
  });

  it('the final hop ends where the audio ends, even before its start after an early cut', () => {
    const steps = { stepFrames: 8, resetAfterSilenceFrames: 5 };
    // 16 voiced frames (two steps): hop 0 is cut at frame 16, since no further step can
    // complete before its boundary (23 frames); the audio then stops at 3000 samples (187.5 ms).
    const hops: Hop[] = [];
    const subject = new Subject<VoicedFeatureBlock>();
    subject.pipe(hop({ hopMs: 250, inputRateHz: 16000, steps })).subscribe((h) => hops.push(h));
    const count = framesEndingBy(3000, 400, 160);
    subject.next({
      count,
      coeffs: new Float32Array(count * 20),
      energyDb: new Float32Array(count),
      voiced: new Uint8Array(count).fill(1),
      samplesTotal: 3000,
      inputSamplesTotal: 3000,
      arrivedAtMs: 0,
    });
    subject.complete();
    assert.deepEqual(
      hops.map((h) => [h.index, h.startMs, h.endMs, h.framesTotal, h.final]),
      [
        [0, 0, 250, 16, false],
        [1, 250, 187.5, count, true],
      ],
    );
  });
});
