/**
 * Data preparation for a training run: scan, speaker-independent split, features (with
 * augmented copies for the training split only), normalisation statistics from the
 * training originals, and normalised examples.
 */
import type { FeatureNorm } from '../meta.js';
import type { Example } from './batching.js';
import { scanDataset, type ClipRef, type ScannedDataset } from './dataset.js';
import { computeNormStats, toExample, type SpanConfig } from './examples.js';
import { loadFeatures, type SkippedFile } from './load_features.js';
import { DEFAULT_TRAIN_ACTORS, DEFAULT_VAL_ACTORS, parseSpeakerList, splitByFraction, splitBySpeakers, type Split } from './split.js';
import type { TrainConfig } from './train_config.js';

export interface TrainData {
  dataset: ScannedDataset;
  split: Split;
  norm: FeatureNorm;
  /** Per training clip: its versions (index 0 = original) as examples. */
  train: Example[][];
  /** The clip of each entry of `train` (unreadable clips are skipped, so not split.train). */
  trainClips: ClipRef[];
  /** Validation originals. */
  val: Example[];
  skipped: SkippedFile[];
  /** Total training examples including augmented copies. */
  trainVersions: number;
}

/** RAVDESS: explicit or default actor lists. Generic: explicit lists, else a speaker fraction. */
export function chooseSplit(dataset: ScannedDataset, config: TrainConfig): Split {
  const { clips } = dataset;
  if (config.valSpeakers !== null || dataset.layout === 'ravdess') {
    const val = config.valSpeakers ?? parseSpeakerList(DEFAULT_VAL_ACTORS);
    let train = config.trainSpeakers;
    if (train === null) {
      train =
        dataset.layout === 'ravdess' && config.valSpeakers === null
          ? parseSpeakerList(DEFAULT_TRAIN_ACTORS)
          : [...new Set(clips.map((c) => c.speaker).filter((s): s is string => s !== null && !val.includes(s)))];
    }
    if (val.length === 0) {
      const trainSet = new Set(train);
      return { train: clips.filter((c) => c.speaker !== null && trainSet.has(c.speaker)), val: [], trainSpeakers: [...trainSet], valSpeakers: [], speakerUnknown: false };
    }
    return splitBySpeakers(clips, train, val);
  }
  return splitByFraction(clips, config.valFraction);
}

export function prepareTrainData(
  config: TrainConfig,
  span: SpanConfig,
  log: (msg: string, fields?: Record<string, unknown>) => void,
): TrainData {
  const dataset = scanDataset(config.dataDir, config.labels === null ? { layout: config.layout } : { layout: config.layout, labels: config.labels });
  const split = chooseSplit(dataset, config);
  if (split.speakerUnknown) {
    log('warning: some files carry no speaker id (name them <speaker>_<anything>.wav); each counts as its own speaker, so speaker independence is not guaranteed');
  }
  log('split', {
    layout: dataset.layout,
    labels: dataset.labels,
    trainClips: split.train.length,
    valClips: split.val.length,
    trainSpeakers: split.trainSpeakers,
    valSpeakers: split.valSpeakers,
  });
  const progressEvery = Math.max(1, Math.floor(split.train.length / 10));
  const trainLoaded = loadFeatures(split.train, {
    labels: dataset.labels,
    augment: config.augment,
    seed: config.seed,
    cacheDir: config.cacheDir,
    numCoeffs: config.numCoeffs,
    logFloor: config.logFloor,
    pitch: config.pitch,
    onClip: (done, total) => {
      if (done % progressEvery === 0 || done === total) log(`features (train, ${1 + (config.augment?.copies ?? 0)} versions per clip): ${done}/${total}`);
    },
  });
  // A narrowband model is validated on calls, the only audio it will be served.
  const telephone = config.augment?.narrowband === true;
  const valLoaded = loadFeatures(split.val, { labels: dataset.labels, augment: null, seed: config.seed, cacheDir: config.cacheDir, numCoeffs: config.numCoeffs, logFloor: config.logFloor, pitch: config.pitch, telephone });
  const skipped = [...trainLoaded.skipped, ...valLoaded.skipped];
  if (skipped.length > 0) {
    log(`skipped ${skipped.length} unreadable, corrupt or empty file(s)`, { skipped });
  }
  if (trainLoaded.items.length === 0 || (split.val.length > 0 && valLoaded.items.length === 0)) {
    throw new Error(`expected readable clips in both splits, got ${trainLoaded.items.length} train and ${valLoaded.items.length} validation`);
  }
  const norm = computeNormStats(trainLoaded.items.map((it) => it.versions[0]!), span);
  const train = trainLoaded.items.map((it) => it.versions.map((v) => toExample(v, it.labelIdx, norm, span)));
  const val = valLoaded.items.map((it) => toExample(it.versions[0]!, it.labelIdx, norm, span));
  const trainClips = trainLoaded.items.map((it) => it.clip);
  return { dataset, split, norm, train, trainClips, val, skipped, trainVersions: train.reduce((s, v) => s + v.length, 0) };
}
