/**
 * Probe: do richer utterance statistics, or a bag of stats heads, add to the served stats
 * head? Per fold of a CV run, on that fold network's own training actors and clip versions
 * (headTrainingItems, as `npm run fit-stats-head` fits them): the served 80 statistics
 * (clipUtteranceStats = the streaming runner's RunningStats over the final segment's voiced
 * normalised frames) plus candidate extras, each a running sum over the same frames; each
 * candidate head is fitted by the served fitter (fitStatsHead) and scored on the fold's
 * test actors, wideband and telephone (steep filter + μ-law), alone and fused with the
 * fold's network: network log-probabilities + head logits, whose argmax is the served sum's
 * (the network's softmax here is uncalibrated; a temperature on the sum changes no argmax).
 * The network's answers are cached under .cache/stats-probe/.
 *
 *   node --import tsx models/experiments/stats_probe.ts --data <dir> --cv models/cv/r3-big-cal \
 *     [--candidates base,dd,...] [--folds 1,2] [--out results.json]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectEngine } from '../engine.js';
import { loadModel } from '../io.js';
import { featureOptionsOf } from '../meta.js';
import { foldDirs } from '../train/cv_dirs.js';
import { scanDataset } from '../train/dataset.js';
import { loadFeatures, type FeatureItem } from '../train/load_features.js';
import { offlineProbabilities } from '../train/evaluate_run.js';
import { toExample } from '../train/examples.js';
import type { Example } from '../train/batching.js';
import { headTrainingItems } from '../train/fit_stats_head.js';
import { clipUtteranceStats, DEFAULT_STATS_HEAD_FIT, fitStatsHead } from '../train/stats_head_fit.js';
import { STATS_VAR_EPS } from '../ops/utterance_stats.js';
import { fuse, headLogits, uar } from './probe_common.js';

/** Groups of statistics; `base` is what the served head reads. */
type Group = 'base' | 'dd' | 'mom' | 'vf';

interface Candidate {
  name: string;
  groups: Group[];
  hidden: number;
  l2: number;
  /** One head per seed; their logits are averaged (a 64·k-unit head with w / k serves it). */
  seeds: number[];
}

const CANDIDATES: Candidate[] = [
  { name: 'base', groups: ['base'], hidden: 64, l2: 1e-3, seeds: [1] },
  { name: 'base-seed2', groups: ['base'], hidden: 64, l2: 1e-3, seeds: [2] },
  { name: 'base-seed3', groups: ['base'], hidden: 64, l2: 1e-3, seeds: [3] },
  { name: 'dd', groups: ['base', 'dd'], hidden: 64, l2: 1e-3, seeds: [1] },
  { name: 'mom', groups: ['base', 'mom'], hidden: 64, l2: 1e-3, seeds: [1] },
  { name: 'vf', groups: ['base', 'vf'], hidden: 64, l2: 1e-3, seeds: [1] },
  { name: 'all', groups: ['base', 'dd', 'mom', 'vf'], hidden: 64, l2: 1e-3, seeds: [1] },
  { name: 'bag5', groups: ['base'], hidden: 64, l2: 1e-3, seeds: [1, 2, 3, 4, 5] },
  { name: 'h128', groups: ['base'], hidden: 128, l2: 1e-3, seeds: [1] },
  { name: 'l2-1e-2', groups: ['base'], hidden: 64, l2: 1e-2, seeds: [1] },
];

function moments(s1: number, s2: number, s3: number, s4: number, n: number): [number, number] {
  const k = Math.max(n, 1);
  const m = s1 / k;
  const v = Math.max(s2 / k - m * m, 0) + STATS_VAR_EPS;
  const m3 = s3 / k - 3 * m * (s2 / k) + 2 * m ** 3;
  const m4 = s4 / k - 4 * m * (s3 / k) + 6 * m * m * (s2 / k) - 3 * m ** 4;
  return [m3 / v ** 1.5, m4 / (v * v) - 3];
}

/**
 * The candidate extras over the example's frames, all running sums (or a running max / min):
 * dd: mean, sd of the second difference over three adjacent voiced frames (2F);
 * mom: skewness, excess kurtosis of the voiced frames and of their first difference (4F);
 * vf: voiced fraction of the segment, sd of c0 over all its frames, max − min of c0 voiced (3).
 */
function extras(e: Example, f: number): Record<Exclude<Group, 'base'>, Float64Array> {
  const dd = new Float64Array(2 * f), mom = new Float64Array(4 * f);
  let voicedCount = 0;
  for (let t = 0; t < e.frames; t++) voicedCount += e.voiced[t] === 1 ? 1 : 0;
  for (let c = 0; c < f; c++) {
    let xn = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0, dn = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, an = 0, a1 = 0, a2 = 0;
    let run = 0;
    let prev = 0, prevD = 0;
    for (let t = 0; t < e.frames; t++) {
      if (e.voiced[t] !== 1) {
        run = 0;
        continue;
      }
      const v = e.x[t * f + c]!;
      xn++; x1 += v; x2 += v * v; x3 += v ** 3; x4 += v ** 4;
      if (run >= 1) {
        const dv = v - prev;
        dn++; d1 += dv; d2 += dv * dv; d3 += dv ** 3; d4 += dv ** 4;
        if (run >= 2) {
          const a = dv - prevD;
          an++; a1 += a; a2 += a * a;
        }
        prevD = dv;
      }
      prev = v;
      run++;
    }
    const m2 = a1 / Math.max(an, 1);
    dd[c] = m2;
    dd[f + c] = Math.sqrt(Math.max(a2 / Math.max(an, 1) - m2 * m2, 0) + STATS_VAR_EPS);
    const [xs, xk] = moments(x1, x2, x3, x4, xn);
    const [ds, dk] = moments(d1, d2, d3, d4, dn);
    mom[c] = xs; mom[f + c] = xk; mom[2 * f + c] = ds; mom[3 * f + c] = dk;
  }
  let s = 0, ss = 0, hi = -Infinity, lo = Infinity;
  for (let t = 0; t < e.frames; t++) {
    const v = e.x[t * f]!;
    s += v;
    ss += v * v;
    if (e.voiced[t] === 1) { hi = Math.max(hi, v); lo = Math.min(lo, v); }
  }
  const m = s / e.frames;
  const vf = Float64Array.of(voicedCount / e.frames, Math.sqrt(Math.max(ss / e.frames - m * m, 0) + STATS_VAR_EPS), voicedCount > 0 ? hi - lo : 0);
  return { dd, mom, vf };
}

type Stats = Record<Group, Float64Array>;

function select(all: readonly Stats[], groups: readonly Group[]): Float64Array[] {
  return all.map((s) => {
    const parts = groups.map((g) => s[g]);
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  });
}

interface FoldRow { fold: number; statsWide: number; statsTel: number; fusedWide: number; fusedTel: number }

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, cv: { type: 'string' }, candidates: { type: 'string' }, folds: { type: 'string' }, out: { type: 'string' } }, strict: true });
  if (values.data === undefined || values.cv === undefined) throw new Error('expected --data <dir> --cv <cv dir>');
  await selectEngine('auto');
  const dataDir = resolve(values.data);
  const cacheDir = resolve('.cache/features');
  const wanted = values.candidates?.split(',');
  const candidates = wanted === undefined ? CANDIDATES : CANDIDATES.filter((c) => wanted.includes(c.name));
  const foldFilter = values.folds?.split(',').map(Number);
  const rows: Record<string, FoldRow[]> = Object.fromEntries(candidates.map((c) => [c.name, []]));
  const netRows: FoldRow[] = [];
  const dataset = scanDataset(dataDir, { layout: 'ravdess' });
  for (const fold of foldDirs(resolve(values.cv))) {
    if (foldFilter !== undefined && !foldFilter.includes(fold.index)) continue;
    const model = await loadModel(fold.dir);
    const { meta } = model;
    const f = meta.featureConfig.numCoeffs;
    const classes = meta.labels.length;
    const { items, span, speakers } = headTrainingItems(meta, dataDir, cacheDir);
    const testClips = dataset.clips.filter((c) => c.speaker !== null && !speakers.includes(c.speaker));
    const testOf = (telephone: boolean): FeatureItem[] =>
      loadFeatures(testClips, { labels: meta.labels, augment: null, seed: 0, cacheDir, telephone, ...featureOptionsOf(meta) }).items;
    const wide = testOf(false), tel = testOf(true);
    const netCache = join(resolve('.cache/stats-probe'), `${basename(resolve(values.cv))}-fold${fold.index}.json`);
    let net: { wide: number[][]; tel: number[][] };
    if (existsSync(netCache)) net = JSON.parse(readFileSync(netCache, 'utf8')) as typeof net;
    else {
      net = { wide: offlineProbabilities(model, wide).map((p) => Array.from(p)), tel: offlineProbabilities(model, tel).map((p) => Array.from(p)) };
      mkdirSync(resolve('.cache/stats-probe'), { recursive: true });
      writeFileSync(netCache, JSON.stringify(net));
    }
    model.dispose();
    const statsOf = (fe: Parameters<typeof clipUtteranceStats>[0]): Stats => ({ base: clipUtteranceStats(fe, meta.norm, span), ...extras(toExample(fe, 0, meta.norm, span), f) });
    const trainStats = items.flatMap((it) => it.versions.map(statsOf));
    const ys = items.flatMap((it) => it.versions.map(() => it.labelIdx));
    const wideStats = wide.map((it) => statsOf(it.versions[0]!));
    const telStats = tel.map((it) => statsOf(it.versions[0]!));
    const truthW = wide.map((it) => it.labelIdx), truthT = tel.map((it) => it.labelIdx);
    const netW = net.wide, netT = net.tel;
    netRows.push({ fold: fold.index, statsWide: NaN, statsTel: NaN, fusedWide: uar(truthW, netW, meta.labels), fusedTel: uar(truthT, netT, meta.labels) });
    console.log(`fold ${fold.index}: ${trainStats.length} training versions, net wide ${netRows.at(-1)!.fusedWide.toFixed(1)} tel ${netRows.at(-1)!.fusedTel.toFixed(1)}`);
    for (const cand of candidates) {
      const started = Date.now();
      const xs = select(trainStats, cand.groups), xw = select(wideStats, cand.groups), xt = select(telStats, cand.groups);
      const heads = cand.seeds.map((seed) => fitStatsHead(xs, ys, classes, { ...DEFAULT_STATS_HEAD_FIT, hidden: cand.hidden, l2: cand.l2, seed }));
      const logitsOf = (x: Float64Array): Float64Array => {
        const sum = new Float64Array(classes);
        for (const h of heads) headLogits(h, x, classes).forEach((v, k) => { sum[k]! += v / heads.length; });
        return sum;
      };
      const lw = xw.map(logitsOf), lt = xt.map(logitsOf);
      const row: FoldRow = { fold: fold.index, statsWide: uar(truthW, lw, meta.labels), statsTel: uar(truthT, lt, meta.labels), fusedWide: uar(truthW, fuse(netW, lw), meta.labels), fusedTel: uar(truthT, fuse(netT, lt), meta.labels) };
      rows[cand.name]!.push(row);
      console.log(`fold ${fold.index} ${cand.name} (${xs[0]!.length} stats, ${((Date.now() - started) / 1000).toFixed(0)} s): stats wide ${row.statsWide.toFixed(1)} tel ${row.statsTel.toFixed(1)} | fused wide ${row.fusedWide.toFixed(1)} tel ${row.fusedTel.toFixed(1)}`);
    }
  }
  if (values.out !== undefined) writeFileSync(resolve(values.out), `${JSON.stringify({ cv: values.cv, net: netRows, candidates: candidates.map((c) => ({ ...c, folds: rows[c.name] })) }, null, 1)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
