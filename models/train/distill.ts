/**
 * Knowledge distillation's targets: what trained models (the teachers — network and stats
 * head, as served, one clip per stream) answer on every version of every training clip of
 * a student. Each teacher reads the student's own clip versions (the same augmentation and
 * seed) through its own feature settings, normalisation and span rule; the soft target is
 * softmax(mean over teachers of log p / T). A calibrated teacher (a shipped model) answers
 * with its trained logits: its log-probabilities are multiplied back by its temperature.
 * A teacher must not have seen any speaker the student is validated on, so a CV fold
 * distils only from the same fold's teachers.
 */
import { loadModel } from '../io.js';
import { softmaxInto } from '../streaming/head.js';
import { featureOptionsOf } from '../meta.js';
import type { AugmentConfig } from './augment.js';
import type { ClipRef } from './dataset.js';
import { spanOfMeta, toExample } from './examples.js';
import { loadFeatures } from './load_features.js';
import { predictExamples } from './train_step.js';

export interface DistillSource {
  /** Teacher model directories. */
  teachers: readonly string[];
  /** The student's labels (a teacher's must be the same, in the same order). */
  labels: readonly string[];
  /** The clip list the student's features were loaded from (its babble copies draw talkers from it). */
  loadedClips: readonly ClipRef[];
  /** The student's training clips, one per training example group (the readable ones of loadedClips). */
  clips: readonly ClipRef[];
  /** Versions per clip in the student's data (1 + copies): every teacher must produce as many. */
  versionsPerClip: readonly number[];
  /** Speakers the teachers may have been trained on: the student's training speakers. */
  allowedSpeakers: readonly string[];
  augment: AugmentConfig | null;
  seed: number;
  cacheDir: string | null;
  /** Softening temperature, ≥ 1. */
  temperature: number;
}

/** softmax(meanLogP / temperature): the teachers' answer, softened (the runner's softmaxInto). */
export function softenLogProbs(meanLogP: Float64Array, temperature: number): Float32Array {
  return softmaxInto(meanLogP.map((v) => v / temperature), 0, meanLogP.length, new Float32Array(meanLogP.length));
}

/** Soft targets per training clip and version: [clip][version] → distribution over the labels. */
export async function teacherTargets(src: DistillSource, log: (msg: string) => void): Promise<Float32Array[][]> {
  if (src.teachers.length === 0) throw new Error('expected at least one teacher, got none');
  const sums = src.versionsPerClip.map((n) => Array.from({ length: n }, () => new Float64Array(src.labels.length)));
  for (const dir of src.teachers) {
    const model = await loadModel(dir);
    try {
      const { meta } = model;
      if (JSON.stringify(meta.labels) !== JSON.stringify(src.labels)) throw new Error(`teacher ${dir}: expected labels ${src.labels.join(',')}, got ${meta.labels.join(',')}`);
      const seen = (meta.training?.['trainSpeakers'] as string[] | undefined) ?? null;
      if (seen === null) throw new Error(`teacher ${dir}: expected training.trainSpeakers in meta.json (which speakers it heard), got none`);
      const foreign = seen.filter((s) => !src.allowedSpeakers.includes(s));
      if (foreign.length > 0) throw new Error(`teacher ${dir}: trained on speakers ${foreign.join(',')} outside the student's training speakers; a CV fold may distil only from its own fold's teachers`);
      // The same clip list as the student's, so every copy (babble talkers included) is the same.
      const { items } = loadFeatures(src.loadedClips, { labels: src.labels, augment: src.augment, seed: src.seed, cacheDir: src.cacheDir, ...featureOptionsOf(meta) });
      const byPath = new Map(items.map((it) => [it.clip.relPath, it]));
      const span = spanOfMeta(meta);
      const examples = src.clips.flatMap((clip, i) => {
        const it = byPath.get(clip.relPath);
        if (it === undefined || it.versions.length !== src.versionsPerClip[i]) throw new Error(`teacher ${dir}: expected ${src.versionsPerClip[i]} versions of ${clip.relPath}, got ${it?.versions.length ?? 'none'}`);
        return it.versions.map((v) => toExample(v, it.labelIdx, meta.norm, span));
      });
      const probs = predictExamples(model, examples);
      // Calibration divided the logits by T; softmax ignores the per-clip shift, so T·log p is the trained answer.
      const uncalibrate = meta.calibration?.temperature ?? 1;
      let n = 0;
      for (const versions of sums) {
        for (const sum of versions) {
          const p = probs[n++]!;
          for (let k = 0; k < sum.length; k++) sum[k] = sum[k]! + uncalibrate * Math.log(p[k]! + 1e-9);
        }
      }
      log(`teacher ${meta.id}: answered ${examples.length} clip versions${uncalibrate === 1 ? '' : ` (calibration T = ${uncalibrate.toFixed(3)} undone)`}`);
    } finally {
      model.dispose();
    }
  }
  const teachers = src.teachers.length;
  const targets = sums.map((versions) => versions.map((sum) => softenLogProbs(sum.map((v) => v / teachers), src.temperature)));
  log(`teachers' soft targets (T = ${src.temperature}): ${targetSummary(targets, src.clips.map((c) => src.labels.indexOf(c.label)))}`);
  return targets;
}

/** How much the soft targets say beyond the label: their argmax's agreement with it and their mean top probability. */
export function targetSummary(targets: readonly (readonly Float32Array[])[], labelIdx: readonly number[]): string {
  let agree = 0;
  let top = 0;
  let n = 0;
  targets.forEach((versions, i) => {
    for (const p of versions) {
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      if (best === labelIdx[i]) agree++;
      top += p[best]!;
      n++;
    }
  });
  return `argmax = label on ${((100 * agree) / n).toFixed(1)} % of ${n} clip versions, mean top probability ${(top / n).toFixed(3)}`;
}
