import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alawToInt16,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  int16ToAlaw,
  int16ToMulaw,
  mulawToInt16,
} from '../../shared/dsp/g711.js';
import { db, fitTone, tone } from './helpers.js';

test('µ-law decodes the G.711 reference values', () => {
  // Values from the Sun g711.c table (ulaw2linear), as sox and ffmpeg produce them.
  assert.equal(mulawToInt16(0xff), 0);
  assert.equal(mulawToInt16(0x7f), 0);
  assert.equal(mulawToInt16(0x00), -32124);
  assert.equal(mulawToInt16(0x80), 32124);
  assert.equal(mulawToInt16(0xfe), 8);
  assert.equal(mulawToInt16(0x7e), -8);
  assert.equal(mulawToInt16(0xf0), 120);
  assert.equal(mulawToInt16(0xe0), 372);
});

test('A-law decodes the G.711 reference values', () => {
  assert.equal(alawToInt16(0xd5), 8);
  assert.equal(alawToInt16(0x55), -8);
  assert.equal(alawToInt16(0xaa), 32256);
  assert.equal(alawToInt16(0x2a), -32256);
  assert.equal(alawToInt16(0xd4), 24);
  assert.equal(alawToInt16(0xc5), 264);
});

test('µ-law and A-law encoders invert their decoders on every code', () => {
  for (let b = 0; b < 256; b++) {
    // 0x7f is µ-law's negative zero: it decodes to 0, which encodes as 0xff.
    assert.equal(int16ToMulaw(mulawToInt16(b)), b === 0x7f ? 0xff : b, `mulaw 0x${b.toString(16)}`);
    assert.equal(int16ToAlaw(alawToInt16(b)), b, `alaw 0x${b.toString(16)}`);
  }
});

test('encoders are monotonic and saturate at full scale', () => {
  let prevMu = -Infinity;
  let prevA = -Infinity;
  for (let x = -32768; x <= 32767; x += 7) {
    const mu = mulawToInt16(int16ToMulaw(x));
    const a = alawToInt16(int16ToAlaw(x));
    assert.ok(mu >= prevMu && a >= prevA, `monotonic at ${x}`);
    prevMu = mu;
    prevA = a;
  }
  assert.equal(int16ToMulaw(40000), int16ToMulaw(32767));
  assert.equal(int16ToAlaw(-40000), int16ToAlaw(-32768));
});

test('a tone survives the companding round trip at G.711 quality (SNR > 35 dB)', () => {
  const x = tone(440, 8000, 8000, 0.5);
  for (const [name, roundTrip] of [
    ['mulaw', (s: Float32Array) => decodeMulaw(encodeMulaw(s))],
    ['alaw', (s: Float32Array) => decodeAlaw(encodeAlaw(s))],
  ] as const) {
    const y = roundTrip(x);
    const fit = fitTone(y, 440, 8000);
    assert.ok(Math.abs(db(fit.amplitude / 0.5)) < 0.05, `${name} gain ${db(fit.amplitude / 0.5)} dB`);
    const snrDb = db(0.5 / Math.SQRT2 / fit.residualRms);
    assert.ok(snrDb > 35, `${name} SNR ${snrDb.toFixed(1)} dB`);
  }
});
