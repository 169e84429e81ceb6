/**
 * Every setting of a training run, with its unit, range and default. The CLI (train.ts)
 * fills it from flags; tests build it directly.
 */
import { createHash } from 'node:crypto';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { PITCH_FEATURES } from '../../shared/dsp/pitch.js';
import type { ArchName, Hyper } from '../architectures/index.js';
import type { EnginePreference } from '../engine.js';
import { isLogFloor, MAX_LOG_FLOOR } from '../meta.js';
import { DEFAULT_AUGMENT, type AugmentConfig } from './augment.js';
import { validateMasks, type MaskConfig } from './batch_regularize.js';
import type { Layout } from './dataset.js';

export interface TrainConfig {
  /** Dataset root (RAVDESS tree or `<dir>/<label>/*.wav`). */
  dataDir: string;
  /** Default 'auto'. */
  layout: Layout;
  /**
   * Labels in output order; a clip with another label is an error naming it. Default null:
   * RAVDESS order for RAVDESS, sorted folder names for the generic layout.
   */
  labels: string[] | null;
  /** Default 'cnn-attn-lstm'. */
  arch: ArchName;
  /** Overrides of the architecture's default hyper-parameters; numCoeffs/numClasses are set from the data. */
  hyper: Hyper;
  /** Output model directory; checkpoints go to `<out>/checkpoint/`, the log to `<out>/train.log`. */
  outDir: string;
  /** Model id for meta.json; default: the output directory's name. */
  id: string;
  /** Training speakers (RAVDESS default 01–16); null = every speaker not in valSpeakers, or a fraction split. */
  trainSpeakers: string[] | null;
  /** Validation speakers (RAVDESS default 17–20); null = fraction split. */
  valSpeakers: string[] | null;
  /** Share of speakers held out when no speaker lists apply, (0, 1), default 0.2. */
  valFraction: number;
  /** Maximum epochs, ≥ 1, default 60 (the CV-chosen recipe; v1 used 100). */
  epochs: number;
  /** Epochs without a better validation UAR before stopping, ≥ 1, default 12. */
  patience: number;
  /** Clips per batch, 1–256, default 32. */
  batchSize: number;
  /** Adam learning rate at epoch 1, (0, 0.1], default 0.003. */
  learningRate: number;
  /**
   * Learning rate reached at the last epoch (cosine decay over `epochs`), (0, learningRate],
   * default 0.0002. A schedule fixed by the epoch number, not by the noisy validation curve:
   * halving on UAR plateaus cut the rate too early on a 240-clip validation set.
   */
  minLearningRate: number;
  /** Seed of init, shuffling, augmentation and dropout; default 1. */
  seed: number;
  /** null = no augmentation. */
  augment: AugmentConfig | null;
  /** Feature cache directory, default `.cache/features`; null disables it. */
  cacheDir: string | null;
  /** tfjs engine, default 'auto' (as the server). */
  engine: EnginePreference;
  /**
   * Stop (checkpointed, resumable) once this epoch is done, without the final save; null =
   * run to `epochs` or early stopping. For time-boxed sessions and the resume test.
   */
  stopAfterEpoch: number | null;
  /** Continue from `<out>/checkpoint/` when present. */
  resume: boolean;
  /**
   * Which epoch's weights are saved: 'best' (highest validation UAR, default) or 'last'.
   * Cross-validation uses 'last' with a fixed epoch count, so the held-out fold never
   * chooses the weights it is scored on.
   */
  keep: 'best' | 'last';
  /** Unvoiced frames after which the streaming runner resets a stream (meta), ≥ 1, default 50 (0.5 s). */
  resetAfterSilenceFrames: number;
  /**
   * Weight of the every-step loss, [0, 1], default 0 (5-fold CV: 0.5 cost ~4 points of final
   * UAR and gained no live UAR; see models/README.md): 0 trains the end-of-clip result only,
   * w > 0 mixes in the mean loss of the result after every model step (what a live view
   * shows). Needs an architecture with per-step outputs (cnn-attn-lstm).
   */
  stepLossWeight: number;
  /** SpecAugment-style time and feature masks on every training batch; null (default) = none. */
  masks: MaskConfig | null;
  /** Mixup Beta(α, α) over each training batch, ≥ 0; 0 (default) = none. */
  mixupAlpha: number;
  /**
   * Cepstral coefficients per frame, 1–40 (the mel bands), default 20. 40 keeps all of the
   * log-mel spectrum (an invertible DCT of the 40 bands); the server computes what meta says.
   */
  numCoeffs: number;
  /**
   * Floor under each mel band's power before the log, default MFCC_CONFIG.logFloor (1e-10,
   * ln −23). Digital silence (a G.711 call's pauses, the band outside a call's 300–3400 Hz)
   * sits at the floor; 1e-8 (ln −18.4) is just under a studio room's silence.
   */
  logFloor: number;
  /** Append the pitch columns (shared/dsp/pitch.ts) to each frame; numCoeffs counts them. Default false. */
  pitch: boolean;
  /** Longest training span, frames, default 800. */
  maxFrames: number;
  /**
   * Knowledge distillation: trained model directories (network + stats head, as served)
   * whose mean log-probabilities on every training clip version, softened by
   * `distillTemperature`, are a second target (distill.ts). Every teacher must have been
   * trained on the student's training speakers only. Default [] (none). In `npm run cv`,
   * `{fold}` in a path is the fold's index.
   */
  teachers: string[];
  /** Weight of the teachers' soft target against the label, [0, 1], default 0.5; used with teachers only. */
  distillWeight: number;
  /** Temperature of the soft target (and of the student's logits in that loss), [1, 10], default 2. */
  distillTemperature: number;
  /** Corpus description for the model card / meta. */
  dataDescription: string;
  /** No progress output (tests). */
  quiet: boolean;
}

export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, 'dataDir' | 'outDir' | 'id'> = {
  layout: 'auto',
  labels: null,
  arch: 'cnn-attn-lstm',
  hyper: {},
  trainSpeakers: null,
  valSpeakers: null,
  valFraction: 0.2,
  epochs: 60,
  patience: 25,
  batchSize: 16,
  learningRate: 0.003,
  minLearningRate: 0.0002,
  seed: 1,
  augment: DEFAULT_AUGMENT,
  cacheDir: '.cache/features',
  engine: 'auto',
  resume: false,
  keep: 'best',
  stopAfterEpoch: null,
  resetAfterSilenceFrames: 50,
  maxFrames: 800,
  teachers: [],
  distillWeight: 0.5,
  distillTemperature: 2,
  stepLossWeight: 0,
  masks: null,
  mixupAlpha: 0,
  numCoeffs: MFCC_CONFIG.numCoeffs,
  logFloor: MFCC_CONFIG.logFloor,
  pitch: false,
  dataDescription: '',
  quiet: false,
};

export function validateTrainConfig(c: TrainConfig): void {
  const intIn = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`expected ${name} an integer in [${lo}, ${hi}], got ${v}`);
  };
  intIn('epochs', c.epochs, 1, 10_000);
  intIn('patience', c.patience, 1, 10_000);
  intIn('batchSize', c.batchSize, 1, 256);
  intIn('resetAfterSilenceFrames', c.resetAfterSilenceFrames, 1, 100_000);
  intIn('maxFrames', c.maxFrames, 8, 100_000);
  intIn('numCoeffs (cepstra)', c.numCoeffs - (c.pitch ? PITCH_FEATURES : 0), 1, 40);
  if (!isLogFloor(c.logFloor)) throw new Error(`expected logFloor in (0, ${MAX_LOG_FLOOR.toExponential()}], got ${c.logFloor}`);
  if (!(c.learningRate > 0 && c.learningRate <= 0.1)) throw new Error(`expected learningRate in (0, 0.1], got ${c.learningRate}`);
  if (!(c.minLearningRate > 0 && c.minLearningRate <= c.learningRate)) {
    throw new Error(`expected minLearningRate in (0, ${c.learningRate}], got ${c.minLearningRate}`);
  }
  if (!(c.stepLossWeight >= 0 && c.stepLossWeight <= 1)) throw new Error(`expected stepLossWeight in [0, 1], got ${c.stepLossWeight}`);
  if (!(c.mixupAlpha >= 0 && c.mixupAlpha <= 10)) throw new Error(`expected mixupAlpha in [0, 10], got ${c.mixupAlpha}`);
  if (c.masks !== null) validateMasks(c.masks);
  if (!(c.distillWeight >= 0 && c.distillWeight <= 1)) throw new Error(`expected distillWeight in [0, 1], got ${c.distillWeight}`);
  if (!(c.distillTemperature >= 1 && c.distillTemperature <= 10)) throw new Error(`expected distillTemperature in [1, 10], got ${c.distillTemperature}`);
  if (c.teachers.length > 0 && c.mixupAlpha > 0) throw new Error('expected no mixup with teachers (a blended clip has no teacher answer), got mixup and teachers');
  if (c.keep !== 'best' && c.keep !== 'last') throw new Error(`expected keep 'best' or 'last', got ${String(c.keep)}`);
  if (!Number.isInteger(c.seed)) throw new Error(`expected an integer seed, got ${c.seed}`);
}

/**
 * Fingerprint of the settings that change what is learnt. Patience is left out so a
 * resumed run may be given more; `epochs` sets the learning-rate schedule, so it counts.
 */
export function configHash(c: TrainConfig): string {
  const { dataDir, layout, labels, arch, hyper, epochs, trainSpeakers, valSpeakers, valFraction, batchSize, learningRate, minLearningRate, seed, augment } = c;
  const { resetAfterSilenceFrames, maxFrames } = c;
  // Settings added after v1 enter the hash only when not at their v1 value, so v1 hashes hold.
  const added = {
    ...(c.stepLossWeight === 0 ? {} : { stepLossWeight: c.stepLossWeight }),
    ...(c.masks === null ? {} : { masks: c.masks }),
    ...(c.mixupAlpha === 0 ? {} : { mixupAlpha: c.mixupAlpha }),
    ...(c.numCoeffs === MFCC_CONFIG.numCoeffs ? {} : { numCoeffs: c.numCoeffs }),
    ...(c.logFloor === MFCC_CONFIG.logFloor ? {} : { logFloor: c.logFloor }),
    ...(c.pitch ? { pitch: true } : {}),
    ...(c.teachers.length === 0 ? {} : { teachers: c.teachers, distillWeight: c.distillWeight, distillTemperature: c.distillTemperature }),
  };
  return createHash('sha256')
    .update(JSON.stringify({ dataDir, layout, labels, arch, hyper, epochs, trainSpeakers, valSpeakers, valFraction, batchSize, learningRate, minLearningRate, seed, augment, resetAfterSilenceFrames, maxFrames, ...added }))
    .digest('hex')
    .slice(0, 16);
}

/** Cosine decay from learningRate (epoch 1) to minLearningRate (epoch `epochs`). */
export function learningRateAt(c: Pick<TrainConfig, 'learningRate' | 'minLearningRate' | 'epochs'>, epoch: number): number {
  const progress = c.epochs <= 1 ? 0 : Math.min(1, (epoch - 1) / (c.epochs - 1));
  return c.minLearningRate + 0.5 * (c.learningRate - c.minLearningRate) * (1 + Math.cos(Math.PI * progress));
}
