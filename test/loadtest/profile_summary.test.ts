import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byFile, byFunction, selfTimes, type CpuProfile } from '../../loadtest/profile_summary.js';

test('self time is attributed per sampled node and sorted', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
      { id: 2, callFrame: { functionName: 'mfcc', url: 'file:///x/shared/dsp/mfcc.ts', lineNumber: 9 } },
      { id: 3, callFrame: { functionName: '', url: 'file:///x/node_modules/ws/lib/sender.js', lineNumber: 0 } },
    ],
    samples: [2, 2, 3, 2],
    timeDeltas: [1000, 1000, 2000, 1000],
    startTime: 0,
    endTime: 5000,
  };
  const fns = selfTimes(profile, byFunction);
  assert.equal(fns[0]?.selfMs, 3);
  assert.match(fns[0]?.name ?? '', /^mfcc .*mfcc\.ts:10$/);
  assert.equal(fns[1]?.name, '(anonymous) node_modules/ws/lib/sender.js:1');
  assert.equal(fns[1]?.share, 0.4);
  assert.deepEqual(selfTimes(profile, byFile).map((r) => r.selfMs), [3, 2]);
});
