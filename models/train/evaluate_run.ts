/**
 * Evaluation of a saved model on labelled clips, in two modes:
 * - offline: the final utterance of each clip through forward() at once (what training
 *   validated; for cnn-attn-lstm equal to predictOffline / the final streaming result);
 * - streaming: the incremental server path chunk by chunk (eval_streaming.ts).
 * `telephone` degrades every clip to an 8 kHz μ-law call first (the augmentation's function).
 */
import type { LoadedModel } from '../io.js';
import { featureOptionsOf } from '../meta.js';
import { scanDataset, type ClipRef, type Layout } from './dataset.js';
import { spanOfMeta, toExample } from './examples.js';
import { CHUNK_MS_RANGE, predictStreaming } from './eval_streaming.js';
import { loadFeatures, type FeatureItem, type SkippedFile } from './load_features.js';
import { argmax, computeMetrics, type Metrics } from './metrics.js';
import { predictExamples } from './train_step.js';

export interface EvaluateOptions {
  dataDir: string;
  layout: Layout;
  /** Speakers to evaluate; null = all clips. */
  speakers: string[] | null;
  telephone: boolean;
  modes: ('offline' | 'streaming')[];
  cacheDir: string | null;
  /** Seed of the streaming chunk sizes. */
  seed: number;
  log: (msg: string) => void;
}

export interface EvaluateResult {
  model: string;
  arch: string;
  data: string;
  speakers: string[] | 'all';
  telephone: boolean;
  clips: number;
  skipped: SkippedFile[];
  /** Speakers evaluated that the model was trained on (should be empty). */
  trainSpeakerOverlap: string[];
  offline?: Metrics;
  streaming?: Metrics & { noResult: number; chunkMs: [number, number] };
  /** Why a mode was not run. */
  notRun: Record<string, string>;
  /** Per clip: file, true label, predicted label per mode (null: no result). */
  predictions: { clip: string; label: string; offline?: string; streaming?: string | null }[];
}

/** Features of `clips` as this model was trained on them: its gate and coefficient count, originals only. */
export function loadEvalFeatures(
  model: LoadedModel,
  clips: readonly ClipRef[],
  options: Pick<EvaluateOptions, 'cacheDir' | 'telephone'>,
): { items: FeatureItem[]; skipped: SkippedFile[] } {
  const { meta } = model;
  return loadFeatures(clips, {
    labels: meta.labels,
    augment: null,
    seed: 0,
    cacheDir: options.cacheDir,
    telephone: options.telephone,
    ...featureOptionsOf(meta),
  });
}

/** Class probabilities of each clip's final utterance through forward() at once. */
export function offlineProbabilities(model: LoadedModel, items: readonly FeatureItem[]): Float32Array[] {
  const { meta } = model;
  const span = spanOfMeta(meta);
  return predictExamples(model, items.map((it) => toExample(it.versions[0]!, it.labelIdx, meta.norm, span)));
}

export function evaluateModel(model: LoadedModel, options: EvaluateOptions): EvaluateResult {
  const { meta } = model;
  const dataset = scanDataset(options.dataDir, { layout: options.layout, labels: meta.labels });
  const wanted = options.speakers === null ? null : new Set(options.speakers);
  const clips: ClipRef[] = dataset.clips.filter((c) => wanted === null || (c.speaker !== null && wanted.has(c.speaker)));
  if (clips.length === 0) throw new Error(`expected clips for speakers ${options.speakers?.join(',') ?? 'all'}, got none`);
  const trainSpeakers = new Set((meta.training?.['trainSpeakers'] as string[] | undefined) ?? []);
  const overlap = [...new Set(clips.map((c) => c.speaker).filter((s): s is string => s !== null && trainSpeakers.has(s)))];
  if (overlap.length > 0 && dataset.layout === 'ravdess') {
    options.log(`warning: speakers ${overlap.join(', ')} were in this model's training split; these figures are not speaker-independent`);
  }
  const loaded = loadEvalFeatures(model, clips, options);
  if (loaded.skipped.length > 0) {
    options.log(`skipped ${loaded.skipped.length} file(s): ${loaded.skipped.map((s) => `${s.relPath} (${s.reason})`).join('; ')}`);
  }
  const truth = loaded.items.map((it) => it.labelIdx);
  const result: EvaluateResult = {
    model: meta.id,
    arch: meta.arch,
    data: options.dataDir,
    speakers: options.speakers ?? 'all',
    telephone: options.telephone,
    clips: loaded.items.length,
    skipped: loaded.skipped,
    trainSpeakerOverlap: overlap,
    notRun: {},
    predictions: loaded.items.map((it) => ({ clip: it.clip.relPath, label: it.clip.label })),
  };
  if (options.modes.includes('offline')) {
    const probs = offlineProbabilities(model, loaded.items);
    const pred = probs.map((p) => argmax(p));
    pred.forEach((p, i) => {
      result.predictions[i]!.offline = meta.labels[p];
    });
    result.offline = computeMetrics(truth, pred, meta.labels);
  }
  if (options.modes.includes('streaming')) {
    // Every architecture streams (models/streaming/runner.ts picks its runner).
    const probs = predictStreaming(model, loaded.items.map((it) => it.clip), { telephone: options.telephone, seed: options.seed });
    const noResult = probs.filter((p) => p === null).length;
    // No result at all counts as a wrong answer: the first label is as good as a guess.
    const pred = probs.map((p) => (p === null ? -1 : argmax(p)));
    pred.forEach((p, i) => {
      result.predictions[i]!.streaming = p < 0 ? null : meta.labels[p];
    });
    const predOrWrong = pred.map((p, i) => (p >= 0 ? p : ((truth[i] as number) + 1) % meta.labels.length));
    result.streaming = { ...computeMetrics(truth, predOrWrong, meta.labels), noResult, chunkMs: CHUNK_MS_RANGE };
  }
  return result;
}
