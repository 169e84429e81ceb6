/**
 * Waveform augmentation for the training split only. Each clip gets `copies` augmented
 * versions whose parameters are drawn once from a PRNG seeded by (run seed, clip, copy), so
 * a version is reproducible and its features are computed once and cached; each epoch then
 * picks one version per clip (the original or a copy), which adds variety at no extra cost
 * per epoch — the budget that matters on a 2-core CPU.
 */
import { BABBLE_TALKERS, makeBabble, mixAtSnr } from './babble.js';
import { Prng } from './prng.js';
import { activePower } from './level.js';
import { telephoneDegrade, type TelephoneFilter } from './telephone.js';
import { spectralTilt } from './tilt.js';

export { activePower } from './level.js';

export interface AugmentConfig {
  /**
   * Augmented copies per training clip, 0–16, default 6 (each epoch sees 1 of copies+1
   * versions). Features of copies are computed once and cached, so copies cost disk and
   * start-up time, not epoch time (see models/README.md for the runs behind the choice).
   */
  copies: number;
  /** Probability that a copy gets additive noise, [0, 1], default 0.5. */
  noiseProb: number;
  /** SNR range of the additive noise, dB, default [5, 30]. */
  snrDb: [number, number];
  /**
   * Gain range, dB, default [-20, 10]; applied to every copy (v1: [-6, 6]). Quiet
   * microphones and lines are common; +10 dB clips at full scale, as a hot input does.
   */
  gainDb: [number, number];
  /** Probability of a speed change, [0, 1], default 0.5. */
  speedProb: number;
  /** Speed factors (>1 shorter and higher), default [0.9, 1.1]. */
  speedRange: [number, number];
  /**
   * Probability of telephone degradation (300–3400 Hz, 8 kHz μ-law), [0, 1], default 0.5:
   * half the copies sound like a call, so call-centre audio is not out of distribution.
   */
  telephoneProb: number;
  /** Band limit of the telephone copies, default 'steep' (see telephone.ts). */
  telephoneFilter: TelephoneFilter;
  /** Probability that a copy gets a spectral tilt, [0, 1], default 0.3. */
  tiltProb: number;
  /** Tilt range, dB per octave around 1 kHz, default [-6, 6] (microphones, headsets, rooms). */
  tiltDbPerOctave: [number, number];
  /**
   * Probability that a copy gets babble: six utterances of other training speakers summed
   * (babble.ts), [0, 1]; absent = 0 (the recipes before it, whose copies stay exactly as
   * they were). Needs the pool of other speakers' clips (drawAugmentSpec's `babblePool`).
   */
  babbleProb?: number;
  /** SNR range of the babble against the clip's speech level, dB; default [0, 20]. */
  babbleSnrDb?: [number, number];
  /**
   * Babble may land on telephone copies too; absent = true (r9's copies). false: a
   * telephone copy drawn for babble stays without it, and every other draw is unchanged.
   */
  babbleOnTelephone?: boolean;
  /**
   * Every version is a telephone call: the original is degraded too (as `evaluate
   * --telephone` degrades it) and telephoneProb must be 1. For a narrowband model, served
   * to 8 kHz streams only; absent = false (every recipe before it).
   */
  narrowband?: boolean;
}

/** Babble SNR range when a config sets babbleProb but no range, dB. */
export const DEFAULT_BABBLE_SNR_DB: [number, number] = [0, 20];

export const DEFAULT_AUGMENT: AugmentConfig = {
  copies: 6,
  noiseProb: 0.5,
  snrDb: [5, 30],
  gainDb: [-20, 10],
  speedProb: 0.5,
  speedRange: [0.9, 1.1],
  telephoneProb: 0.5,
  telephoneFilter: 'steep',
  tiltProb: 0.3,
  tiltDbPerOctave: [-6, 6],
};

/** The concrete draw for one copy; part of the feature-cache key. */
export interface AugmentSpec {
  gainDb: number;
  /** 1 = unchanged. */
  speed: number;
  /** null = no noise. */
  snrDb: number | null;
  noiseColor: 'white' | 'pink';
  telephone: boolean;
  /** Seed of the noise generator. */
  noiseSeed: number;
  /** Band limit when `telephone`; absent in v1 specs (then 'gentle'). */
  telephoneFilter?: TelephoneFilter;
  /** dB per octave; absent or 0 = none. */
  tiltDbPerOctave?: number;
  /** Babble mixed in after the noise: the other speakers' clips (relative paths), SNR and mixing seed; absent = none. */
  babble?: { clips: string[]; snrDb: number; seed: number };
}

export function validateAugmentConfig(c: AugmentConfig): void {
  if (!Number.isInteger(c.copies) || c.copies < 0 || c.copies > 16) {
    throw new Error(`expected augment copies an integer in [0, 16], got ${c.copies}`);
  }
  for (const [name, p] of [['noiseProb', c.noiseProb], ['speedProb', c.speedProb], ['telephoneProb', c.telephoneProb]] as const) {
    if (!(p >= 0 && p <= 1)) throw new Error(`expected ${name} in [0, 1], got ${p}`);
  }
  if (!(c.speedRange[0] > 0.5 && c.speedRange[1] < 2 && c.speedRange[0] <= c.speedRange[1])) {
    throw new Error(`expected speedRange within (0.5, 2) ascending, got ${c.speedRange.join('..')}`);
  }
  if (!(c.tiltProb >= 0 && c.tiltProb <= 1)) throw new Error(`expected tiltProb in [0, 1], got ${c.tiltProb}`);
  if (!(c.tiltDbPerOctave[0] >= -12 && c.tiltDbPerOctave[1] <= 12 && c.tiltDbPerOctave[0] <= c.tiltDbPerOctave[1])) {
    throw new Error(`expected tiltDbPerOctave within [-12, 12] ascending, got ${c.tiltDbPerOctave.join('..')}`);
  }
  if (c.narrowband === true && c.telephoneProb !== 1) throw new Error(`expected telephoneProb 1 for a narrowband recipe (every version a call), got ${c.telephoneProb}`);
  if (c.babbleProb !== undefined && !(c.babbleProb >= 0 && c.babbleProb <= 1)) throw new Error(`expected babbleProb in [0, 1], got ${c.babbleProb}`);
  const snr = c.babbleSnrDb ?? DEFAULT_BABBLE_SNR_DB;
  if (!(snr[0] >= -10 && snr[1] <= 40 && snr[0] <= snr[1])) throw new Error(`expected babbleSnrDb within [-10, 40] ascending, got ${snr.join('..')}`);
}

/** FNV-1a of a string: stable seeds from clip names without a crypto dependency. */
export function hashString32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Draws the parameters of copy `copyIndex` of clip `clipKey`; pure in its arguments.
 * `babblePool`: the clips babble may take its talkers from (other speakers of the same
 * training split, see `babblePoolOf`); empty = no babble whatever the config says.
 */
export function drawAugmentSpec(config: AugmentConfig, seed: number, clipKey: string, copyIndex: number, babblePool: readonly string[] = []): AugmentSpec {
  const prng = new Prng(hashString32(`${seed}|${clipKey}|${copyIndex}`));
  const gainDb = prng.uniform(config.gainDb[0], config.gainDb[1]);
  const speed = prng.next() < config.speedProb ? prng.uniform(config.speedRange[0], config.speedRange[1]) : 1;
  const snrDb = prng.next() < config.noiseProb ? prng.uniform(config.snrDb[0], config.snrDb[1]) : null;
  const noiseColor = prng.next() < 0.5 ? 'white' : 'pink';
  const telephone = prng.next() < config.telephoneProb;
  const noiseSeed = Math.floor(prng.next() * 2 ** 31);
  // Draws added after v1's are taken last, so v1 recipes keep their exact copies.
  const tilt = prng.next() < (config.tiltProb ?? 0) ? prng.uniform(config.tiltDbPerOctave[0], config.tiltDbPerOctave[1]) : 0;
  const extra: Pick<AugmentSpec, 'telephoneFilter' | 'tiltDbPerOctave' | 'babble'> = {};
  if (telephone && config.telephoneFilter !== 'gentle') extra.telephoneFilter = config.telephoneFilter;
  if (tilt !== 0) extra.tiltDbPerOctave = Math.round(tilt * 100) / 100;
  // Drawn last, and only when babble is on, so the recipes before it keep their copies.
  if ((config.babbleProb ?? 0) > 0 && babblePool.length > 0 && prng.next() < (config.babbleProb as number)) {
    const [lo, hi] = config.babbleSnrDb ?? DEFAULT_BABBLE_SNR_DB;
    const snr = Math.round(prng.uniform(lo, hi) * 10) / 10;
    const clips = Array.from({ length: BABBLE_TALKERS }, () => babblePool[prng.int(0, babblePool.length - 1)] as string);
    const babbleSeed = Math.floor(prng.next() * 2 ** 31);
    if (!telephone || config.babbleOnTelephone !== false) extra.babble = { clips, snrDb: snr, seed: babbleSeed };
  }
  return {
    gainDb: Math.round(gainDb * 100) / 100,
    speed: Math.round(speed * 1000) / 1000,
    snrDb: snrDb === null ? null : Math.round(snrDb * 10) / 10,
    noiseColor,
    telephone,
    noiseSeed,
    ...extra,
  };
}

/** Speed perturbation by linear interpolation: factor 1.1 plays 10 % faster (and higher). */
export function changeSpeed(samples: Float32Array, factor: number): Float32Array {
  if (!(factor > 0)) throw new Error(`expected a speed factor > 0, got ${factor}`);
  if (factor === 1) return samples.slice();
  const outLength = Math.max(1, Math.floor((samples.length - 1) / factor) + 1);
  const out = new Float32Array(outLength);
  for (let i = 0; i < outLength; i += 1) {
    const pos = i * factor;
    const j = Math.floor(pos);
    const frac = pos - j;
    const a = samples[j] ?? 0;
    const b = samples[j + 1] ?? a;
    out[i] = a + (b - a) * frac;
  }
  return out;
}

export function applyGainDb(samples: Float32Array, gainDb: number): Float32Array {
  const g = 10 ** (gainDb / 20);
  return samples.map((s) => Math.max(-1, Math.min(1, s * g)));
}

/** Unit-power noise: white Gaussian, or pink by Paul Kellet's economy filter. */
export function makeNoise(length: number, color: 'white' | 'pink', prng: Prng): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let power = 0;
  for (let i = 0; i < length; i += 1) {
    const w = prng.normal();
    let v = w;
    if (color === 'pink') {
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      v = b0 + b1 + b2 + w * 0.1848;
    }
    out[i] = v;
    power += v * v;
  }
  const scale = 1 / Math.sqrt(Math.max(power / Math.max(1, length), 1e-12));
  for (let i = 0; i < length; i += 1) out[i] = (out[i] as number) * scale;
  return out;
}

export function addNoiseAtSnr(samples: Float32Array, snrDb: number, color: 'white' | 'pink', prng: Prng): Float32Array {
  const noise = makeNoise(samples.length, color, prng);
  const noiseRms = Math.sqrt(activePower(samples) / 10 ** (snrDb / 10));
  return samples.map((s, i) => Math.max(-1, Math.min(1, s + (noise[i] as number) * noiseRms)));
}

/**
 * The clips a clip's babble may take its talkers from: every clip of `clips` (one training
 * split) by another speaker, as relative paths. A clip whose speaker is unknown gets none.
 */
export function babblePoolOf(clips: readonly { relPath: string; speaker: string | null }[], speaker: string | null): string[] {
  if (speaker === null) return [];
  return clips.filter((c) => c.speaker !== null && c.speaker !== speaker).map((c) => c.relPath);
}

/**
 * Applies one copy's spec to 16 kHz samples: speed → tilt → noise → babble → gain →
 * telephone. `loadClip` reads a babble talker (16 kHz) by relative path; needed only when
 * the spec has babble.
 */
export function applyAugment(samples16k: Float32Array, spec: AugmentSpec, loadClip?: (relPath: string) => Float32Array): Float32Array {
  let out = changeSpeed(samples16k, spec.speed);
  if (spec.tiltDbPerOctave !== undefined && spec.tiltDbPerOctave !== 0) out = spectralTilt(out, 16000, spec.tiltDbPerOctave);
  if (spec.snrDb !== null) out = addNoiseAtSnr(out, spec.snrDb, spec.noiseColor, new Prng(spec.noiseSeed));
  if (spec.babble !== undefined) {
    if (loadClip === undefined) throw new Error('applyAugment: expected a clip loader for a spec with babble, got none');
    const talkers = spec.babble.clips.map(loadClip);
    out = mixAtSnr(out, makeBabble(out.length, talkers, new Prng(spec.babble.seed)), spec.babble.snrDb);
  }
  out = applyGainDb(out, spec.gainDb);
  if (spec.telephone) out = telephoneDegrade(out, 16000, spec.telephoneFilter ?? 'gentle');
  return out;
}
