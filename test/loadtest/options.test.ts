import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '../../loadtest/options.js';
import { buildLoop, floatToPcm16 } from '../../loadtest/clips.js';
import { isCallStream, makeStreamPlans } from '../../loadtest/plan.js';
import { encodeMulaw } from '../../shared/dsp/g711.js';
import { httpBaseOf, streamUrlOf } from '../../loadtest/trial.js';

test('defaults follow the issue: hop 250, 20–100 ms chunks, spawn when no URL', () => {
  const o = parseOptions(['--no-progress'], new Date('2026-01-02T03:04:05Z'));
  assert.deepEqual(o.streams, [10]);
  assert.equal(o.hopMs, 250);
  assert.deepEqual(o.chunkMs, { min: 20, max: 100 });
  assert.equal(o.spawnServer, true);
  assert.equal(o.mode, 'streaming');
  assert.equal(o.p95BudgetMs, 100);
  assert.equal(o.warmupSeconds, 5);
  assert.equal(parseOptions(['--warmup', '0']).warmupSeconds, 0);
  assert.equal(o.outDir, 'loadtest/reports/2026-01-02T03-04-05-000Z');
});

test('parses lists, ranges and flags', () => {
  const o = parseOptions([
    '--streams', '10,100,500', '--duration', '5', '--url', 'http://h:1', '--chunk-ms', '40',
    '--find-capacity', '--p95-budget-ms', '80', '--server-arg=--workers=2', '--server-arg=--engine=wasm',
  ]);
  assert.deepEqual(o.streams, [10, 100, 500]);
  assert.deepEqual(o.chunkMs, { min: 40, max: 40 });
  assert.equal(o.spawnServer, false);
  assert.equal(o.findCapacity, true);
  assert.equal(o.p95BudgetMs, 80);
  assert.deepEqual(o.serverArgs, ['--workers=2', '--engine=wasm']);
});

test('rejects bad values with "expected X, got Y"', () => {
  assert.throws(() => parseOptions(['--streams', '0']), /--streams: expected an integer in \[1, 100000\], got 0/);
  assert.throws(() => parseOptions(['--hop', '10']), /--hop: expected/);
  assert.throws(() => parseOptions(['--chunk-ms', '100-20']), /expected A ≤ B/);
  assert.throws(() => parseOptions(['--mode', 'fast']), /expected streaming or naive, got fast/);
  assert.throws(() => parseOptions(['--url', 'http://h:1', '--compare-naive']), /--naive-url or --spawn-server/);
  assert.throws(() => parseOptions(['--bogus']), /Unknown option/);
  assert.throws(() => parseOptions(['--warmup=-1']), /--warmup: expected a number in \[0, 600\], got -1/);
});

test('URLs map to the stream endpoint and the metrics base', () => {
  assert.equal(streamUrlOf('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/v1/stream');
  assert.equal(streamUrlOf('ws://127.0.0.1:8080/v1/stream'), 'ws://127.0.0.1:8080/v1/stream');
  assert.equal(httpBaseOf('ws://127.0.0.1:8080/v1/stream'), 'http://127.0.0.1:8080');
});

test('the loop is padded so no chunk wraps, and PCM conversion clamps', () => {
  const loop = buildLoop([Float32Array.of(0.5, -0.5), Float32Array.of(1, -1, 2)], ['a', 'b'], 16_000, 3);
  const view = new Int16Array(loop.pcm);
  assert.equal(loop.loopSamples, 5);
  assert.deepEqual(loop.clipStartSamples, [0, 2]);
  assert.deepEqual([...view], [16384, -16384, 32767, -32768, 32767, 16384, -16384, 32767]);
  const out = new Int16Array(1);
  floatToPcm16(Float32Array.of(Number.NaN), out);
  assert.equal(out[0], 0);
});

test('a μ-law loop holds a byte a sample, padded the same way', () => {
  const loop = buildLoop([Float32Array.of(0, 0.5), Float32Array.of(-0.5)], ['a', 'b'], 8000, 2, 'mulaw');
  assert.equal(loop.encoding, 'mulaw');
  assert.equal(loop.pcm.byteLength, 5);
  const bytes = new Uint8Array(loop.pcm);
  assert.deepEqual([...bytes.subarray(0, 3)], [...encodeMulaw(Float32Array.of(0, 0.5, -0.5))]);
  assert.deepEqual([...bytes.subarray(3)], [...bytes.subarray(0, 2)]);
});

test('--call-share: that fraction of the streams, spread evenly, plan at the call rate', () => {
  assert.equal(parseOptions([]).callShare, 0);
  assert.equal(parseOptions(['--call-share', '0.5']).callShare, 0.5);
  assert.throws(() => parseOptions(['--call-share', '1.5']), /--call-share: expected a number in \[0, 1\], got 1.5/);
  const calls = { share: 0.25, sampleRateHz: 8000, loopSamples: 24_000, clipStartSamples: [0, 8000, 16_000] };
  const config = {
    streams: 8, durationSeconds: 2, sampleRateHz: 16_000, chunkMs: { min: 20, max: 20 }, rampSeconds: 1,
    loopSamples: 48_000, clipStartSamples: [0, 16_000, 32_000], seed: 7,
  };
  const plans = makeStreamPlans({ ...config, calls });
  assert.deepEqual(plans.map((p) => p.call === true), [false, false, false, true, false, false, false, true]);
  for (const p of plans) {
    const rate = p.call === true ? 8000 : 16_000;
    assert.equal(p.chunkSamples, rate / 50);
    assert.equal(p.totalSamples, 2 * rate);
  }
  assert.deepEqual(plans.filter((p) => p.call).map((p) => p.audioOffsetSamples), [0, 8000]);
  // The wideband streams keep the plan they have without calls (the same seed, the same draws).
  const plain = makeStreamPlans(config);
  for (const p of plans.filter((q) => q.call !== true)) assert.deepEqual(p, plain[p.streamId]);
  assert.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((i) => isCallStream(i, 0.5)).length, 5);
  assert.equal([0, 1, 2].filter((i) => isCallStream(i, 1)).length, 3);
  assert.equal([0, 1, 2].filter((i) => isCallStream(i, 0)).length, 0);
});

test('stream plans are deterministic, staggered, and spread over clips', () => {
  const config = {
    streams: 8, durationSeconds: 2, sampleRateHz: 16_000, chunkMs: { min: 20, max: 100 }, rampSeconds: 1,
    loopSamples: 48_000, clipStartSamples: [0, 16_000, 32_000], seed: 7,
  };
  const a = makeStreamPlans(config);
  assert.deepEqual(a, makeStreamPlans(config));
  assert.equal(a.length, 8);
  for (const p of a) {
    assert.ok(p.chunkSamples >= 320 && p.chunkSamples <= 1600);
    assert.ok(p.startOffsetMs >= 0 && p.startOffsetMs < 1000);
    assert.equal(p.totalSamples, 32_000);
  }
  assert.deepEqual(a.map((p) => p.audioOffsetSamples).slice(0, 4), [0, 16_000, 32_000, 0]);
  const offsets = a.map((p) => p.startOffsetMs);
  assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y));
});

test('--compare-naive measures streaming then naive, spawned unless URLs are given', async () => {
  const { serversToMeasure } = await import('../../loadtest/orchestrate.js');
  assert.deepEqual(serversToMeasure(parseOptions(['--compare-naive', '--no-progress'])), [
    { mode: 'streaming', spawnMode: 'streaming', url: undefined },
    { mode: 'naive', spawnMode: 'naive', url: undefined },
  ]);
  assert.deepEqual(
    serversToMeasure(parseOptions(['--compare-naive', '--url', 'http://a:1', '--naive-url', 'http://b:2', '--no-progress'])).map((p) => p.url),
    ['http://a:1', 'http://b:2'],
  );
  assert.deepEqual(serversToMeasure(parseOptions(['--url', 'http://a:1', '--no-progress'])), [
    { mode: 'external', spawnMode: null, url: 'http://a:1' },
  ]);
  assert.deepEqual(serversToMeasure(parseOptions(['--mode', 'naive', '--no-progress'])), [
    { mode: 'naive', spawnMode: 'naive', url: undefined },
  ]);
});
