import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BLOCK_OUTPUTS, polyphaseKernel, TABLE_BYTES_CAP } from '../../shared/dsp/polyphase_kernel.js';
import { StreamingResampler } from '../../shared/dsp/resample.js';
import { buildPolyphaseModule, MODULE_PATH } from '../../tools/build_wasm.js';
import { concat, randomChunkSizes, resampleChunked, seededRandom } from './helpers.js';

function stream(x: Float32Array, rate: number, outRate: number, wasm: boolean, sizes: number[]): Float32Array {
  return resampleChunked(new StreamingResampler(rate, outRate, { wasm }), x, sizes);
}

test('the committed polyphase_wasm.ts is what polyphase.wat compiles to', async () => {
  assert.equal(readFileSync(MODULE_PATH, 'utf8'), await buildPolyphaseModule(), 'stale: run node --import tsx tools/build_wasm.ts');
});

test('Node has the wasm SIMD kernel, so servers and trainings take the fast path', () => {
  assert.notEqual(polyphaseKernel(), null);
});

test('the wasm kernel equals the JS loop bit for bit: every client rate, up and down, any chunking, flush included', () => {
  const random = seededRandom(7);
  const pairs: [number, number][] = [[8000, 16000], [11025, 16000], [12000, 16000], [22050, 16000], [24000, 16000],
    [32000, 16000], [44100, 16000], [48000, 16000], [16000, 8000], [48000, 8000]];
  for (const [rate, outRate] of pairs) {
    const x = new Float32Array(Math.round(rate * 0.6));
    // Speech-like range plus near-silence, where float rounding shows first.
    for (let i = 0; i < x.length; i++) x[i] = (random() * 2 - 1) * (i % 3000 < 1500 ? 0.5 : 1e-4);
    for (const maxChunk of [1, 37, 320, 100000]) {
      const sizes = randomChunkSizes(x.length, maxChunk, random);
      const fast = stream(x, rate, outRate, true, sizes);
      const js = stream(x, rate, outRate, false, sizes);
      assert.equal(fast.length, js.length);
      const differ = fast.findIndex((v, i) => !Object.is(v, js[i]));
      assert.equal(differ, -1, `${rate} → ${outRate} Hz, chunks ≤ ${maxChunk}: first difference at output ${differ}`);
    }
  }
});

test('streams share one kernel without disturbing each other (interleaved rates and tables)', () => {
  const random = seededRandom(11);
  const rates = [8000, 44100, 8000, 48000];
  const inputs = rates.map((rate) => Float32Array.from({ length: rate }, () => random() * 2 - 1));
  const alone = inputs.map((x, i) => stream(x, rates[i] as number, 16000, true, [x.length]));
  const resamplers = rates.map((rate) => new StreamingResampler(rate));
  const parts: Float32Array[][] = rates.map(() => []);
  for (let step = 0; step < 50; step++) {
    resamplers.forEach((r, i) => {
      const x = inputs[i] as Float32Array;
      const chunk = Math.ceil(x.length / 50);
      parts[i]?.push(r.process(x.subarray(step * chunk, (step + 1) * chunk)));
    });
  }
  resamplers.forEach((r, i) => {
    parts[i]?.push(r.flush());
    assert.deepEqual(concat(parts[i] as Float32Array[]), alone[i], `stream ${i} (${rates[i]} Hz)`);
  });
});

test('memory stays bounded: a 10-minute buffer in one call, and a client cycling through rates', () => {
  const kernel = polyphaseKernel();
  assert.ok(kernel !== null);
  const random = seededRandom(3);
  // One process() call with 10 minutes at 48 kHz: the kernel goes block by block.
  const x = Float32Array.from({ length: 48000 * 600 }, () => random() * 2 - 1);
  const sizes = [x.length];
  const fast = stream(x, 48000, 16000, true, sizes);
  const js = stream(x, 48000, 16000, false, sizes);
  assert.equal(fast.findIndex((v, i) => !Object.is(v, js[i])), -1, 'blocked run = JS loop');
  // A fractional step (44.1 → 16 kHz: 2 inputs and 121/160 of one per output) across ~120 block edges.
  const x44 = x.subarray(0, 44100 * 60);
  const fast44 = stream(x44, 44100, 16000, true, [x44.length]);
  const js44 = stream(x44, 44100, 16000, false, [x44.length]);
  assert.equal(fast44.findIndex((v, i) => !Object.is(v, js44[i])), -1, 'blocked run with a fractional step = JS loop');
  assert.ok(kernel.memoryBytes < 8 * 2 ** 20 + BLOCK_OUTPUTS * 4 * 8 + 2 ** 20, `wasm memory ${kernel.memoryBytes} B after a 10-minute call`);
  // 16 rates with 2000 tabulated phases each (gcd with 16000 is 8; ~1–2.4 MB a table), 20+ MB
  // of tables in all: the kernel drops its copies past the cap and stays correct.
  const short = Float32Array.from({ length: 3000 }, () => random() * 2 - 1);
  for (let k = 0; k < 16; k++) {
    const rate = 8008 + 16 * k * 151;
    const sizes2 = [short.length];
    assert.deepEqual(stream(short, rate, 16000, true, sizes2), stream(short, rate, 16000, false, sizes2), `${rate} Hz`);
  }
  assert.ok(kernel.memoryBytes <= TABLE_BYTES_CAP + 2 ** 22, `wasm memory ${kernel.memoryBytes} B after many rates`);
});
