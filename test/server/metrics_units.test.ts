/** The metrics' own arithmetic: the real-time-factor window and the shared worker read. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RealTimeFactorWindow } from '../../server/metrics_rtf.js';
import { sharedRead, workerGauges } from '../../server/metrics_workers.js';

describe('RealTimeFactorWindow', () => {
  it('is processing over audio of the last window, forgetting the seconds that left it', () => {
    const w = new RealTimeFactorWindow(10, 100_000);
    assert.equal(w.value(100_000), 0, 'no audio: 0');
    w.record(2, 0.5, 100_000);
    w.record(2, 0.3, 103_500);
    assert.ok(Math.abs(w.value(105_000) - 0.2) < 1e-12, `0.8 s of work over 4 s of audio, got ${w.value(105_000)}`);
    assert.ok(Math.abs(w.value(110_000) - 0.15) < 1e-12, 'second 100 left the window; second 103 is still in it');
    assert.equal(w.value(113_999), 0, 'both left the window');
    w.record(1, 1, 200_000);
    assert.equal(w.value(200_000), 1, 'a long gap clears the whole window');
  });
});

describe('worker gauges', () => {
  it('one read of the pool per scrape, whichever gauge asks first', async () => {
    let reads = 0;
    const read = async (): Promise<{ numTensors: number; workers: { index: number; heapUsedBytes: number; externalBytes: number; wasmBytes: number }[] }> => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { numTensors: 7, workers: [{ index: 1, heapUsedBytes: 10, externalBytes: 2, wasmBytes: 64 }] };
    };
    const registry = new Registry();
    workerGauges(registry, read);
    const text = await registry.metrics();
    assert.equal(reads, 1, 'both gauges shared one read');
    assert.match(text, /^ser_model_tensors 7$/m);
    assert.match(text, /^ser_worker_memory_bytes\{worker="1",kind="wasm"\} 64$/m);
    assert.match(text, /^ser_worker_memory_bytes\{worker="1",kind="heap_used"\} 10$/m);
    await registry.metrics();
    assert.equal(reads, 2, 'the next scrape reads again');
  });

  it('sharedRead: a failed read is not kept', async () => {
    let n = 0;
    const shared = sharedRead(async () => {
      n += 1;
      if (n === 1) throw new Error('worker gone');
      return n;
    });
    await assert.rejects(shared(), /worker gone/);
    assert.equal(await shared(), 2, 'the next call reads afresh');
  });
});
