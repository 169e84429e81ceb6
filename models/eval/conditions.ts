/**
 * The listening conditions of the evaluation: each turns a clip (16 kHz mono samples) into
 * what a client would stream — encoded bytes plus the `start` fields — so the server's own
 * decoder and resampler handle it. The channel conditions are made by sox, an implementation
 * independent of the project's augmentation code (telephone = `sinc 300-3400`, then 8 kHz
 * G.711 or GSM 06.10 — steep band edges, as real lines have); the rest (gain, noise, tilt)
 * are plain arithmetic on the samples.
 */
import { spawn, spawnSync } from 'node:child_process';
import { MODEL_SAMPLE_RATE_HZ, type Encoding } from '../../shared/protocol.js';
import { addNoiseAtSnr, applyGainDb } from '../train/augment.js';
import { makeBabble, mixAtSnr } from '../train/babble.js';
import { Prng } from '../train/prng.js';
import { spectralTilt } from '../train/tilt.js';

/** What a client streams for one clip. */
export interface StreamInput {
  bytes: Uint8Array;
  encoding: Encoding;
  sampleRateHz: number;
}

export interface ConditionContext {
  /** A seed for this clip under this condition (noise draws). */
  seed: number;
  /** Other clips of the evaluation set (16 kHz), for babble; never the clip itself. */
  others: () => Float32Array[];
}

export interface Condition {
  name: string;
  /** One line for tables. */
  description: string;
  /** Needs the `sox` binary. */
  sox: boolean;
  make(samples16k: Float32Array, ctx: ConditionContext): StreamInput | Promise<StreamInput>;
  /**
   * For a fixed filter at 16 kHz (no noise, no codec): the filter alone, with make = s16 of
   * it. A session applies it to each clip before joining them (session_eval.ts), as the
   * one-clip rows do: tilt's FFT over a whole 285 s session takes ≈ 3 s and ≈ 0.5 GB, and
   * blocks the evaluation's event loop (its in-process server's too) meanwhile.
   */
  clipwise16k?: (samples16k: Float32Array) => Float32Array;
}

export function toS16le(samples: Float32Array): Uint8Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) out[i] = Math.round(Math.max(-1, Math.min(1, samples[i] as number)) * 32767);
  return new Uint8Array(out.buffer);
}

export const pcm16k = (samples: Float32Array): StreamInput => ({ bytes: toS16le(samples), encoding: 'pcm_s16le', sampleRateHz: MODEL_SAMPLE_RATE_HZ });

const RAW_S16_16K = ['-t', 'raw', '-r', '16000', '-e', 'signed', '-b', '16', '-c', '1'];
const TELEPHONE_BAND = ['sinc', '300-3400'];

/**
 * Runs sox over raw bytes (stdin → stdout) in a child process, so several clips convert at
 * once; rejects with sox's message on failure.
 */
export function sox(input: Uint8Array, args: readonly string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // -D: no dither, so a clip converts to the same bytes on every run.
    const child = spawn('sox', ['-V1', '-D', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`sox: ${e.message} (install it: apt-get install sox libsox-fmt-all)`)));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sox ${args.join(' ')}: exit ${code}: ${Buffer.concat(err).toString().trim()}`));
      else {
        const all = Buffer.concat(out);
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export function soxAvailable(): boolean {
  const r = spawnSync('sox', ['--version']);
  return r.error === undefined && r.status === 0;
}

/** Steep 300–3400 Hz band limit, 8 kHz, G.711 μ-law or A-law bytes. */
export function telephoneG711(samples16k: Float32Array, law: 'mu-law' | 'a-law'): Promise<Uint8Array> {
  return sox(toS16le(samples16k), [...RAW_S16_16K, '-', '-t', 'raw', '-r', '8000', '-e', law, '-b', '8', '-c', '1', '-', ...TELEPHONE_BAND]);
}

/** Steep 300–3400 Hz band limit, 8 kHz GSM 06.10 (13 kbit/s), decoded to s16 8 kHz. */
export async function telephoneGsm(samples16k: Float32Array): Promise<Uint8Array> {
  const gsm = await sox(toS16le(samples16k), [...RAW_S16_16K, '-', '-t', 'gsm', '-r', '8000', '-c', '1', '-', ...TELEPHONE_BAND]);
  return sox(gsm, ['-t', 'gsm', '-r', '8000', '-c', '1', '-', '-t', 'raw', '-e', 'signed', '-b', '16', '-']);
}

/** Band limit only (steep, 300–3400 Hz), staying at 16 kHz s16. */
export function bandLimited16k(samples16k: Float32Array): Promise<Uint8Array> {
  return sox(toS16le(samples16k), [...RAW_S16_16K, '-', ...RAW_S16_16K, '-', ...TELEPHONE_BAND]);
}

function withBabble(samples: Float32Array, snrDb: number, ctx: ConditionContext): Float32Array {
  return mixAtSnr(samples, makeBabble(samples.length, ctx.others(), new Prng(ctx.seed)), snrDb);
}

const CONDITIONS: Condition[] = [
  { name: 'wideband', description: 'the clip as recorded, 16 kHz s16', sox: false, make: (s) => pcm16k(s) },
  {
    name: 'telephone',
    description: 'steep 300–3400 Hz (sox sinc), 8 kHz G.711 μ-law',
    sox: true,
    make: async (s) => ({ bytes: await telephoneG711(s, 'mu-law'), encoding: 'mulaw', sampleRateHz: 8000 }),
  },
  {
    name: 'telephone-alaw',
    description: 'steep 300–3400 Hz, 8 kHz G.711 A-law',
    sox: true,
    make: async (s) => ({ bytes: await telephoneG711(s, 'a-law'), encoding: 'alaw', sampleRateHz: 8000 }),
  },
  {
    name: 'telephone-gsm',
    description: 'steep 300–3400 Hz, 8 kHz GSM 06.10 (13 kbit/s), sent as s16',
    sox: true,
    make: async (s) => ({ bytes: await telephoneGsm(s), encoding: 'pcm_s16le', sampleRateHz: 8000 }),
  },
  { name: 'bandlimit-16k', description: 'steep 300–3400 Hz band limit alone, 16 kHz', sox: true, make: async (s) => ({ bytes: await bandLimited16k(s), encoding: 'pcm_s16le', sampleRateHz: 16000 }) },
  ...[-20, -10, 10].map((db): Condition => ({
    name: `gain${db > 0 ? '+' : ''}${db}dB`,
    description: `gain ${db > 0 ? '+' : ''}${db} dB${db > 0 ? ' (clipped at full scale)' : ''}`,
    sox: false,
    make: (s) => pcm16k(applyGainDb(s, db)),
  })),
  ...[20, 10, 5].map((snr): Condition => ({
    name: `white${snr}dB`,
    description: `white noise at ${snr} dB SNR (speech level)`,
    sox: false,
    make: (s, ctx) => pcm16k(addNoiseAtSnr(s, snr, 'white', new Prng(ctx.seed))),
  })),
  ...[20, 10, 5].map((snr): Condition => ({
    name: `babble${snr}dB`,
    description: `babble of 6 other talkers at ${snr} dB SNR`,
    sox: false,
    make: (s, ctx) => pcm16k(withBabble(s, snr, ctx)),
  })),
  ...[6, -6].map((tilt): Condition => {
    const clipwise16k = (s: Float32Array): Float32Array => spectralTilt(s, MODEL_SAMPLE_RATE_HZ, tilt);
    return {
      name: `tilt${tilt > 0 ? '+' : ''}${tilt}dBoct`,
      description: `spectral tilt ${tilt > 0 ? '+' : ''}${tilt} dB/octave around 1 kHz, level kept`,
      sox: false,
      clipwise16k,
      make: (s) => pcm16k(clipwise16k(s)),
    };
  }),
];

export const CONDITION_NAMES = CONDITIONS.map((c) => c.name);
/** What a quick run (recipe search) scores: the two conditions the targets name first. */
export const CORE_CONDITIONS = ['wideband', 'telephone'];

export function getConditions(names: readonly string[]): Condition[] {
  return names.map((name) => {
    const c = CONDITIONS.find((x) => x.name === name);
    if (c === undefined) throw new Error(`condition: expected one of ${CONDITION_NAMES.join(', ')}, got "${name}"`);
    return c;
  });
}
