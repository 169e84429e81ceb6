/**
 * What two models must share to be fed by one feature pipeline: the same frames, the same
 * step grid, the same utterance rule and voiced gate, the same labels. The server's
 * narrowband model (served to 8 kHz streams beside the main one) must share these with the
 * main model; an ensemble's members share them and more (models/train/ensemble.ts).
 */
import type { FeatureConfigMeta, ModelMeta } from './meta.js';

/**
 * The frame settings without `featureCodeHash`: that hash records the version of the
 * training's feature and augmentation code (models/train/feature_cache.ts), which changes
 * with code no served stream runs (an augmentation, an encoder), so two models trained a
 * commit apart share one pipeline all the same.
 */
export function servedFeatureConfig(config: FeatureConfigMeta): Omit<FeatureConfigMeta, 'featureCodeHash'> {
  const { featureCodeHash: _trainingCode, ...served } = config;
  return served;
}

/** One shared field: its name in messages and how to read it from a meta. */
export type ContractField = readonly [name: string, read: (meta: ModelMeta) => unknown];

/** The fields a shared feature pipeline (server/workers/shard.ts) reads from the model. */
export const PIPELINE_CONTRACT: readonly ContractField[] = [
  ['labels', (m) => m.labels],
  ['sampleRateHz', (m) => m.sampleRateHz],
  ['featureConfig', (m) => servedFeatureConfig(m.featureConfig)],
  ['stepFrames', (m) => m.stepFrames],
  ['resetAfterSilenceFrames', (m) => m.resetAfterSilenceFrames],
  ['maxSegmentFrames', (m) => m.maxSegmentFrames],
  ['training.voicedGate', (m) => m.training?.['voicedGate']],
];

/** The first field of `fields` on which `meta` differs from `reference`; null when none does. */
export function contractMismatch(meta: ModelMeta, reference: ModelMeta, fields: readonly ContractField[]): string | null {
  for (const [name, read] of fields) {
    if (JSON.stringify(read(meta)) !== JSON.stringify(read(reference))) return name;
  }
  return null;
}
