/**
 * Golden test: the µ-law encoder against sox's (an independent implementation), code for code,
 * on speech at three levels and on a studio's sub-LSB silence — the samples where the Sun
 * code's `x >> 2` and sox differ (shared/dsp/g711.ts). Skips with a message without sox.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { encodeMulaw } from '../../shared/dsp/g711.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { SPEECH_FIXTURES, concat, gaussian, readFixture, seededRandom } from './helpers.js';

const withSox = spawnSync('sox', ['--version']).status === 0;
if (!withSox) console.log('# sox not installed: the µ-law golden test is skipped (apt-get install sox)');

/** sox's µ-law bytes of float samples at 8 kHz (no dither, as every channel condition here runs it). */
function soxMulaw(samples: Float32Array): Uint8Array {
  const r = spawnSync('sox', ['-V1', '-D', '-t', 'raw', '-r', '8000', '-e', 'floating-point', '-b', '32', '-c', '1', '-', '-t', 'raw', '-e', 'mu-law', '-b', '8', '-'], {
    input: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
  });
  assert.equal(r.status, 0, r.stderr.toString());
  return new Uint8Array(r.stdout);
}

test('µ-law encoding equals sox code for code: speech at 0, −20 and −40 dB and sub-LSB silence', { skip: !withSox }, () => {
  const speech = resampleWhole(decodeWavToMono(readFixture(`speech/${SPEECH_FIXTURES[0]}`)).samples, 16_000, 8000);
  const noise = gaussian(seededRandom(3));
  const silence = Float32Array.from({ length: 8000 }, () => (noise() * 0.7) / 32768);
  const input = concat([speech, speech.map((v) => v * 0.1), speech.map((v) => v * 0.01), silence]);
  const ours = encodeMulaw(input);
  const theirs = soxMulaw(input);
  assert.equal(ours.length, theirs.length);
  const differ = ours.reduce((n, b, i) => n + (b === theirs[i] ? 0 : 1), 0);
  assert.equal(differ, 0, `${differ} of ${ours.length} codes differ from sox's`);
  // The silence is digital zero (codes 0xff / 0x7f both decode to 0), not −8 steps.
  const tail = ours.subarray(ours.length - 8000);
  assert.ok(tail.filter((b) => b === 0xff || b === 0x7f).length > 0.95 * tail.length);
});
