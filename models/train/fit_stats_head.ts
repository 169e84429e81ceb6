/**
 * `npm run fit-stats-head -- --data <dir> --cv <cv dir> --out-cv <dir>` (every fold) or
 * `... --data <dir> --model <dir> --model-out <dir> [--id <new id>]` (one model);
 * `--hidden <units>` gives the head one ReLU layer (default 0: linear);
 * `--speaker-norm <n0>` fits a head that reads each segment relative to the stream's earlier
 * ones (meta.speakerNorm, models/streaming/speaker_reference.ts; n0 = 8 is the recipe);
 * `--prefixes <k>` adds k cuts of each clip version part-way through its segment (what a
 * live hop's head reads before the utterance ends), labelled with the clip's label;
 * `--prefix-weight <w>` weighs each cut's loss w against a whole clip's 1 (default 1);
 * `--count` lets the head read how many voiced frames its statistics cover (hyper statsCount)
 *
 * Adds a fitted stats head (models/architectures/stats_head.ts) to trained, uncalibrated
 * cnn-attn-lstm models. Each model's head is fitted on that model's own training speakers
 * (meta.training.trainSpeakers) and the same clip versions it was trained on (its recorded
 * augmentation and seed; features from the cache), so a CV fold's head never sees its
 * held-out actors. The network is copied unchanged. Calibrate afterwards (`npm run
 * calibrate`), then score with `npm run evaluate -- --cv <out-cv>` like any CV run.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { hasStatsHead, STATS_PER_COEFF } from '../architectures/stats_head.js';
import { selectEngine } from '../engine.js';
import { loadModel, saveModel, type LoadedModel } from '../io.js';
import { featureOptionsOf, type ModelMeta } from '../meta.js';
import { foldDirs } from './cv_dirs.js';
import type { AugmentConfig } from './augment.js';
import { scanDataset } from './dataset.js';
import { loadFeatures, type FeatureItem, type SkippedFile } from './load_features.js';
import { spanOfMeta, type SpanConfig } from './examples.js';
import { Prng } from './prng.js';
import { clipPrefixStats, clipUtteranceStats, DEFAULT_STATS_HEAD_FIT, fitStatsHead, type StatsHeadFitConfig } from './stats_head_fit.js';
import { channelStats, HISTORY_DRAWS_PER_CLIP, HISTORY_SIZES, speakerNormConfig, speakerNormExamples, type ChannelStats } from './speaker_norm_fit.js';
import type { SpeakerNormConfig } from '../streaming/speaker_reference.js';

function trainingField<T>(meta: ModelMeta, name: string): T {
  const value = meta.training?.[name] as T | undefined;
  if (value === undefined) throw new Error(`${meta.id}: expected training.${name} in meta.json, got none`);
  return value;
}

/**
 * The clip versions a model was trained on (its training speakers, recorded augmentation and
 * seed; features from the cache) and its span rule: what its stats head is fitted on.
 */
export function headTrainingItems(meta: ModelMeta, dataDir: string, cacheDir: string | null): { items: FeatureItem[]; skipped: SkippedFile[]; span: SpanConfig; speakers: string[] } {
  const speakers = trainingField<string[]>(meta, 'trainSpeakers');
  const { enabled, ...augment } = trainingField<AugmentConfig & { enabled: boolean }>(meta, 'augmentation');
  const clips = scanDataset(dataDir, { layout: 'auto', labels: meta.labels }).clips.filter((c) => c.speaker !== null && speakers.includes(c.speaker));
  const { items, skipped } = loadFeatures(clips, {
    labels: meta.labels,
    augment: enabled ? augment : null,
    seed: trainingField<number>(meta, 'seed'),
    cacheDir,
    ...featureOptionsOf(meta),
  });
  trainingField(meta, 'span'); // a model without its training span record is refused, as before spanOfMeta
  return { items, skipped, span: spanOfMeta(meta), speakers };
}

/** Fits the head of one model on its own training clips and writes the model with it to `outDir`. */
export async function addStatsHead(
  model: LoadedModel,
  options: {
    dataDir: string;
    cacheDir: string | null;
    outDir: string;
    log: (msg: string) => void;
    id?: string;
    fit: StatsHeadFitConfig;
    /** n0 of a speaker reference (speaker_norm_fit.ts); null: a plain head. */
    speakerNormPrior?: number | null;
    /** Part-way cuts per clip version added to the plain examples (clipPrefixStats); default 0. */
    prefixesPerVersion?: number;
    /** The head reads the count feature (hyper statsCount); default false. */
    count?: boolean;
    /** Loss weight of each part-way cut against a whole clip's 1; default 1. */
    prefixWeight?: number;
  },
): Promise<void> {
  const { dataDir, cacheDir, outDir, log, id, fit: config } = options;
  const { meta } = model;
  if (meta.arch !== 'cnn-attn-lstm') throw new Error(`${meta.id}: expected a cnn-attn-lstm model, got ${meta.arch}`);
  if (hasStatsHead(meta.hyper)) throw new Error(`${meta.id}: expected a model without a stats head, got one with`);
  // The head's logits are added to the network's; a temperature must be fitted on the sum.
  if (meta.calibration !== undefined) throw new Error(`${meta.id}: expected an uncalibrated model (calibrate after fitting), got T = ${meta.calibration.temperature}`);
  const { items, skipped, span, speakers } = headTrainingItems(meta, dataDir, cacheDir);
  const count = options.count ?? false;
  let xs = items.flatMap((it) => it.versions.map((v) => clipUtteranceStats(v, meta.norm, span, count)));
  let ys = items.flatMap((it) => it.versions.map(() => it.labelIdx));
  const prefixes = options.prefixesPerVersion ?? 0;
  if (!Number.isInteger(prefixes) || prefixes < 0) throw new Error(`prefixes: expected an integer ≥ 0, got ${prefixes}`);
  const prefixWeight = options.prefixWeight ?? 1;
  if (!(prefixWeight > 0)) throw new Error(`prefix weight: expected > 0, got ${prefixWeight}`);
  const plainCount = xs.length;
  if (prefixes > 0) {
    const prng = new Prng(trainingField<number>(meta, 'seed') + 2);
    for (const it of items) {
      for (const v of it.versions) {
        for (const x of clipPrefixStats(v, meta.norm, span, prefixes, prng, count)) {
          xs.push(x);
          ys.push(it.labelIdx);
        }
      }
    }
  }
  const prefixCount = xs.length - plainCount;
  const prior = options.speakerNormPrior ?? null;
  const speaker = prior === null ? null : speakerNormOf(meta, items, { dataDir, cacheDir, span, prior, count, plain: xs.map((x, i) => ({ x, y: ys[i]! })) });
  if (speaker !== null) ({ xs, ys } = speaker);
  // The cuts sit right after the plain examples (speakerNormOf keeps those first, cuts included).
  const weights = prefixWeight === 1 ? undefined : xs.map((_, i) => (i >= plainCount && i < plainCount + prefixCount ? prefixWeight : 1));
  const fit = fitStatsHead(xs, ys, meta.labels.length, config, weights);
  log(
    `${meta.id}: stats head fitted on ${xs.length} examples: ${items.length} clips × versions (${speakers.length} speakers; ${skipped.length} skipped)` +
      (prefixes === 0 ? '' : `, ${prefixCount} of them cut part-way (${prefixes} per version, weight ${prefixWeight})`) +
      (speaker === null ? '' : `, ${speaker.withHistory} of them re-referenced to a history of the speaker (n0 ${prior})`),
  );
  const dim = xs[0]!.length;
  const classes = meta.labels.length;
  const head: Record<string, tf.Tensor> = { 'stats.w': tf.tensor2d(fit.w, [config.hidden > 0 ? config.hidden : dim, classes]), 'stats.b': tf.tensor1d(fit.b) };
  if (fit.w1 !== null && fit.b1 !== null) {
    head['stats.w1'] = tf.tensor2d(fit.w1, [dim, config.hidden]);
    head['stats.b1'] = tf.tensor1d(fit.b1);
  }
  const hyper = { ...meta.hyper, statsHead: 1, ...(config.hidden > 0 ? { statsHidden: config.hidden } : {}), ...(count ? { statsCount: 1 } : {}) };
  if (meta.training === undefined) throw new Error(`${meta.id}: expected a training record in meta.json, got none`);
  const out: ModelMeta = {
    ...meta,
    id: id ?? `${meta.id}-stats`,
    hyper,
    training: {
      ...meta.training,
      statsHead: {
        ...config,
        examples: xs.length,
        clips: items.length,
        speakers,
        ...(prefixes === 0 ? {} : { prefixesPerVersion: prefixes, prefixWeight }),
        ...(speaker === null ? {} : { speakerNorm: { historySizes: HISTORY_SIZES, drawsPerClip: HISTORY_DRAWS_PER_CLIP, examplesWithHistory: speaker.withHistory } }),
      },
    },
    ...(speaker === null ? {} : { speakerNorm: speaker.config }),
  };
  try {
    await saveModel(outDir, out, { ...model.params, ...head });
  } finally {
    tf.dispose(Object.values(head));
  }
}

/**
 * The speaker-referenced head's examples (speaker_norm_fit.ts): the plain ones plus each
 * training clip's wideband and telephone original with histories of the same speaker.
 */
function speakerNormOf(
  meta: ModelMeta,
  items: readonly FeatureItem[],
  o: { dataDir: string; cacheDir: string | null; span: SpanConfig; prior: number; count: boolean; plain: { x: Float64Array; y: number }[] },
): { xs: Float64Array[]; ys: number[]; withHistory: number; config: SpeakerNormConfig } {
  const telephone = loadFeatures(items.map((it) => it.clip), {
    labels: meta.labels,
    augment: null,
    seed: 0,
    cacheDir: o.cacheDir,
    telephone: true,
    ...featureOptionsOf(meta),
  }).items;
  const channel = (list: readonly FeatureItem[]): ChannelStats =>
    channelStats(list.map((it) => ({ u: clipUtteranceStats(it.versions[0]!, meta.norm, o.span, o.count), y: it.labelIdx, speaker: it.clip.speaker ?? '?' })));
  const channels = [channel(items), channel(telephone)];
  const config = speakerNormConfig(channels, o.prior, undefined, STATS_PER_COEFF * meta.featureConfig.numCoeffs);
  return { ...speakerNormExamples(o.plain, channels, config, trainingField<number>(meta, 'seed') + 1), config };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      cv: { type: 'string' },
      'out-cv': { type: 'string' },
      model: { type: 'string' },
      'model-out': { type: 'string' },
      id: { type: 'string' },
      hidden: { type: 'string' },
      'speaker-norm': { type: 'string' },
      prefixes: { type: 'string' },
      count: { type: 'boolean' },
      'prefix-weight': { type: 'string' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  const jobs: { dir: string; out: string; id?: string }[] = [];
  if (values.cv !== undefined && values['out-cv'] !== undefined) {
    for (const fold of foldDirs(resolve(values.cv))) jobs.push({ dir: fold.dir, out: join(resolve(values['out-cv']), `fold${fold.index}`) });
  }
  if (values.model !== undefined && values['model-out'] !== undefined) jobs.push({ dir: resolve(values.model), out: resolve(values['model-out']), ...(values.id === undefined ? {} : { id: values.id }) });
  if (values.help === true || values.data === undefined || jobs.length === 0) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    if (values.help !== true) process.exitCode = 1;
    return;
  }
  await selectEngine();
  if (values.cv !== undefined && values['out-cv'] !== undefined) {
    mkdirSync(resolve(values['out-cv']), { recursive: true });
    const recipe = join(resolve(values.cv), 'recipe.json');
    if (existsSync(recipe)) copyFileSync(recipe, join(resolve(values['out-cv']), 'recipe.json'));
  }
  for (const job of jobs) {
    const model = await loadModel(job.dir);
    try {
      await addStatsHead(model, {
        dataDir: resolve(values.data),
        cacheDir: resolve(values['cache-dir'] ?? '.cache/features'),
        outDir: job.out,
        log: console.log,
        ...(job.id === undefined ? {} : { id: job.id }),
        fit: { ...DEFAULT_STATS_HEAD_FIT, hidden: values.hidden === undefined ? DEFAULT_STATS_HEAD_FIT.hidden : Number(values.hidden) },
        speakerNormPrior: values['speaker-norm'] === undefined ? null : Number(values['speaker-norm']),
        prefixesPerVersion: values.prefixes === undefined ? 0 : Number(values.prefixes),
        count: values.count === true,
        prefixWeight: values['prefix-weight'] === undefined ? 1 : Number(values['prefix-weight']),
      });
    } finally {
      model.dispose();
    }
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
