/**
 * `npm run evaluate -- --model models/<id> --data <dir> [--actors 17-20] [--telephone] [--out <json>]`
 * — prints accuracy / UAR / macro-F1 and per-class tables, writes JSON and an SVG confusion
 * matrix per mode (offline and streaming).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ENGINE_NAMES, selectEngine, type EnginePreference } from '../engine.js';
import { loadModel, META_FILE } from '../io.js';
import type { ModelMeta } from '../meta.js';
import { confusionSvg } from '../train/confusion_svg.js';
import { detectLayout, LAYOUTS, type Layout } from '../train/dataset.js';
import { evaluateModel, type EvaluateResult } from '../train/evaluate_run.js';
import { formatMetricsTable, type Metrics } from '../train/metrics.js';
import { parseSpeakerList } from '../train/split.js';
import { CONDITION_NAMES, CORE_CONDITIONS } from './conditions.js';
import { evaluateCv, type CvReport } from './cv_eval.js';
import { ablationMarkdown, reliabilitySvg, reportMarkdown } from './cv_report.js';
import { DEFAULT_HOP_MS, DEFAULT_SMOOTHING } from '../../shared/protocol.js';

const HELP = `Usage: npm run evaluate -- --cv <cv dir> --data <dir> [options]     (cross-validation, the model's headline)
       npm run evaluate -- --model <model dir> --data <dir> [options]  (one model on chosen speakers)

Cross-validation (folds trained by npm run cv; each fold's model served by the real server)
  --cv <dir>           the npm run cv output: fold<k>/ model folders
  --conditions <list>  comma list of ${CONDITION_NAMES.join(', ')}
                       or 'all' (default) or 'core' (${CORE_CONDITIONS.join(', ')})
  --folds <list>       folds to score, e.g. 1,2 (default all)
  --max-clips <n>      at most n clips per fold, evenly spread (smoke runs; default all)
  --hop-ms <n>         server hop (default ${DEFAULT_HOP_MS}); --smoothing <x> (default ${DEFAULT_SMOOTHING})
  --concurrency <n>    analyses in flight (default 4)
  --sessions           also score session-<condition> for each condition: per held-out
                       speaker ONE analysis of all their clips in a seeded random order,
                       1 s of silence after each, the condition applied to the whole
                       stream; cut back into per-clip outcomes (models that adapt to their
                       stream show it only here)
  --session-conditions <list>  like --sessions, for those of --conditions in the list only
                       (noise over a whole session is mixed at the session's speech level,
                       so a quiet utterance sits at a lower SNR than in its one-clip row;
                       babble keeps the voice gate open: one segment for the whole session)
  Writes <cv dir>/cv-report.{json,md} and reliability-<condition>.svg (wideband, telephone).
  --compare <dirs>     print the ablation table of several scored CV runs (comma list of cv dirs)

One model

  --model <dir>        saved model (meta.json, model.json, weights.bin) (required)
  --data <dir>         RAVDESS tree or <dir>/<label>/*.wav (required)
  --layout <l>         ${LAYOUTS.join(' | ')} (default auto)
  --actors <list>      speakers to evaluate, e.g. 17-20; default for RAVDESS: the model's
                       validation actors (meta.training.valSpeakers); otherwise every clip
  --telephone          degrade audio to an 8 kHz mu-law call (300-3400 Hz) first
  --mode <m>           offline | streaming | both (default both)
  --out <json>         result JSON (default <model>/eval/<actors>-<wideband|telephone>.json);
                       SVG confusion matrices are written beside it (<json stem>.<mode>.svg)
  --record             also store the headline figures in the model's meta.json metrics
  --seed <n>           seed of the streaming chunk sizes (default 1)
  --cache-dir <dir>    feature cache (default .cache/features); --no-cache disables it
  --engine <e>         auto | ${ENGINE_NAMES.join(' | ')} (default auto)
  --help`;

const pct = (x: number): number => Math.round(1e4 * x) / 1e4;

/** meta.metrics keys, e.g. "eval.17-20.telephone.streaming.uar". */
export function recordInMeta(modelDir: string, result: EvaluateResult, tag: string): void {
  const path = join(modelDir, META_FILE);
  const meta = JSON.parse(readFileSync(path, 'utf8')) as ModelMeta;
  const metrics = { ...(meta.metrics ?? {}) };
  for (const mode of ['offline', 'streaming'] as const) {
    const m: Metrics | undefined = result[mode];
    if (m === undefined) continue;
    const key = `eval.${tag}.${result.telephone ? 'telephone' : 'wideband'}.${mode}`;
    metrics[`${key}.accuracy`] = pct(m.accuracy);
    metrics[`${key}.uar`] = pct(m.uar);
    metrics[`${key}.macroF1`] = pct(m.macroF1);
    metrics[`${key}.clips`] = m.count;
  }
  writeFileSync(path, `${JSON.stringify({ ...meta, metrics }, null, 2)}\n`);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got "${value}"`);
  return n;
}

async function runCv(cvArg: string, dataArg: string, values: Record<string, string | boolean | undefined>): Promise<void> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const spec = str('conditions') ?? 'all';
  const conditions = spec === 'all' ? CONDITION_NAMES : spec === 'core' ? CORE_CONDITIONS : spec.split(',').map((c) => c.trim());
  const smoothing = Number(str('smoothing') ?? DEFAULT_SMOOTHING);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`--smoothing: expected a number in [0, 1), got "${str('smoothing')}"`);
  const cvDir = resolve(cvArg);
  const report = await evaluateCv({
    cvDir,
    dataDir: resolve(dataArg),
    conditions,
    hopMs: positiveInt('hop-ms', str('hop-ms'), DEFAULT_HOP_MS),
    smoothing,
    maxClipsPerFold: str('max-clips') === undefined ? null : positiveInt('max-clips', str('max-clips'), 1),
    concurrency: positiveInt('concurrency', str('concurrency'), 4),
    folds: str('folds') === undefined ? null : parseSpeakerList(str('folds') as string).map(Number),
    sessions: str('session-conditions') !== undefined ? (str('session-conditions') as string).split(',').map((c) => c.trim()) : values['sessions'] === true,
    log: (msg) => console.error(msg),
  });
  const md = reportMarkdown(report, `Cross-validation: ${basename(cvDir)}`);
  writeFileSync(join(cvDir, 'cv-report.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(join(cvDir, 'cv-report.md'), `${md}\n`);
  for (const c of report.conditions.filter((x) => x.condition === 'wideband' || x.condition === 'telephone')) {
    writeFileSync(join(cvDir, `reliability-${c.condition}.svg`), reliabilitySvg(c.reliability, `${basename(cvDir)} — ${c.condition}: live ECE ${(100 * c.ece.mean).toFixed(1)} %`));
  }
  console.log(md);
  console.log(`wrote ${join(cvDir, 'cv-report.md')}`);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      layout: { type: 'string' },
      actors: { type: 'string' },
      telephone: { type: 'boolean' },
      mode: { type: 'string' },
      out: { type: 'string' },
      record: { type: 'boolean' },
      seed: { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean' },
      engine: { type: 'string' },
      help: { type: 'boolean' },
      cv: { type: 'string' },
      conditions: { type: 'string' },
      folds: { type: 'string' },
      'max-clips': { type: 'string' },
      'hop-ms': { type: 'string' },
      smoothing: { type: 'string' },
      concurrency: { type: 'string' },
      compare: { type: 'string' },
      sessions: { type: 'boolean' },
      'session-conditions': { type: 'string' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(HELP);
    return;
  }
  if (values.compare !== undefined) {
    const rows = values.compare.split(',').map((dir) => ({ name: basename(resolve(dir)), report: JSON.parse(readFileSync(join(resolve(dir), 'cv-report.json'), 'utf8')) as CvReport }));
    console.log(ablationMarkdown(rows));
    return;
  }
  if (values.cv !== undefined) {
    if (values.data === undefined) throw new Error('expected --data with --cv (see --help)');
    await runCv(values.cv, values.data, values);
    return;
  }
  if (values.model === undefined || values.data === undefined) throw new Error('expected --model and --data (see --help)');
  const layout = (values.layout ?? 'auto') as Layout;
  if (!(LAYOUTS as readonly string[]).includes(layout)) throw new Error(`--layout: expected one of ${LAYOUTS.join(', ')}, got "${layout}"`);
  const modeArg = values.mode ?? 'both';
  if (!['offline', 'streaming', 'both'].includes(modeArg)) throw new Error(`--mode: expected offline, streaming or both, got "${modeArg}"`);
  const modes = modeArg === 'both' ? (['offline', 'streaming'] as const) : ([modeArg] as ['offline'] | ['streaming']);
  const seed = Number(values.seed ?? '1');
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got "${values.seed}"`);

  await selectEngine((values.engine ?? 'auto') as EnginePreference);
  const modelDir = resolve(values.model);
  const model = await loadModel(modelDir);
  const dataDir = resolve(values.data);
  let speakers = values.actors === undefined ? null : parseSpeakerList(values.actors);
  const valSpeakers = model.meta.training?.['valSpeakers'] as string[] | undefined;
  if (speakers === null && valSpeakers !== undefined && model.meta.training?.['layout'] === 'ravdess') {
    if ((layout === 'auto' ? detectLayout(dataDir) : layout) === 'ravdess') {
      speakers = valSpeakers;
      console.error(`evaluating the model's validation speakers ${valSpeakers.join(',')} (use --actors to choose)`);
    }
  }
  const result = evaluateModel(model, {
    dataDir,
    layout,
    speakers,
    telephone: values.telephone === true,
    modes: [...modes],
    cacheDir: values['no-cache'] === true ? null : resolve(values['cache-dir'] ?? '.cache/features'),
    seed,
    log: (msg) => console.error(msg),
  });
  model.dispose();

  const tag = speakers === null ? 'all' : speakers.length > 1 && speakers.every((s) => /^\d+$/.test(s)) ? `${speakers[0]}-${speakers[speakers.length - 1]}` : speakers.join('_');
  const channel = result.telephone ? 'telephone' : 'wideband';
  const outJson = resolve(values.out ?? join(modelDir, 'eval', `${tag}-${channel}.json`));
  mkdirSync(dirname(outJson), { recursive: true });
  writeFileSync(outJson, `${JSON.stringify(result, null, 1)}\n`);
  const stem = outJson.replace(/\.json$/, '');
  for (const mode of ['offline', 'streaming'] as const) {
    const m = result[mode];
    if (m === undefined) continue;
    console.log(formatMetricsTable(`${model.meta.id} ${mode} ${channel} (speakers ${tag})`, m));
    writeFileSync(`${stem}.${mode}.svg`, confusionSvg(m.confusion, m.labels, `${model.meta.id} — ${mode}, ${channel}, speakers ${tag} (UAR ${(100 * m.uar).toFixed(1)} %)`));
  }
  for (const [mode, why] of Object.entries(result.notRun)) console.log(`${mode}: not run (${why})`);
  if (result.streaming !== undefined && result.streaming.noResult > 0) console.log(`streaming: ${result.streaming.noResult} clip(s) produced no result (counted wrong)`);
  if (values.record === true) recordInMeta(modelDir, result, tag);
  console.log(`wrote ${outJson}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
