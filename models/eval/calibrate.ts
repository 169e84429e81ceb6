/**
 * `npm run calibrate -- --cv <cv dir> --data <dir> --out-cv <dir> [--model <dir> --model-out <dir>]`
 *
 * Temperature scaling of a CV run, cross-fitted so no fold is calibrated on its own actors:
 * each fold's held-out clips go through its model offline; fold k's temperature is fitted on
 * the other folds' answers, and a copy of fold k's model with its output layer divided by
 * that temperature is written to `<out-cv>/fold<k>` — score it with `npm run evaluate -- --cv
 * <out-cv>` like any CV run. The temperature fitted on every fold's answers is the one for
 * the model trained on all actors (`--model`, written to `--model-out`). Dividing the output
 * layer's weights and bias by T divides the logits by T, so every runner (streaming, window,
 * offline) serves the calibrated model unchanged; meta.json records it (`calibration`).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { logitParamsOf } from '../architectures/index.js';
import { selectEngine } from '../engine.js';
import { loadModel, saveModel, type LoadedModel } from '../io.js';
import { isNarrowband, type ModelMeta } from '../meta.js';
import { scanDataset } from '../train/dataset.js';
import { loadEvalFeatures, offlineProbabilities } from '../train/evaluate_run.js';
import { argmax } from '../train/metrics.js';
import { foldDirs } from '../train/cv_dirs.js';
import { reliability } from './scores.js';
import { fitTemperature, meanNll, tempered } from './temperature.js';

interface FoldAnswers {
  index: number;
  dir: string;
  probs: Float32Array[];
  labels: number[];
}

/**
 * Offline answers of a fold model on its held-out speakers (meta.training.valSpeakers): on
 * their clips as recorded, or as telephone calls for a narrowband model (the audio it serves).
 */
function foldAnswers(model: LoadedModel, dataDir: string, cacheDir: string | null): { probs: Float32Array[]; labels: number[] } {
  const speakers = (model.meta.training?.['valSpeakers'] as string[] | undefined) ?? [];
  if (speakers.length === 0) throw new Error(`${model.meta.id}: expected training.valSpeakers in meta.json, got none`);
  const clips = scanDataset(dataDir, { layout: 'auto', labels: model.meta.labels }).clips.filter((c) => c.speaker !== null && speakers.includes(c.speaker));
  const { items } = loadEvalFeatures(model, clips, { cacheDir, telephone: isNarrowband(model.meta) });
  return { probs: offlineProbabilities(model, items), labels: items.map((it) => it.labelIdx) };
}

/** Writes `model` to `outDir` with its logits divided by `temperature`. */
export async function saveTempered(model: LoadedModel, outDir: string, temperature: number, fittedOn: string): Promise<void> {
  const params: Record<string, tf.Tensor> = { ...model.params };
  // Every layer whose output is a logit: the network's and, when present, the stats head's.
  const logitLayers = logitParamsOf(model.meta);
  for (const name of logitLayers) {
    const p = model.params[name];
    if (p === undefined) throw new Error(`${model.meta.id}: expected an output layer "${name}" to scale, got none`);
    params[name] = tf.div(p, temperature);
  }
  if (model.meta.calibration !== undefined) {
    // Temperatures fitted on uncalibrated answers would compound on an already scaled layer.
    throw new Error(`${model.meta.id}: expected an uncalibrated model, got one already scaled by T = ${model.meta.calibration.temperature}`);
  }
  const meta: ModelMeta = { ...model.meta, calibration: { temperature, method: 'temperature scaling of the output layer', fittedOn } };
  await saveModel(outDir, meta, params);
  for (const name of logitLayers) params[name]?.dispose();
}

function ece(probs: readonly ArrayLike<number>[], labels: readonly number[]): number {
  return reliability(probs.map((p, i) => ({ correct: argmax(Array.from(p)) === labels[i], confidence: Math.max(...Array.from(p)) }))).ece;
}

const pct = (x: number): string => (100 * x).toFixed(1);

export async function calibrateCv(options: { cvDir: string; dataDir: string; outCv: string; cacheDir: string | null; model?: string; modelOut?: string }): Promise<void> {
  await selectEngine();
  const folds: FoldAnswers[] = [];
  for (const fold of foldDirs(options.cvDir)) {
    const model = await loadModel(fold.dir);
    try {
      folds.push({ ...fold, ...foldAnswers(model, options.dataDir, options.cacheDir) });
    } finally {
      model.dispose();
    }
  }
  if (folds.length < 2) throw new Error(`expected at least 2 scored folds in ${options.cvDir}, got ${folds.length}`);
  mkdirSync(options.outCv, { recursive: true });
  if (existsSync(join(options.cvDir, 'recipe.json'))) copyFileSync(join(options.cvDir, 'recipe.json'), join(options.outCv, 'recipe.json'));
  console.log('| Fold | T (fitted on the other folds) | NLL before → after | ECE of the final answer before → after |');
  console.log('|---|---|---|---|');
  for (const fold of folds) {
    const others = folds.filter((f) => f !== fold);
    const temperature = fitTemperature(others.flatMap((f) => f.probs), others.flatMap((f) => f.labels));
    const after = fold.probs.map((p) => tempered(p, temperature));
    console.log(
      `| ${fold.index} | ${temperature.toFixed(3)} | ${meanNll(fold.probs, fold.labels, 1).toFixed(3)} → ${meanNll(fold.probs, fold.labels, temperature).toFixed(3)} | ${pct(ece(fold.probs, fold.labels))} → ${pct(ece(after, fold.labels))} % |`,
    );
    const model = await loadModel(fold.dir);
    try {
      await saveTempered(model, join(options.outCv, `fold${fold.index}`), temperature, `offline answers of folds ${others.map((f) => f.index).join(', ')} (${relative(process.cwd(), options.cvDir)})`);
    } finally {
      model.dispose();
    }
  }
  const all = fitTemperature(folds.flatMap((f) => f.probs), folds.flatMap((f) => f.labels));
  console.log(`T fitted on every fold's held-out answers: ${all.toFixed(3)}`);
  if (options.model !== undefined) {
    if (options.modelOut === undefined) throw new Error('--model needs --model-out (the calibrated copy)');
    const model = await loadModel(options.model);
    try {
      await saveTempered(model, options.modelOut, all, `offline answers of every fold's held-out actors (${relative(process.cwd(), options.cvDir)})`);
    } finally {
      model.dispose();
    }
    console.log(`wrote ${options.modelOut}`);
  }
  writeFileSync(join(options.outCv, 'calibration.json'), `${JSON.stringify({ source: options.cvDir, temperatureAll: all }, null, 1)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cv: { type: 'string' },
      data: { type: 'string' },
      'out-cv': { type: 'string' },
      model: { type: 'string' },
      'model-out': { type: 'string' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true || values.cv === undefined || values.data === undefined || values['out-cv'] === undefined) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    if (values.help !== true) process.exitCode = 1;
    return;
  }
  await calibrateCv({
    cvDir: resolve(values.cv),
    dataDir: resolve(values.data),
    outCv: resolve(values['out-cv']),
    cacheDir: resolve(values['cache-dir'] ?? '.cache/features'),
    ...(values.model === undefined ? {} : { model: resolve(values.model) }),
    ...(values['model-out'] === undefined ? {} : { modelOut: resolve(values['model-out']) }),
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
