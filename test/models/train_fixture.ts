/**
 * A tiny synthetic labelled dataset in the generic layout (`<dir>/<label>/<speaker>_<n>.wav`)
 * for the training tests: per label a different sound (low tone, high tone, noise bursts)
 * between silences, four speakers, and a small model config that trains in seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWavPcm16 } from '../../shared/wav.js';
import { Prng } from '../../models/train/prng.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../models/train/train_config.js';

export const SYNTH_LABELS = ['high', 'low', 'noise'] as const;
const RATE_HZ = 16000;

function clip(label: string, prng: Prng): Float32Array {
  const seconds = prng.uniform(0.8, 1.2);
  const out = new Float32Array(Math.round(seconds * RATE_HZ));
  const onset = Math.round(0.15 * RATE_HZ);
  const offset = out.length - Math.round(0.15 * RATE_HZ);
  const f0 = label === 'high' ? prng.uniform(1800, 2200) : prng.uniform(180, 260);
  for (let i = 0; i < out.length; i += 1) {
    const background = 0.0005 * prng.normal();
    if (i < onset || i >= offset) {
      out[i] = background;
      continue;
    }
    const t = i / RATE_HZ;
    const voice = label === 'noise' ? 0.2 * prng.normal() : 0.3 * Math.sin(2 * Math.PI * f0 * t) + 0.1 * Math.sin(4 * Math.PI * f0 * t);
    out[i] = voice + background;
  }
  return out;
}

/** Writes `clipsPerSpeaker` clips per label for speakers s1…s4; returns the root. */
export function writeSyntheticDataset(root: string, clipsPerSpeaker = 3, seed = 7): string {
  const prng = new Prng(seed);
  for (const label of SYNTH_LABELS) {
    mkdirSync(join(root, label), { recursive: true });
    for (let s = 1; s <= 4; s += 1) {
      for (let k = 0; k < clipsPerSpeaker; k += 1) {
        writeFileSync(join(root, label, `s${s}_${k}.wav`), encodeWavPcm16(clip(label, prng), RATE_HZ));
      }
    }
  }
  return root;
}

/** A small, fast configuration: 8-channel convs, 8 LSTM units, 1 augmented copy. */
export function smokeConfig(dataDir: string, outDir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    dataDir,
    outDir,
    id: 'smoke',
    arch: 'cnn-attn-lstm',
    hyper: { convChannels: [8, 8, 8], lstmUnits: 8, attentionUnits: 8, denseUnits: 8, windowSteps: 8, dropout: 0 },
    valSpeakers: ['s4'],
    epochs: 6,
    patience: 50,
    batchSize: 6,
    learningRate: 0.01,
    augment: { ...DEFAULT_TRAIN_CONFIG.augment!, copies: 1 },
    cacheDir: null,
    engine: 'cpu',
    quiet: true,
    ...overrides,
  };
}
