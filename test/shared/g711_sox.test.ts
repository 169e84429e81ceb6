/**
 * Golden test: the G.711 encoders against sox's (an independent implementation), code for code,
 * on speech at three levels and on a studio's sub-LSB silence — the samples where the Sun
 * code's `x >> 2` and sox differ (shared/dsp/g711.ts). Skips with a message without sox.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { encodeAlaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { SPEECH_FIXTURES, concat, gaussian, readFixture, seededRandom } from './helpers.js';

const withSox = spawnSync('sox', ['--version']).status === 0;
if (!withSox) console.log('# sox not installed: the µ-law golden test is skipped (apt-get install sox)');

/** sox's G.711 bytes of float samples at 8 kHz (no dither, as every channel condition here runs it). */
function soxG711(samples: Float32Array, law: 'mu-law' | 'a-law'): Uint8Array {
  const r = spawnSync('sox', ['-V1', '-D', '-t', 'raw', '-r', '8000', '-e', 'floating-point', '-b', '32', '-c', '1', '-', '-t', 'raw', '-e', law, '-b', '8', '-'], {
    input: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
  });
  assert.equal(r.status, 0, r.stderr.toString());
  return new Uint8Array(r.stdout);
}

const speech = resampleWhole(decodeWavToMono(readFixture(`speech/${SPEECH_FIXTURES[0]}`)).samples, 16_000, 8000);
const noise = gaussian(seededRandom(3));
const silence = Float32Array.from({ length: 8000 }, () => (noise() * 0.7) / 32768);
const input = concat([speech, speech.map((v) => v * 0.1), speech.map((v) => v * 0.01), silence]);

for (const [law, encode] of [['mu-law', encodeMulaw], ['a-law', encodeAlaw]] as const) {
  test(`${law} encoding equals sox code for code: speech at 0, −20 and −40 dB and sub-LSB silence`, { skip: !withSox }, () => {
    const ours = encode(input);
    const theirs = soxG711(input, law);
    assert.equal(ours.length, theirs.length);
    const differ = ours.reduce((n, b, i) => n + (b === theirs[i] ? 0 : 1), 0);
    assert.equal(differ, 0, `${differ} of ${ours.length} codes differ from sox's`);
  });
}

test('µ-law: sub-LSB studio silence is digital zero, not −8 steps', () => {
  const tail = encodeMulaw(silence);
  // Noise of 0.7 LSB sd passes ±2 LSB (a 14-bit step's half) on 0.4 % of samples; the Sun code's floor
  // gave every negative sample the −8 code (half of them).
  const zeros = tail.filter((b) => b === 0xff || b === 0x7f).length;
  assert.ok(zeros > 0.98 * tail.length, `${zeros} of ${tail.length} codes decode to 0`);
});
