/**
 * meta.json of a trained model: everything needed to run it (labels, feature config,
 * normalisation, architecture) and to judge it (data, split, augmentation, epochs, seed,
 * validation metrics).
 */
import { isAbsolute, relative } from 'node:path';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { PITCH_CONFIG } from '../../shared/dsp/pitch.js';
import { VOICED_GATE_CONFIG } from '../../shared/dsp/vad.js';
import { stepFramesOf, windowStepsOf, type Model } from '../architectures/index.js';
import type { ModelMeta } from '../meta.js';
import type { TrainState } from './checkpoint.js';
import { featureCodeHash } from './feature_cache.js';
import type { Metrics } from './metrics.js';
import type { TrainConfig } from './train_config.js';
import type { TrainData } from './train_data.js';

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** A path as the record keeps it: relative to the working directory (the checkout) when inside it, so the record reads the same in every clone; otherwise as given. */
export function recordedPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Numeric actor ids for meta.training ("01" → 1); names that are not numbers are kept elsewhere. */
function actorNumbers(speakers: readonly string[]): number[] {
  return speakers.filter((s) => /^\d+$/.test(s)).map((s) => Number.parseInt(s, 10));
}

export function buildMeta(args: {
  config: TrainConfig;
  model: Model;
  data: TrainData;
  weightsPerClass: Float32Array;
  state: TrainState;
  /** null: trained on every speaker, nothing held out. */
  valMetrics: Metrics | null;
}): ModelMeta {
  const { config, model, data, state, valMetrics } = args;
  const augmentation: Record<string, number | string | boolean | number[]> =
    config.augment === null ? { enabled: false } : { enabled: true, ...config.augment };
  return {
    id: config.id,
    labels: data.dataset.labels,
    sampleRateHz: MFCC_CONFIG.sampleRateHz,
    featureConfig: {
      ...MFCC_CONFIG,
      numCoeffs: config.numCoeffs,
      logFloor: config.logFloor,
      ...(config.pitch ? { pitch: true, pitchConfig: JSON.stringify(PITCH_CONFIG) } : {}),
      hopMs: (1000 * MFCC_CONFIG.hopSamples) / MFCC_CONFIG.sampleRateHz,
      frameMs: (1000 * MFCC_CONFIG.frameSamples) / MFCC_CONFIG.sampleRateHz,
      featureCodeHash: featureCodeHash().slice(0, 16),
    },
    norm: data.norm,
    arch: model.arch,
    hyper: model.hyper,
    stepFrames: stepFramesOf(model),
    windowSteps: windowStepsOf(model),
    resetAfterSilenceFrames: config.resetAfterSilenceFrames,
    training: {
      data: config.dataDescription || `${data.dataset.layout} dataset at ${config.dataDir}`,
      layout: data.dataset.layout,
      trainActors: actorNumbers(data.split.trainSpeakers),
      valActors: actorNumbers(data.split.valSpeakers),
      trainSpeakers: data.split.trainSpeakers,
      valSpeakers: data.split.valSpeakers,
      split: 'speaker-independent (by actor/speaker), never by clip',
      trainClips: data.split.train.length,
      valClips: data.split.val.length,
      skippedFiles: data.skipped.map((s) => s.relPath),
      epochs: state.epoch,
      bestEpoch: state.bestEpoch,
      keptEpoch: config.keep === 'last' ? state.epoch : state.bestEpoch,
      kept: config.keep,
      seed: config.seed,
      batchSize: config.batchSize,
      optimizer: `adam, lr ${config.learningRate} → ${config.minLearningRate} cosine over ${config.epochs} epochs; grad clip norm 5`,
      earlyStopping: config.keep === 'last' ? 'none (fixed epochs, last weights kept)' : `validation UAR, patience ${config.patience}`,
      stepLossWeight: config.stepLossWeight,
      masks: config.masks,
      mixupAlpha: config.mixupAlpha,
      ...(config.teachers.length === 0 ? {} : { distill: { teachers: config.teachers.map((t) => recordedPath(t)), weight: config.distillWeight, temperature: config.distillTemperature } }),
      classWeights: Array.from(args.weightsPerClass, round4),
      augmentation,
      span: { rule: 'final segment as models/streaming/segment.ts cuts it; random trailing silence in training', maxFrames: config.maxFrames },
      voicedGate: { ...VOICED_GATE_CONFIG },
      history: state.history.map((h) => ({ epoch: h.epoch, loss: round4(h.loss), valUar: round4(h.valUar) })),
    },
    metrics:
      valMetrics === null
        ? {}
        : {
            valAccuracy: round4(valMetrics.accuracy),
            valUar: round4(valMetrics.uar),
            valMacroF1: round4(valMetrics.macroF1),
            valConfusion: valMetrics.confusion,
          },
  };
}
