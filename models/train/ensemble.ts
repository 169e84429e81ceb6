/**
 * Builds an ensemble model (models/architectures/ensemble.ts) from trained models: their
 * networks and stats heads, unchanged, served as one model whose logits are the mean of
 * theirs. The members must have been trained for the same input — labels, feature
 * extractor, normalisation, utterance rule, voiced gate, training span, speaker reference
 * and training speakers. A calibrated member is taken back to its trained logits (its logit
 * layers multiplied by its T); calibrate the ensemble afterwards (its temperature scales
 * every member's logit layers, which tempers the mean exactly).
 *
 * `--shared-speaker-norm` accepts members whose speaker references differ only in their
 * global mean and variance (heads fitted on differently augmented copies, e.g. another
 * μ-law encoder): the ensemble serves every member with member 0's reference, as one stream
 * holds one. A stream's first utterance is read without any reference, so one-clip results
 * do not change; later utterances are re-referenced in member 0's frame. Each member's
 * largest shift of a global mean, in global standard deviations, is recorded
 * (training.members[i].speakerNormShiftSd) and printed.
 *
 *   npm run ensemble -- --members <model dir>,<model dir>[,…] --out <dir> [--id <id>] [--shared-speaker-norm]
 *   npm run ensemble -- --cv <cv dir>,<cv dir>[,…] --out-cv <dir> [--shared-speaker-norm]   (fold by fold)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ensembleHyper, memberParamPrefix } from '../architectures/ensemble.js';
import { logitParamsOf, stepFramesOf, windowStepsOf } from '../architectures/index.js';
import { selectEngine } from '../engine.js';
import { loadModel, saveModel, type LoadedModel } from '../io.js';
import { contractMismatch, PIPELINE_CONTRACT, type ContractField } from '../contract.js';
import type { ModelMeta } from '../meta.js';
import { foldDirs } from './cv_dirs.js';

/**
 * What every member must share with member 0, read from its meta: the pipeline contract
 * (models/contract.ts; stepFrames is checked by the architecture) and the input each was
 * trained for.
 */
const SHARED: readonly ContractField[] = [
  ...PIPELINE_CONTRACT.filter(([name]) => name !== 'stepFrames'),
  ['norm', (m) => m.norm],
  ['speakerNorm', (m) => m.speakerNorm],
  ['training.span', (m) => m.training?.['span']],
  ['training.trainSpeakers', (m) => m.training?.['trainSpeakers']],
];

/** What --shared-speaker-norm still requires equal: the reference's rule, not its global statistics. */
const SHARED_RULE_ONLY: readonly ContractField[] = [
  ...SHARED.filter(([name]) => name !== 'speakerNorm'),
  ['speakerNorm.priorUtterances', (m) => m.speakerNorm?.priorUtterances],
  ['speakerNorm.minVoicedFrames', (m) => m.speakerNorm?.minVoicedFrames],
  ['speakerNorm dims', (m) => m.speakerNorm?.mean.length],
];

/** Largest |mean − mean of member 0| over the statistics, in member 0's global sd; 0 without a reference. */
export function speakerNormShiftSd(member: ModelMeta, first: ModelMeta): number {
  const a = member.speakerNorm;
  const b = first.speakerNorm;
  if (a === undefined || b === undefined) return 0;
  return a.mean.reduce((worst, m, j) => Math.max(worst, Math.abs(m - (b.mean[j] as number)) / Math.sqrt((b.variance[j] as number) + 1e-9)), 0);
}

export interface EnsembleOptions {
  /** Serve every member with member 0's speaker reference (see the file comment). */
  sharedSpeakerNorm?: boolean;
}

/** The ensemble's meta: member 0's input contract, the members' architectures, where they came from. */
export function ensembleMeta(members: readonly LoadedModel[], id: string, sources: readonly string[], options: EnsembleOptions = {}): ModelMeta {
  const first = members[0];
  if (first === undefined || members.length < 2) throw new Error(`ensemble: expected at least 2 members, got ${members.length}`);
  const shared = options.sharedSpeakerNorm === true ? SHARED_RULE_ONLY : SHARED;
  for (const [i, m] of members.entries()) {
    const name = contractMismatch(m.meta, first.meta, shared);
    if (name !== null) {
      const hint = name === 'speakerNorm' ? ' (--shared-speaker-norm serves every member with member 0\'s)' : '';
      throw new Error(`ensemble member ${i} (${m.meta.id}): expected the ${name} of member 0 (${first.meta.id}), got another${hint}`);
    }
  }
  const shape = { arch: 'ensemble' as const, hyper: ensembleHyper(members.map((m) => ({ arch: m.meta.arch, hyper: m.meta.hyper }))) };
  const { metrics: _metrics, calibration: _calibration, ...rest } = first.meta;
  return {
    ...rest,
    id,
    ...shape,
    stepFrames: stepFramesOf(shape),
    windowSteps: windowStepsOf(shape),
    training: {
      ...(first.meta.training ?? { data: '', trainActors: [], valActors: [], epochs: 0, seed: 0 }),
      members: members.map((m, i) => ({
        id: m.meta.id,
        source: sources[i],
        arch: m.meta.arch,
        epochs: m.meta.training?.epochs,
        seed: m.meta.training?.seed,
        ...(m.meta.training?.['distill'] === undefined ? {} : { distill: m.meta.training['distill'] }),
        ...(m.meta.calibration === undefined ? {} : { uncalibratedFromT: m.meta.calibration.temperature }),
        ...(options.sharedSpeakerNorm === true && i > 0 ? { speakerNormShiftSd: Number(speakerNormShiftSd(m.meta, first.meta).toFixed(4)) } : {}),
      })),
    },
  };
}

/** Loads the members, writes the ensemble into `out`. */
export async function buildEnsemble(memberDirs: readonly string[], out: string, id: string, options: EnsembleOptions = {}): Promise<ModelMeta> {
  const members: LoadedModel[] = [];
  try {
    for (const dir of memberDirs) members.push(await loadModel(dir));
    const meta = ensembleMeta(members, id, memberDirs.map((d) => relative(process.cwd(), d)), options);
    const params: Record<string, tf.Tensor> = {};
    const scaled: tf.Tensor[] = [];
    members.forEach((m, i) => {
      const t = m.meta.calibration?.temperature;
      const logits = new Set(t === undefined ? [] : logitParamsOf(m));
      for (const [name, p] of Object.entries(m.params)) {
        // Back to the trained logits: calibration divided these layers by T.
        const value = t !== undefined && logits.has(name) ? tf.mul(p, t) : p;
        if (value !== p) scaled.push(value);
        params[`${memberParamPrefix(i)}${name}`] = value;
      }
    });
    try {
      await saveModel(out, meta, params);
    } finally {
      tf.dispose(scaled);
    }
    return meta;
  } finally {
    for (const m of members) m.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      out: { type: 'string' },
      id: { type: 'string' },
      cv: { type: 'string' },
      'out-cv': { type: 'string' },
      'shared-speaker-norm': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  const jobs: { dirs: string[]; out: string; id: string }[] = [];
  if (values.members !== undefined && values.out !== undefined) {
    jobs.push({ dirs: values.members.split(',').map((d) => resolve(d)), out: resolve(values.out), id: values.id ?? `ensemble-${values.members.split(',').length}` });
  }
  if (values.cv !== undefined && values['out-cv'] !== undefined) {
    const cvs = values.cv.split(',').map((d) => resolve(d));
    const outCv = resolve(values['out-cv']);
    for (const fold of foldDirs(cvs[0]!)) {
      const dirs = cvs.map((cv) => join(cv, `fold${fold.index}`));
      const missing = dirs.find((d) => !existsSync(join(d, 'meta.json')));
      if (missing !== undefined) throw new Error(`--cv: expected fold ${fold.index} in every CV dir, got none in ${missing}`);
      jobs.push({ dirs, out: join(outCv, `fold${fold.index}`), id: `ensemble-fold${fold.index}` });
    }
    mkdirSync(outCv, { recursive: true });
    const recipes = cvs.map((cv) => (existsSync(join(cv, 'recipe.json')) ? (JSON.parse(readFileSync(join(cv, 'recipe.json'), 'utf8')) as unknown) : null));
    writeFileSync(join(outCv, 'recipe.json'), `${JSON.stringify({ ensemble: cvs.map((cv) => relative(process.cwd(), cv)), recipes }, null, 1)}\n`);
  }
  if (values.help === true || jobs.length === 0) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    if (values.help !== true) process.exitCode = 1;
    return;
  }
  await selectEngine();
  for (const job of jobs) {
    const meta = await buildEnsemble(job.dirs, job.out, job.id, { sharedSpeakerNorm: values['shared-speaker-norm'] === true });
    const shifts = (meta.training?.['members'] as { speakerNormShiftSd?: number }[]).flatMap((m, i) => (m.speakerNormShiftSd === undefined ? [] : [`member ${i} ${m.speakerNormShiftSd} sd`]));
    const shared = shifts.length > 0 ? `; member 0's speaker reference for all (largest global-mean shift: ${shifts.join(', ')})` : '';
    console.log(`${job.out}: ${meta.id}, ${job.dirs.length} members (${job.dirs.map((d) => relative(process.cwd(), d)).join(', ')})${shared}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
