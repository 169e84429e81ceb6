/**
 * Probe: does normalising the stats head's input by the speaker's earlier utterances help?
 * The server sees one speaker and one channel per stream; a call lasts many utterances. The
 * fact sheet's SVM gained 6–8 points from z-scoring utterance statistics per speaker (with
 * every utterance of the speaker known). Here the reference is causal and shrunk: after n
 * earlier utterances of the same speaker and channel, the reference mean and variance of
 * each of the 80 served statistics are (n · speaker + n0 · global) / (n + n0), so the first
 * utterance of a stream is normalised by the training set's global figures alone.
 *
 * Per fold of a CV run (the fold network unchanged; its answers cached as stats_probe
 * caches them), heads fitted by the served fitter on the fold's training actors, wideband
 * and telephone originals (steep band + μ-law), and scored on the held-out actors:
 * - `base`: the served recipe (all 7 training versions, raw statistics), for reference;
 * - `u`: raw statistics, wideband + telephone originals (the like-for-like reference);
 * - `z-mix`: statistics re-referenced to the speaker (u' = mean_G + sd_G · z, the served
 *   SpeakerReference), the head fitted on the wideband and telephone originals only, each
 *   with HISTORY_DRAWS_PER_CLIP histories of n ∈ HISTORY_SIZES earlier clips drawn from the
 *   speaker's other clips of the same channel (n = 0 included);
 * - `ref7`: the served recipe (`fit-stats-head --speaker-norm`, speaker_norm_fit.ts): the
 *   plain head's 7 versions per clip with no history, plus the originals' draws with n > 0.
 * (A first run also had `uz-mix`, raw statistics and z-scores side by side, 160 inputs.)
 * Test histories: n = 0 (a one-clip session: must equal `u`'s behaviour), 4, 16, all other
 * clips (59), and `session`: the speaker's clips in a random order, each normalised by the
 * ones before it (what a stream of a speaker's utterances would see), two orders averaged.
 *
 *   node --import tsx models/experiments/speaker_norm_probe.ts --data <dir> --cv models/cv/r3-big-cal \
 *     [--folds 1,2] [--n0 8] [--candidates base,u,z-mix,ref7]
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
import { headTrainingItems } from '../train/fit_stats_head.js';
import { Prng } from '../train/prng.js';
import { channelStats, drawDistinct, historyDraws, referencedStats, speakerNormConfig, speakerNormExamples, type ChannelStats } from '../train/speaker_norm_fit.js';
import { clipUtteranceStats, DEFAULT_STATS_HEAD_FIT, fitStatsHead, type StatsHeadWeights } from '../train/stats_head_fit.js';
import type { SpeakerNormConfig } from '../streaming/speaker_reference.js';
import { fuse, headLogits, uar } from './probe_common.js';

const TEST_MODES = ['n0', 'n4', 'n16', 'all', 'session'] as const;
type Mode = (typeof TEST_MODES)[number];

/** The histories each test clip gets in `mode` (indices of earlier clips of its speaker); `session`: two orders. */
function testHistories(c: ChannelStats, mode: Mode, prng: Prng): number[][][] {
  return Array.from({ length: mode === 'session' ? 2 : 1 }, () => {
    const out: number[][] = c.u.map(() => []);
    for (const idx of c.bySpeaker.values()) {
      if (mode === 'session') {
        const order = drawDistinct(idx, idx.length, prng);
        order.forEach((i, k) => { out[i] = order.slice(0, k); });
        continue;
      }
      for (const i of idx) {
        const others = idx.filter((k) => k !== i);
        out[i] = mode === 'all' ? others : drawDistinct(others, mode === 'n0' ? 0 : mode === 'n4' ? 4 : 16, prng);
      }
    }
    return out;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, cv: { type: 'string' }, folds: { type: 'string' }, n0: { type: 'string' }, candidates: { type: 'string' } }, strict: true });
  if (values.data === undefined || values.cv === undefined) throw new Error('expected --data <dir> --cv <cv dir>');
  await selectEngine('auto');
  const n0 = Number(values.n0 ?? 8);
  const dataDir = resolve(values.data);
  const cacheDir = resolve('.cache/features');
  const foldFilter = values.folds?.split(',').map(Number);
  const wanted = values.candidates?.split(',') ?? ['base', 'u', 'z-mix', 'ref7'];
  const dataset = scanDataset(dataDir, { layout: 'ravdess' });
  const fit = { ...DEFAULT_STATS_HEAD_FIT, hidden: 64 };
  for (const fold of foldDirs(resolve(values.cv))) {
    if (foldFilter !== undefined && !foldFilter.includes(fold.index)) continue;
    const model = await loadModel(fold.dir);
    const { meta } = model;
    const classes = meta.labels.length;
    const { items: servedItems, span, speakers } = headTrainingItems(meta, dataDir, cacheDir);
    const load = (clips: typeof dataset.clips, telephone: boolean): FeatureItem[] =>
      loadFeatures(clips, { labels: meta.labels, augment: null, seed: 0, cacheDir, telephone, ...featureOptionsOf(meta) }).items;
    const channel = (items: readonly FeatureItem[]): ChannelStats =>
      channelStats(items.map((it) => ({ u: clipUtteranceStats(it.versions[0]!, meta.norm, span), y: it.labelIdx, speaker: it.clip.speaker ?? '?' })));
    const trainClips = dataset.clips.filter((c) => c.speaker !== null && speakers.includes(c.speaker));
    const testClips = dataset.clips.filter((c) => c.speaker !== null && !speakers.includes(c.speaker));
    const train = [channel(load(trainClips, false)), channel(load(trainClips, true))];
    const wideTest = load(testClips, false), telTest = load(testClips, true);
    const test = { wide: channel(wideTest), tel: channel(telTest) };
    const netCache = join(resolve('.cache/stats-probe'), `${basename(resolve(values.cv))}-fold${fold.index}.json`);
    let net: { wide: number[][]; tel: number[][] };
    if (existsSync(netCache)) net = JSON.parse(readFileSync(netCache, 'utf8')) as typeof net;
    else {
      net = { wide: offlineProbabilities(model, wideTest).map((p) => Array.from(p)), tel: offlineProbabilities(model, telTest).map((p) => Array.from(p)) };
      mkdirSync(resolve('.cache/stats-probe'), { recursive: true });
      writeFileSync(netCache, JSON.stringify(net));
    }
    model.dispose();
    const config: SpeakerNormConfig = speakerNormConfig(train, n0, 0);
    const plainX = (c: ChannelStats, i: number): Float64Array => c.u[i]!;
    const refX = (c: ChannelStats, i: number, hist: readonly number[]): Float64Array => referencedStats(c, i, hist, config);
    const score = (name: string, head: StatsHeadWeights, xOf: (c: ChannelStats, i: number, hist: readonly number[]) => Float64Array, modes: readonly (Mode | '-')[]): void => {
      for (const mode of modes) {
        const tp = new Prng(7 + fold.index);
        const one = (c: ChannelStats, netP: number[][]): [number, number] => {
          const runs = (mode === '-' ? [c.u.map(() => [])] : testHistories(c, mode, tp)).map((h) => {
            const l = c.u.map((_, i) => headLogits(head, xOf(c, i, h[i]!), classes));
            return [uar(c.y, fuse(netP, l), meta.labels), uar(c.y, l, meta.labels)] as const;
          });
          return [runs.reduce((a, r) => a + r[0], 0) / runs.length, runs.reduce((a, r) => a + r[1], 0) / runs.length];
        };
        const [fw, hw] = one(test.wide, net.wide);
        const [ft, ht] = one(test.tel, net.tel);
        console.log(`fold ${fold.index} ${name} ${mode}: fused wide ${fw.toFixed(1)} tel ${ft.toFixed(1)} | head wide ${hw.toFixed(1)} tel ${ht.toFixed(1)}`);
      }
    };
    const started = Date.now();
    const served = servedItems.flatMap((it) => it.versions.map((v) => ({ x: clipUtteranceStats(v, meta.norm, span), y: it.labelIdx })));
    if (wanted.includes('base')) score('base', fitStatsHead(served.map((e) => e.x), served.map((e) => e.y), classes, fit), plainX, ['-']);
    if (wanted.includes('u')) score('u', fitStatsHead(train.flatMap((c) => c.u), train.flatMap((c) => c.y), classes, fit), plainX, ['-']);
    if (wanted.includes('z-mix')) {
      const draws = historyDraws(train, 1000 + fold.index);
      score('z-mix', fitStatsHead(draws.map((d) => refX(d.channel, d.index, d.history)), draws.map((d) => d.channel.y[d.index]!), classes, fit), refX, TEST_MODES);
    }
    if (wanted.includes('ref7')) {
      const ex = speakerNormExamples(served, train, config, 1000 + fold.index);
      score('ref7', fitStatsHead(ex.xs, ex.ys, classes, fit), refX, TEST_MODES);
    }
    console.log(`fold ${fold.index} done in ${((Date.now() - started) / 1000).toFixed(0)} s (n0 ${n0})`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
