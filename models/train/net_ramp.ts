/**
 * `npm run net-ramp -- --frames <R> --cv <cv dir> --out-cv <dir>` (every fold) or
 * `... --frames <R> --model <dir> --model-out <dir> [--id <new id>]` (one model)
 *
 * Copies models with the network ramp set (hyper `netRampFrames`, models/architectures/
 * stats_head.ts): each network's logits weigh min(1, n / R), n the voiced frames its stats
 * head has read, so a live hop on the first fraction of a second of speech leans on the head
 * (fitted on part-way cuts) rather than on a network trained on whole utterances only. Every
 * network with a stats head gets it: the model's own, or each member of an ensemble
 * (`m<i>.netRampFrames`). Weights, calibration and everything else are copied unchanged;
 * R = 0 removes the ramp. Score the copy with `npm run evaluate -- --cv <out-cv>`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel, saveModel } from '../io.js';
import type { ModelMeta } from '../meta.js';
import { foldDirs } from './cv_dirs.js';

const STATS_HEAD_KEY = 'statsHead';
const RAMP_KEY = 'netRampFrames';

/** `meta` with netRampFrames = `frames` on every network that has a stats head; refuses a model without one. */
export function withNetRamp(meta: ModelMeta, frames: number, id?: string): ModelMeta {
  if (!Number.isInteger(frames) || frames < 0) throw new Error(`--frames: expected an integer ≥ 0, got ${frames}`);
  const hyper = { ...meta.hyper };
  const prefixes = Object.keys(hyper)
    .filter((key) => key.endsWith(STATS_HEAD_KEY) && hyper[key] === 1)
    .map((key) => key.slice(0, -STATS_HEAD_KEY.length));
  if (prefixes.length === 0) throw new Error(`${meta.id}: expected a network with a stats head (hyper statsHead 1), got none`);
  for (const prefix of prefixes) {
    if (frames === 0) delete hyper[`${prefix}${RAMP_KEY}`];
    else hyper[`${prefix}${RAMP_KEY}`] = frames;
  }
  return { ...meta, ...(id === undefined ? {} : { id }), hyper };
}

/** Writes the model in `dir` to `outDir` with the ramp set. */
export async function rampModel(dir: string, outDir: string, frames: number, id?: string): Promise<void> {
  const model = await loadModel(dir);
  try {
    await saveModel(outDir, withNetRamp(model.meta, frames, id), model.params);
  } finally {
    model.dispose();
  }
}

/** Every fold of a CV run, and its recipe and calibration records, to `outCv` with the ramp set. */
export async function rampCv(cvDir: string, outCv: string, frames: number): Promise<void> {
  const folds = foldDirs(cvDir);
  if (folds.length === 0) throw new Error(`${cvDir}: expected fold<k>/ model directories, got none`);
  mkdirSync(outCv, { recursive: true });
  for (const fold of folds) await rampModel(fold.dir, join(outCv, `fold${fold.index}`), frames);
  for (const record of ['recipe.json', 'calibration.json']) {
    if (existsSync(join(cvDir, record))) copyFileSync(join(cvDir, record), join(outCv, record));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string' },
      cv: { type: 'string' },
      'out-cv': { type: 'string' },
      model: { type: 'string' },
      'model-out': { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  const cv = values.cv !== undefined && values['out-cv'] !== undefined;
  const one = values.model !== undefined && values['model-out'] !== undefined;
  if (values.help === true || values.frames === undefined || cv === one) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    if (values.help !== true) process.exitCode = 1;
    return;
  }
  const frames = Number(values.frames);
  if (cv) {
    await rampCv(resolve(values.cv!), resolve(values['out-cv']!), frames);
    console.log(`wrote ${resolve(values['out-cv']!)}`);
  } else {
    await rampModel(resolve(values.model!), resolve(values['model-out']!), frames, values.id);
    console.log(`wrote ${resolve(values['model-out']!)}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
