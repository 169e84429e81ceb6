/**
 * `npm run cv -- --data <dir> --out models/cv/<recipe> [train options]` — speaker-independent
 * k-fold cross-validation training: the speakers (sorted) are cut into `--folds` contiguous
 * groups (RAVDESS 01–20, 5 folds: 01–04, 05–08, …; odd actors are male, even female, so each
 * fold holds 2 + 2), and fold k trains on every other group. No speaker is ever in train and
 * test of one fold. Each fold trains a fixed number of epochs and keeps the LAST epoch's
 * weights, so the held-out speakers never choose the weights they are scored on (their
 * per-epoch UAR is logged as a curve only). A fold that has its model is skipped and a
 * half-trained fold resumes from its checkpoint, so the command can be re-run after a kill.
 * Score the folds with `npm run evaluate -- --cv <out>`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanDataset } from './dataset.js';
import { parseTrainArgs } from './train.js';
import type { TrainConfig } from './train_config.js';
import { runTraining } from './train_run.js';

export const DEFAULT_FOLDS = 5;

export interface Fold {
  /** 1-based. */
  index: number;
  testSpeakers: string[];
  trainSpeakers: string[];
}

/** Contiguous speaker groups of (nearly) equal size; every speaker is tested exactly once. */
export function makeFolds(speakers: readonly string[], folds: number): Fold[] {
  const sorted = [...new Set(speakers)].sort();
  if (!Number.isInteger(folds) || folds < 2 || folds > sorted.length) {
    throw new Error(`expected folds an integer in [2, ${sorted.length}] (the number of speakers), got ${folds}`);
  }
  return Array.from({ length: folds }, (_, k) => {
    const from = Math.round((k * sorted.length) / folds);
    const to = Math.round(((k + 1) * sorted.length) / folds);
    const test = sorted.slice(from, to);
    return { index: k + 1, testSpeakers: test, trainSpeakers: sorted.filter((s) => !test.includes(s)) };
  });
}

export function foldDir(cvDir: string, index: number): string {
  return join(cvDir, `fold${index}`);
}

/** The per-fold training config: fixed epochs, last weights, resumable. */
export function foldConfig(base: TrainConfig, cvDir: string, fold: Fold): TrainConfig {
  const outDir = foldDir(cvDir, fold.index);
  return {
    ...base,
    outDir,
    id: `${base.id}-fold${fold.index}`,
    trainSpeakers: fold.trainSpeakers,
    valSpeakers: fold.testSpeakers,
    teachers: base.teachers.map((t) => t.replaceAll('{fold}', String(fold.index))),
    keep: 'last',
    patience: base.epochs,
    resume: true,
  };
}

function takeOwnArgs(argv: string[]): { folds: number; only: number[] | null; rest: string[] } {
  const rest: string[] = [];
  let folds = DEFAULT_FOLDS;
  let only: number[] | null = null;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--folds' || arg === '--only') {
      const value = argv[i + 1];
      if (value === undefined) throw new Error(`${arg}: expected a value`);
      i += 1;
      if (arg === '--folds') folds = Number(value);
      else only = value.split(',').map(Number);
    } else {
      rest.push(arg);
    }
  }
  return { folds, only, rest };
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log('Usage: npm run cv -- --data <dir> --out <cv dir> [--folds 5] [--only 1,3] [any npm run train option]');
    return;
  }
  const { folds, only, rest } = takeOwnArgs(argv);
  const base = parseTrainArgs(rest);
  if (base === null) return;
  const cvDir = resolve(base.outDir);
  const dataset = scanDataset(base.dataDir, base.labels === null ? { layout: base.layout } : { layout: base.layout, labels: base.labels });
  const speakers = dataset.clips.map((c) => c.speaker).filter((s): s is string => s !== null);
  const plan = makeFolds(speakers, folds);
  mkdirSync(cvDir, { recursive: true });
  const { trainSpeakers: _t, valSpeakers: _v, resume: _r, ...settings } = foldConfig(base, cvDir, plan[0] as Fold);
  const recipe = { ...settings, teachers: base.teachers, id: base.id, outDir: cvDir, folds: plan.map((f) => ({ index: f.index, testSpeakers: f.testSpeakers })) };
  writeFileSync(join(cvDir, 'recipe.json'), `${JSON.stringify(recipe, null, 1)}\n`);
  for (const fold of plan) {
    if (only !== null && !only.includes(fold.index)) continue;
    const config = foldConfig(base, cvDir, fold);
    if (existsSync(join(config.outDir, 'meta.json'))) {
      console.error(`fold ${fold.index}: done (${config.outDir}/meta.json), skipped`);
      continue;
    }
    console.error(`fold ${fold.index}/${plan.length}: test speakers ${fold.testSpeakers.join(',')}`);
    await runTraining(config);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
