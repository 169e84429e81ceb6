/**
 * The pitch stage's wasm kernel (yin.wat, yin_kernel.ts): built from its source, present in
 * Node, bit-identical to the JS loop on speech, noise and tones, and shared by interleaved
 * streams without one disturbing another.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PitchTracker, type PitchFrames } from '../../shared/dsp/pitch.js';
import { yinKernel } from '../../shared/dsp/yin_kernel.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { buildYinModule, YIN_MODULE_PATH } from '../../tools/build_wasm.js';
import { fixturePath, seededRandom } from './helpers.js';

function sameFrames(a: PitchFrames, b: PitchFrames, what: string): void {
  assert.equal(a.count, b.count, what);
  for (const key of ['f0Hz', 'aperiodicity', 'features'] as const) {
    const differ = a[key].findIndex((v, i) => !Object.is(v, b[key][i]));
    assert.equal(differ, -1, `${what}: ${key} first differs at ${differ}`);
  }
}

test('the committed yin_wasm.ts is what yin.wat compiles to', async () => {
  assert.equal(readFileSync(YIN_MODULE_PATH, 'utf8'), await buildYinModule(), 'stale: run node --import tsx tools/build_wasm.ts');
});

test('Node has the wasm SIMD kernel, so servers and trainings take the fast path', () => {
  assert.notEqual(yinKernel(), null);
});

test('the wasm kernel equals the JS loop bit for bit: speech, noise, near-silence, tones, odd windows', () => {
  const random = seededRandom(3);
  const inputs: [string, Float32Array][] = ['03-01-01-01-01-01-01.wav', '03-01-05-02-01-01-01.wav'].map((f) => [f, decodeWavToMono(new Uint8Array(readFileSync(fixturePath(`speech/${f}`)))).samples]);
  inputs.push(['noise', Float32Array.from({ length: 8000 }, (_, i) => (random() * 2 - 1) * (i % 3000 < 1500 ? 0.5 : 1e-6))]);
  inputs.push(['tone', Float32Array.from({ length: 8000 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 180 * i) / 16000))]);
  for (const [name, x] of inputs) {
    for (const config of [{}, { windowSamples: 77 }]) {
      sameFrames(new PitchTracker(config).push(x), new PitchTracker(config, { wasm: false }).push(x), `${name} ${JSON.stringify(config)}`);
    }
  }
});

test('streams share one kernel without disturbing each other (interleaved pushes)', () => {
  const a = decodeWavToMono(new Uint8Array(readFileSync(fixturePath('speech/03-01-05-02-01-01-01.wav')))).samples;
  const b = decodeWavToMono(new Uint8Array(readFileSync(fixturePath('speech/03-01-03-01-01-01-02.wav')))).samples;
  const [ta, tb] = [new PitchTracker(), new PitchTracker()];
  const parts: [PitchFrames[], PitchFrames[]] = [[], []];
  for (let at = 0; at < Math.max(a.length, b.length); at += 320) {
    parts[0].push(ta.push(a.subarray(at, at + 320)));
    parts[1].push(tb.push(b.subarray(at, at + 320)));
  }
  for (const [i, x] of [a, b].entries()) {
    const features = Float32Array.from(parts[i]!.flatMap((p) => [...p.features]));
    assert.deepEqual(features, new PitchTracker({}, { wasm: false }).push(x).features, `stream ${i}`);
  }
});
