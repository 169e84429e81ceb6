/**
 * Probe: does averaging the served models of several CV runs (same folds, same held-out
 * actors) beat each of them? Per fold, each run's fold model (network + stats head, as
 * served, calibration included) answers the fold's held-out actors offline — the final
 * answer of `predictExamples`, one clip per stream, so no speaker reference — on wideband
 * and on the steep telephone simulation (300–3400 Hz + μ-law at 8 kHz, `telephoneDegrade`;
 * not the server CV's sox set). The ensemble is the mean of the members' log-probabilities.
 * Answers are cached under .cache/ensemble-probe/<run>-fold<k>-<hash of the fold's weights>.json.
 *
 *   node --import tsx models/experiments/ensemble_probe.ts --data <dir> \
 *     --cv models/cv/r14-count-prefix03-stats-cal,models/cv/r18-babble-count-prefix03-stats-cal [--folds 1,2]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectEngine } from '../engine.js';
import { loadModel } from '../io.js';
import { RAVDESS_LABELS } from '../registry.js';
import { featureOptionsOf } from '../meta.js';
import { foldDirs } from '../train/cv_dirs.js';
import { scanDataset } from '../train/dataset.js';
import { loadFeatures } from '../train/load_features.js';
import { offlineProbabilities } from '../train/evaluate_run.js';
import { uar } from './probe_common.js';

/** Final probabilities per held-out clip: the served model, and its network alone (stats head off). */
interface Answers { truthWide: number[]; truthTel: number[]; wide: number[][]; tel: number[][]; netWide: number[][]; netTel: number[][] }

async function answersOf(cvDir: string, foldIndex: number, dataDir: string, cacheDir: string): Promise<Answers> {
  const fold = foldDirs(cvDir).find((f) => f.index === foldIndex);
  if (fold === undefined) throw new Error(`expected fold ${foldIndex} in ${cvDir}`);
  // Keyed on the fold's weights, so a refitted or recalibrated fold is answered afresh.
  const weights = createHash('sha256').update(readFileSync(join(fold.dir, 'weights.bin'))).digest('hex').slice(0, 12);
  const file = join(resolve('.cache/ensemble-probe'), `${basename(cvDir)}-fold${foldIndex}-${weights}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Answers;
  const model = await loadModel(fold.dir);
  const { meta } = model;
  const trainSpeakers = (meta.training?.['trainSpeakers'] as string[] | undefined) ?? [];
  const clips = scanDataset(dataDir, { layout: 'ravdess' }).clips.filter((c) => c.speaker !== null && !trainSpeakers.includes(c.speaker));
  const itemsOf = (telephone: boolean) =>
    loadFeatures(clips, { labels: meta.labels, augment: null, seed: 0, cacheDir, telephone, ...featureOptionsOf(meta) }).items;
  const wideItems = itemsOf(false), telItems = itemsOf(true);
  const network = { ...model, hyper: { ...model.hyper, statsHead: 0 } };
  const probs = (m: typeof model, items: typeof wideItems): number[][] => offlineProbabilities(m, items).map((p) => Array.from(p));
  const answers: Answers = {
    truthWide: wideItems.map((it) => it.labelIdx),
    truthTel: telItems.map((it) => it.labelIdx),
    wide: probs(model, wideItems),
    tel: probs(model, telItems),
    netWide: probs(network, wideItems),
    netTel: probs(network, telItems),
  };
  model.dispose();
  mkdirSync(resolve('.cache/ensemble-probe'), { recursive: true });
  writeFileSync(file, JSON.stringify(answers));
  return answers;
}

function meanLog(members: readonly (readonly number[][])[]): number[][] {
  return members[0]!.map((_, i) => members[0]![i]!.map((_, k) => members.reduce((s, m) => s + Math.log(m[i]![k]! + 1e-9), 0) / members.length));
}

const HEAD_WEIGHTS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3];

/** log p_net + w · (log p_served − log p_net): the network plus w times the head's logits (up to a constant per clip). */
function withHeadWeight(full: readonly number[][], net: readonly number[][], w: number): number[][] {
  return full.map((p, i) => p.map((v, k) => (1 - w) * Math.log(net[i]![k]! + 1e-9) + w * Math.log(v + 1e-9)));
}

/**
 * The head's weight against the network's, chosen leave one fold out: for each fold, the
 * weight with the best mean of wideband and telephone UAR on the other folds, scored on it.
 */
function headWeightReport(name: string, folds: readonly number[], members: readonly Answers[], labels: readonly string[]): void {
  const score = (m: Answers, w: number): [number, number] => [uar(m.truthWide, withHeadWeight(m.wide, m.netWide, w), labels), uar(m.truthTel, withHeadWeight(m.tel, m.netTel, w), labels)];
  const grid = HEAD_WEIGHTS.map((w) => members.map((m) => score(m, w)));
  HEAD_WEIGHTS.forEach((w, j) => console.log(`${name} head weight ${w}: wide ${(grid[j]!.reduce((s, x) => s + x[0], 0) / members.length).toFixed(1)} tel ${(grid[j]!.reduce((s, x) => s + x[1], 0) / members.length).toFixed(1)}`));
  const chosen = members.map((_, k) => {
    const others = (j: number): number => grid[j]!.reduce((s, x, i) => s + (i === k ? 0 : x[0] + x[1]), 0);
    let best = 0;
    for (let j = 1; j < HEAD_WEIGHTS.length; j++) if (others(j) > others(best)) best = j;
    return { w: HEAD_WEIGHTS[best]!, scores: grid[best]![k]! };
  });
  const mean = (xs: number[]): string => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
  console.log(`${name} head weight chosen leave one fold out: folds ${folds.join(',')} → ${chosen.map((c) => c.w).join(' ')}; wide ${mean(chosen.map((c) => c.scores[0]))} (${chosen.map((c) => c.scores[0].toFixed(1)).join(' ')}), tel ${mean(chosen.map((c) => c.scores[1]))} (${chosen.map((c) => c.scores[1].toFixed(1)).join(' ')})`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, cv: { type: 'string' }, folds: { type: 'string' }, 'cache-dir': { type: 'string' } }, strict: true });
  if (values.data === undefined || values.cv === undefined) throw new Error('expected --data <dir> --cv <cv dir>,<cv dir>[,…]');
  await selectEngine('auto');
  const dataDir = resolve(values.data);
  const cacheDir = resolve(values['cache-dir'] ?? '.cache/features');
  const runs = values.cv.split(',').map((d) => resolve(d));
  const folds = values.folds?.split(',').map(Number) ?? [1, 2, 3, 4, 5];
  const labels = RAVDESS_LABELS;
  const names = [...runs.map((r) => basename(r)), 'ensemble'];
  const table: Record<string, { wide: number[]; tel: number[] }> = Object.fromEntries(names.map((n) => [n, { wide: [], tel: [] }]));
  for (const k of folds) {
    const members: Answers[] = [];
    for (const run of runs) members.push(await answersOf(run, k, dataDir, cacheDir));
    const { truthWide, truthTel } = members[0]!;
    const rows: [string, number[][], number[][]][] = [
      ...members.map((m, i): [string, number[][], number[][]] => [names[i]!, m.wide, m.tel]),
      ['ensemble', meanLog(members.map((m) => m.wide)), meanLog(members.map((m) => m.tel))],
    ];
    for (const [name, wide, tel] of rows) {
      table[name]!.wide.push(uar(truthWide, wide, labels));
      table[name]!.tel.push(uar(truthTel, tel, labels));
    }
    console.log(`fold ${k}: ${rows.map(([n]) => `${n} ${table[n]!.wide.at(-1)!.toFixed(1)} / ${table[n]!.tel.at(-1)!.toFixed(1)}`).join(' | ')}`);
  }
  for (const [r, run] of runs.entries()) {
    const members = await Promise.all(folds.map((k) => answersOf(run, k, dataDir, cacheDir)));
    headWeightReport(names[r]!, folds, members, labels);
  }
  const mean = (xs: number[]): string => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
  for (const n of names) console.log(`${n}: wide ${mean(table[n]!.wide)} (${table[n]!.wide.map((v) => v.toFixed(1)).join(' ')}), tel ${mean(table[n]!.tel)} (${table[n]!.tel.map((v) => v.toFixed(1)).join(' ')})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
