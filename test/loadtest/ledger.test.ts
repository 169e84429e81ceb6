import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkLedger, lastSampleIndex } from '../../loadtest/ledger.js';

test('lastSampleIndex is the sample just before endMs', () => {
  assert.equal(lastSampleIndex(250, 16_000), 3999);
  assert.equal(lastSampleIndex(1000, 16_000), 15_999);
  assert.equal(lastSampleIndex(0, 16_000), 0);
  assert.equal(lastSampleIndex(0.0625, 16_000), 0);
  // Float noise in endMs (e.g. 250.00000001 or 249.99999999) must not move it across samples.
  assert.equal(lastSampleIndex(249.9999999999, 16_000), 3999);
});

test('a result maps to the send time of the chunk holding its last sample', () => {
  const ledger = new ChunkLedger(4);
  // 100 ms chunks at 16 kHz, sent at t = 100, 200, 300 ms.
  ledger.record(100, 1600);
  ledger.record(200, 1600);
  ledger.record(300, 1600);
  // endMs = 250: last sample 3999 lies in chunk 2 [3200, 4800).
  assert.equal(ledger.sentTimeOfSample(lastSampleIndex(250, 16_000)), 300);
  // endMs = 200: last sample 3199 is the end of chunk 1, already dropped? No: chunk 1 was
  // before the one found, so it is gone and the lookup says so.
  assert.equal(ledger.sentTimeOfSample(3199), undefined);
  assert.equal(ledger.length, 1);
  // Sample at the exact chunk boundary belongs to the later chunk.
  ledger.record(400, 1600);
  assert.equal(ledger.sentTimeOfSample(4800), 400);
});

test('samples not sent yet are not traceable', () => {
  const ledger = new ChunkLedger();
  ledger.record(10, 320);
  assert.equal(ledger.sentTimeOfSample(320), undefined);
  assert.equal(ledger.sentTimeOfSample(319), 10);
});

test('the ring grows when the server falls behind and keeps order', () => {
  const ledger = new ChunkLedger(2);
  for (let i = 0; i < 1000; i++) ledger.record(i, 10);
  assert.equal(ledger.length, 1000);
  assert.equal(ledger.totalSamples, 10_000);
  assert.equal(ledger.sentTimeOfSample(5), 0);
  assert.equal(ledger.sentTimeOfSample(9_995), 999);
  assert.equal(ledger.length, 1);
});

test('wrap-around: interleaved record and lookup keep the ring small', () => {
  const ledger = new ChunkLedger(4);
  let sent = 0;
  for (let i = 0; i < 100; i++) {
    ledger.record(i * 20, 320);
    sent += 320;
    assert.equal(ledger.sentTimeOfSample(sent - 1), i * 20);
  }
  assert.ok(ledger.length <= 4);
  assert.throws(() => ledger.record(0, 0), /positive sample count/);
});
