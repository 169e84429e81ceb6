/**
 * The evaluation's listening conditions: each yields what a client would stream, with the
 * property its name promises (sox-made telephone audio is band-limited and 8 kHz; tilt has
 * its slope; gain and noise their levels).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONDITION_NAMES, getConditions, pcm16k, soxAvailable } from '../../models/eval/conditions.js';
import { makeBabble } from '../../models/train/babble.js';
import { activePower } from '../../models/train/level.js';
import { Prng } from '../../models/train/prng.js';
import { spectralTilt } from '../../models/train/tilt.js';
import { decodeMulaw } from '../../shared/dsp/g711.js';

const RATE = 16000;
const tone = (hz: number, seconds = 1, amp = 0.3, rate = RATE): Float32Array =>
  Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const db = (a: number, b: number): number => 20 * Math.log10(a / b);
const ctx = { seed: 1, others: () => [tone(180, 2), tone(230, 2), tone(310, 2)] };

describe('evaluation conditions', () => {
  it('tilt ±6 dB/octave: a tone one octave above the pivot gains 6 dB relative to one an octave below, level kept', () => {
    const pair = new Float32Array(RATE);
    const lo = tone(500);
    const hi = tone(2000);
    for (let i = 0; i < RATE; i += 1) pair[i] = (lo[i] as number) + (hi[i] as number);
    for (const slope of [6, -6]) {
      const out = spectralTilt(pair, RATE, slope);
      // Separate the two tones by correlating with each.
      const amp = (hz: number): number => {
        let re = 0;
        let im = 0;
        for (let i = 0; i < out.length; i += 1) {
          re += (out[i] as number) * Math.cos((2 * Math.PI * hz * i) / RATE);
          im += (out[i] as number) * Math.sin((2 * Math.PI * hz * i) / RATE);
        }
        return Math.hypot(re, im);
      };
      const gainDb = db(amp(2000), amp(500));
      assert.ok(Math.abs(gainDb - 2 * slope) < 0.2, `slope ${slope}: expected ${2 * slope} dB over two octaves, got ${gainDb.toFixed(2)}`);
      assert.ok(Math.abs(db(Math.sqrt(activePower(out)), Math.sqrt(activePower(pair)))) < 0.1);
    }
  });

  it('gain and white noise: levels as named', async () => {
    const [minus20, white10] = getConditions(['gain-20dB', 'white10dB']);
    const x = tone(440);
    const quiet = await minus20!.make(x, ctx);
    assert.equal(quiet.encoding, 'pcm_s16le');
    const q = new Int16Array(quiet.bytes.buffer, quiet.bytes.byteOffset, quiet.bytes.length / 2);
    assert.ok(Math.abs(db(rms(Float32Array.from(q, (v) => v / 32767)), rms(x)) + 20) < 0.1);
    const noisy = await white10!.make(x, ctx);
    const n = Float32Array.from(new Int16Array(noisy.bytes.buffer, noisy.bytes.byteOffset, noisy.bytes.length / 2), (v, i) => v / 32767 - (x[i] as number));
    assert.ok(Math.abs(db(rms(x), rms(n)) - 10) < 0.3);
  });

  it('babble mixes other talkers at equal level and is deterministic per seed', () => {
    const a = makeBabble(8000, ctx.others(), new Prng(3));
    assert.deepEqual(a, makeBabble(8000, ctx.others(), new Prng(3)));
    assert.throws(() => makeBabble(10, [], new Prng(1)), /expected other clips/);
  });

  it('tilt is a clip-wise filter (sessions apply it per clip): make is s16 of clipwise16k; noise and codecs are not', () => {
    const x = tone(700);
    for (const condition of getConditions(['tilt+6dBoct', 'tilt-6dBoct'])) {
      assert.ok(condition.clipwise16k !== undefined, `${condition.name}: clip-wise`);
      assert.deepEqual(condition.make(x, ctx), pcm16k(condition.clipwise16k(x)), `${condition.name}: make = s16 of the filter`);
    }
    for (const condition of getConditions(['white10dB', 'babble10dB', 'telephone', 'gain-20dB'])) assert.equal(condition.clipwise16k, undefined, `${condition.name}: whole-stream`);
  });

  it('names every condition the issue lists', () => {
    for (const name of ['wideband', 'telephone', 'telephone-alaw', 'telephone-gsm', 'gain-20dB', 'gain+10dB', 'white5dB', 'babble5dB', 'tilt+6dBoct', 'tilt-6dBoct']) {
      assert.ok(CONDITION_NAMES.includes(name), name);
    }
    assert.throws(() => getConditions(['radio']), /condition: expected one of/);
  });

  const noSox = soxAvailable() ? false : 'sox is not installed (apt-get install sox libsox-fmt-all): telephone conditions not checked';
  if (noSox) console.log(`# ${noSox}`);
  it('telephone (sox): 8 kHz μ-law bytes, 300–3400 Hz band: a 1 kHz tone passes, 150 Hz and 3.7 kHz are gone', { skip: noSox }, async () => {
    const [tel] = getConditions(['telephone']);
    const level = async (hz: number): Promise<number> => {
      const out = await tel!.make(tone(hz), ctx);
      assert.equal(out.encoding, 'mulaw');
      assert.equal(out.sampleRateHz, 8000);
      assert.ok(Math.abs(out.bytes.length - 8000) <= 2);
      return rms(decodeMulaw(out.bytes).subarray(1000, 7000));
    };
    const ref = await level(1000);
    assert.ok(Math.abs(db(ref, rms(tone(1000)))) < 1);
    assert.ok(db(await level(150), ref) < -40);
    assert.ok(db(await level(3700), ref) < -40);
  });

  it('GSM (sox): decoded s16 at 8 kHz of the same duration', { skip: noSox }, async () => {
    const [gsm] = getConditions(['telephone-gsm']);
    const out = await gsm!.make(tone(800), ctx);
    assert.equal(out.encoding, 'pcm_s16le');
    assert.equal(out.sampleRateHz, 8000);
    assert.ok(Math.abs(out.bytes.length / 2 - 8000) <= 160);
  });
});
