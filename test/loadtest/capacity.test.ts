import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchCapacity } from '../../loadtest/capacity.js';

const threshold = (limit: number) => async (n: number) => n <= limit;

test('grows geometrically then bisects to the resolution', async () => {
  const out = await searchCapacity({ startStreams: 10, maxStreams: 2000, resolution: 0.05 }, threshold(537));
  assert.ok(out.capacityStreams <= 537);
  assert.ok(out.capacityStreams >= 537 * 0.95 - 1, `got ${out.capacityStreams}`);
  assert.deepEqual(out.steps.slice(0, 7).map((s) => s.streams), [10, 20, 40, 80, 160, 320, 640]);
  assert.ok(out.firstFailingStreams !== null && out.firstFailingStreams > 537);
});

test('bisects below the start when the start already fails', async () => {
  const out = await searchCapacity({ startStreams: 10, maxStreams: 2000, resolution: 0.1 }, threshold(3));
  assert.equal(out.capacityStreams, 3);
  assert.equal(out.firstFailingStreams, 4);
});

test('reports 0 when nothing passes and the limit when everything does', async () => {
  const none = await searchCapacity({ startStreams: 4, maxStreams: 100, resolution: 0.1 }, threshold(0));
  assert.equal(none.capacityStreams, 0);
  assert.equal(none.firstFailingStreams, 1);
  const all = await searchCapacity({ startStreams: 10, maxStreams: 100, resolution: 0.1 }, threshold(1e9));
  assert.equal(all.capacityStreams, 100);
  assert.equal(all.firstFailingStreams, null);
  assert.deepEqual(all.steps.map((s) => s.streams), [10, 20, 40, 80, 100]);
});

test('validates its configuration', async () => {
  await assert.rejects(searchCapacity({ startStreams: 0, maxStreams: 10, resolution: 0.1 }, threshold(1)), /startStreams/);
  await assert.rejects(searchCapacity({ startStreams: 1, maxStreams: 10, resolution: 0.1, growth: 1 }, threshold(1)), /growth/);
});
