/**
 * ModelMeta: everything needed to run a saved model besides its weights, stored as
 * `meta.json` beside the weights. The streaming runner, the server's `ready` message and
 * the model card read it; nothing in it is inferred from the weights.
 */
import type { ArchName, Hyper } from './architectures/types.js';
import { anyNetworkHyper } from './architectures/ensemble.js';
import { hasStatsHead, STATS_PER_COEFF } from './architectures/stats_head.js';
import { validateSpeakerNorm, type SpeakerNormConfig } from './streaming/speaker_reference.js';
import { MFCC_CONFIG } from '../shared/dsp/mfcc.js';
import { PITCH_CONFIG, PITCH_FEATURES } from '../shared/dsp/pitch.js';
import { VOICED_GATE_CONFIG, type VoicedGateConfig } from '../shared/dsp/vad.js';

/**
 * The feature extractor the model was trained with (a copy of shared/dsp/mfcc.ts
 * MFCC_CONFIG at training time). Only `numCoeffs` and `hopMs` are read by models/; the rest
 * is kept so a mismatch with the running extractor can be detected.
 */
export interface FeatureConfigMeta {
  /** Values per frame, e.g. 20: the cepstral coefficients, then the pitch columns when `pitch`. */
  numCoeffs: number;
  // `pitch: true`: the last PITCH_FEATURES values of each row are the pitch stage's (shared/dsp/pitch.ts); absent = false.
  // `pitchConfig`: JSON of the PITCH_CONFIG it was trained with, checked against the server's.
  /** Frame hop, ms, e.g. 10. */
  hopMs: number;
  [key: string]: number | string | boolean;
}

/** Per-coefficient normalisation applied to raw MFCC: (x - mean) / std. */
export interface FeatureNorm {
  /** numCoeffs values. */
  mean: number[];
  /** numCoeffs values, each > 0. */
  std: number[];
}

export interface TrainingMeta {
  /** Corpus name and where it came from, e.g. "RAVDESS speech (Zenodo 1188976)". */
  data: string;
  trainActors: number[];
  valActors: number[];
  testActors?: number[];
  epochs: number;
  seed: number;
  /** Free-form description of the augmentation (noise SNR range, gain, speed …). */
  augmentation?: Record<string, number | string | boolean | number[]>;
  [key: string]: unknown;
}

export interface ModelMeta {
  /** Stable id shown to clients, e.g. "ravdess-cnn-attn-lstm-v1". */
  id: string;
  /** Class names in the order of the model's outputs. */
  labels: string[];
  /** Sample rate the features are computed at, Hz (16000). */
  sampleRateHz: number;
  featureConfig: FeatureConfigMeta;
  norm: FeatureNorm;
  arch: ArchName;
  hyper: Hyper;
  /** Feature frames per model step (the total time down-sampling of the network), ≥ 1. */
  stepFrames: number;
  /** Steps pooled by the attention head (the rolling window), ≥ 1. */
  windowSteps: number;
  /** Consecutive unvoiced frames after which a stream's state is reset, ≥ 1. */
  resetAfterSilenceFrames: number;
  /**
   * Segment cap (models/streaming/segment.ts): a voiced frame after this many fed frames of
   * one segment starts a new one, ≥ 1. Absent: a segment lasts until a pause.
   */
  maxSegmentFrames?: number;
  training?: TrainingMeta;
  /**
   * Temperature scaling already applied to the output layer's weights (models/eval/calibrate.ts):
   * the logits are the trained ones divided by `temperature`. Absent: as trained.
   */
  calibration?: { temperature: number; method: string; fittedOn: string };
  /**
   * The stats head reads each segment's statistics relative to the stream's earlier segments
   * (models/streaming/speaker_reference.ts). Absent: every segment is read on its own.
   */
  speakerNorm?: SpeakerNormConfig;
  /** Validation / test metrics, e.g. { valAccuracy: 0.61, valMacroF1: 0.58 }. */
  metrics?: Record<string, number | string | number[] | number[][]>;
}

function expectPositiveInt(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`meta.${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
}

/** Throws "expected X, got Y" when `meta` is not self-consistent. */
export function validateMeta(meta: ModelMeta): void {
  if (typeof meta.id !== 'string' || meta.id === '') {
    throw new Error(`meta.id: expected a non-empty string, got ${JSON.stringify(meta.id)}`);
  }
  if (!Array.isArray(meta.labels) || meta.labels.length < 2) {
    throw new Error(`meta.labels: expected at least 2 labels, got ${JSON.stringify(meta.labels)}`);
  }
  expectPositiveInt('sampleRateHz', meta.sampleRateHz);
  expectPositiveInt('featureConfig.numCoeffs', meta.featureConfig?.numCoeffs);
  expectPositiveInt('stepFrames', meta.stepFrames);
  expectPositiveInt('windowSteps', meta.windowSteps);
  expectPositiveInt('resetAfterSilenceFrames', meta.resetAfterSilenceFrames);
  if (meta.maxSegmentFrames !== undefined) expectPositiveInt('maxSegmentFrames', meta.maxSegmentFrames);
  const f = meta.featureConfig.numCoeffs;
  if (meta.norm?.mean?.length !== f || meta.norm?.std?.length !== f) {
    throw new Error(
      `meta.norm: expected mean and std of length ${f}, got ${meta.norm?.mean?.length} and ${meta.norm?.std?.length}`,
    );
  }
  const badStd = meta.norm.std.find((s) => !(s > 0));
  if (badStd !== undefined) throw new Error(`meta.norm.std: expected values > 0, got ${badStd}`);
  checkFeatureExtractor(meta.featureConfig);
  if (meta.speakerNorm !== undefined) {
    if (!anyNetworkHyper(meta.arch, meta.hyper, hasStatsHead)) throw new Error('meta.speakerNorm: expected a model with a stats head (hyper.statsHead 1), got none');
    validateSpeakerNorm(meta.speakerNorm, STATS_PER_COEFF * f);
  }
}

/** Largest floor under the mel powers a model may set (far above any silence, far below speech). */
export const MAX_LOG_FLOOR = 1e-3;

/** A floor under the mel powers a model may set: (0, MAX_LOG_FLOOR]. */
export function isLogFloor(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_LOG_FLOOR;
}

/**
 * The server computes one extractor (MFCC_CONFIG) and only the coefficient count and the
 * log floor follow the model, so any other setting recorded in meta must equal today's, or
 * the model would be served features it was not trained on.
 */
export function checkFeatureExtractor(featureConfig: FeatureConfigMeta): void {
  const pitch = featureConfig.pitch;
  if (pitch !== undefined && typeof pitch !== 'boolean') throw new Error(`meta.featureConfig.pitch: expected a boolean, got ${String(pitch)}`);
  if (pitch === true && featureConfig.numCoeffs <= PITCH_FEATURES) {
    throw new Error(`meta.featureConfig.numCoeffs: expected more than the ${PITCH_FEATURES} pitch columns, got ${featureConfig.numCoeffs}`);
  }
  const pitchConfig = featureConfig['pitchConfig'];
  if (pitch === true && pitchConfig !== undefined && pitchConfig !== JSON.stringify(PITCH_CONFIG)) {
    throw new Error(`meta.featureConfig.pitchConfig: expected ${JSON.stringify(PITCH_CONFIG)} (the server's pitch stage), got ${String(pitchConfig)}`);
  }
  if (featureConfig.numCoeffs - (pitch === true ? PITCH_FEATURES : 0) > MFCC_CONFIG.numMelBins) {
    throw new Error(`meta.featureConfig.numCoeffs: expected 1…${MFCC_CONFIG.numMelBins} (the mel bands), got ${featureConfig.numCoeffs}`);
  }
  const expectedHopMs = (1000 * MFCC_CONFIG.hopSamples) / MFCC_CONFIG.sampleRateHz;
  if (featureConfig.hopMs !== expectedHopMs) throw new Error(`meta.featureConfig.hopMs: expected ${expectedHopMs}, got ${featureConfig.hopMs}`);
  const logFloor = featureConfig.logFloor;
  if (logFloor !== undefined && !isLogFloor(logFloor)) throw new Error(`meta.featureConfig.logFloor: expected a number in (0, ${MAX_LOG_FLOOR.toExponential()}], got ${String(logFloor)}`);
  for (const [key, value] of Object.entries(MFCC_CONFIG)) {
    if (key === 'numCoeffs' || key === 'logFloor' || featureConfig[key] === undefined) continue;
    if (featureConfig[key] !== value) throw new Error(`meta.featureConfig.${key}: expected ${value} (the server's extractor), got ${featureConfig[key]}`);
  }
}

/**
 * The feature settings that follow the model, as the feature chain and loadFeatures take
 * them: its coefficient count and its floor under the mel powers (MFCC_CONFIG's when absent).
 */
export function featureSettingsOf(meta: Pick<ModelMeta, 'featureConfig'>): { numCoeffs: number; logFloor: number; pitch: boolean } {
  const logFloor = meta.featureConfig.logFloor;
  return { numCoeffs: meta.featureConfig.numCoeffs, logFloor: typeof logFloor === 'number' ? logFloor : MFCC_CONFIG.logFloor, pitch: meta.featureConfig.pitch === true };
}

/** 1 / std per coefficient, computed the one way both offline and streaming use. */
export function inverseStd(norm: FeatureNorm): Float64Array {
  return Float64Array.from(norm.std, (s) => 1 / s);
}

/**
 * Writes `rows` normalised rows from src (raw MFCC, row-major) into dst. Offline and
 * streaming both go through here so their inputs are bit-identical.
 */
export function normalizeInto(
  src: Float32Array,
  srcRow: number,
  dst: Float32Array,
  dstRow: number,
  rows: number,
  mean: ArrayLike<number>,
  invStd: Float64Array,
): void {
  const f = invStd.length;
  for (let r = 0; r < rows; r++) {
    const si = (srcRow + r) * f;
    const di = (dstRow + r) * f;
    for (let j = 0; j < f; j++) dst[di + j] = (src[si + j]! - mean[j]!) * invStd[j]!;
  }
}

/** Normalises raw MFCC rows (n × numCoeffs, row-major) into a new array. */
export function normalizeFrames(frames: Float32Array, norm: FeatureNorm): Float32Array {
  const f = norm.mean.length;
  if (frames.length % f !== 0) {
    throw new Error(`expected a multiple of ${f} values (rows of numCoeffs), got ${frames.length}`);
  }
  const out = new Float32Array(frames.length);
  normalizeInto(frames, 0, out, 0, frames.length / f, norm.mean, inverseStd(norm));
  return out;
}

/**
 * The VoicedGate a model was trained with (meta.training.voicedGate, recorded by every
 * training run), so the server gates its streams exactly as training cut its clips; models
 * without the record get today's default. A model trained with another gate (v1: −55 dBFS
 * floor) is therefore still served as it was trained.
 */
export function voicedGateOf(meta: Pick<ModelMeta, 'training'>): VoicedGateConfig {
  const recorded = meta.training?.['voicedGate'];
  const config: VoicedGateConfig = { ...VOICED_GATE_CONFIG };
  if (recorded !== null && typeof recorded === 'object' && !Array.isArray(recorded)) {
    for (const key of Object.keys(VOICED_GATE_CONFIG) as (keyof VoicedGateConfig)[]) {
      const value = (recorded as Record<string, unknown>)[key];
      if (typeof value === 'number' && Number.isFinite(value)) config[key] = value;
    }
  }
  return config;
}

/** Everything a model's features depend on besides the input: coefficients, floor and gate — what the server's chain gets. */
export function featureOptionsOf(meta: Pick<ModelMeta, 'featureConfig' | 'training'>): { numCoeffs: number; logFloor: number; pitch: boolean; voicedGate: VoicedGateConfig } {
  return { ...featureSettingsOf(meta), voicedGate: voicedGateOf(meta) };
}

/**
 * Whether a model was trained as a narrowband model (`npm run train -- --narrowband`: every
 * clip version a telephone call), to be served to 8 kHz streams only — and so calibrated
 * and scored offline on telephone clips.
 */
export function isNarrowband(meta: Pick<ModelMeta, 'training'>): boolean {
  const augmentation = meta.training?.['augmentation'];
  return augmentation !== null && typeof augmentation === 'object' && (augmentation as { narrowband?: unknown }).narrowband === true;
}

/** Training span when meta.training.span.maxFrames is absent (models/train/train_config.ts default). */
export const DEFAULT_SPAN_FRAMES = 800;

/** meta.training.span.maxFrames (or the default), rounded down to whole steps, ≥ 1 step. */
export function windowSpanFrames(meta: Pick<ModelMeta, 'stepFrames' | 'training'>): number {
  const span = meta.training?.['span'] as { maxFrames?: unknown } | undefined;
  const maxFrames = typeof span?.maxFrames === 'number' && span.maxFrames > 0 ? span.maxFrames : DEFAULT_SPAN_FRAMES;
  return Math.max(1, Math.floor(maxFrames / meta.stepFrames)) * meta.stepFrames;
}
