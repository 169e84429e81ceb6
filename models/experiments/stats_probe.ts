/**
 * Probe: how far do utterance statistics of the model's own features go, alone and fused
 * with a CV run's fold models? Per fold (same speaker groups as `npm run cv`): a softmax
 * classifier on per-clip statistics of the voiced frames (mean, sd of each coefficient and
 * of its delta), trained on the fold's training actors (originals + augmented copies),
 * scored on its test actors (wideband and telephone), and fused with the fold's network
 * (sum of log-probabilities). Offline only: the network's final result equals what the
 * server streams for cnn-attn-lstm (streaming = offline test).
 *
 *   node --import tsx models/experiments/stats_probe.ts --data <dir> --cv models/cv/r3-big-cal [--num-coeffs 20]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../engine.js';
import { loadModel } from '../io.js';
import { foldDirs } from '../eval/cv_eval.js';
import { makeFolds } from '../train/cv.js';
import { scanDataset } from '../train/dataset.js';
import { DEFAULT_AUGMENT } from '../train/augment.js';
import { loadFeatures, type FeatureItem } from '../train/load_features.js';
import { offlineProbabilities } from '../train/evaluate_run.js';
import { computeMetrics, argmax } from '../train/metrics.js';
import { RAVDESS_LABELS } from '../train/ravdess.js';
import type { ClipFeatures } from '../train/features.js';
import { utteranceSpan } from '../train/examples.js';

/** mean, sd of each coefficient and of its first difference, over voiced frames. */
let FRAMES: 'voiced' | 'span' = 'voiced';
export function clipStats(f: ClipFeatures): Float32Array {
  const n = f.numCoeffs;
  const frames: number[] = [];
  if (FRAMES === 'span') {
    const { start, end } = utteranceSpan(f, { stepFrames: 8, resetAfterSilenceFrames: 50, maxFrames: 800 });
    for (let i = start; i < end; i += 1) frames.push(i);
  } else for (let i = 0; i < f.count; i += 1) if (f.voiced[i] === 1) frames.push(i);
  if (frames.length < 3) for (let i = 0; i < f.count; i += 1) frames.push(i);
  const out = new Float32Array(4 * n);
  for (let c = 0; c < n; c += 1) {
    let s = 0, ss = 0, d = 0, dd = 0, nd = 0;
    for (let k = 0; k < frames.length; k += 1) {
      const v = f.coeffs[(frames[k] as number) * n + c] as number;
      s += v;
      ss += v * v;
      if (k > 0 && frames[k] === (frames[k - 1] as number) + 1) {
        const dv = v - (f.coeffs[(frames[k - 1] as number) * n + c] as number);
        d += dv;
        dd += dv * dv;
        nd += 1;
      }
    }
    const m = s / frames.length;
    out[c] = m;
    out[n + c] = Math.sqrt(Math.max(ss / frames.length - m * m, 0));
    const md = nd > 0 ? d / nd : 0;
    out[2 * n + c] = md;
    out[3 * n + c] = nd > 0 ? Math.sqrt(Math.max(dd / nd - md * md, 0)) : 0;
  }
  return out;
}

function standardise(train: Float32Array[], rest: Float32Array[][]): void {
  const dim = (train[0] as Float32Array).length;
  const mean = new Float64Array(dim), sd = new Float64Array(dim);
  for (const x of train) for (let j = 0; j < dim; j += 1) mean[j] = (mean[j] as number) + (x[j] as number) / train.length;
  for (const x of train) for (let j = 0; j < dim; j += 1) sd[j] = (sd[j] as number) + ((x[j] as number) - (mean[j] as number)) ** 2 / train.length;
  for (let j = 0; j < dim; j += 1) sd[j] = Math.sqrt(sd[j] as number) + 1e-6;
  for (const set of [train, ...rest]) for (const x of set) for (let j = 0; j < dim; j += 1) x[j] = ((x[j] as number) - (mean[j] as number)) / (sd[j] as number);
}

function fitSoftmax(xs: Float32Array[], ys: number[], hidden: number, l2: number, epochs: number, seed: number): (x: Float32Array[]) => Float32Array[] {
  const dim = (xs[0] as Float32Array).length;
  const k = RAVDESS_LABELS.length;
  const X = tf.tensor2d(xs.map((x) => Array.from(x)));
  const Y = tf.oneHot(tf.tensor1d(ys, 'int32'), k).toFloat();
  const vars: tf.Variable[] = [];
  const w1 = tf.variable(tf.randomNormal([dim, hidden > 0 ? hidden : k], 0, Math.sqrt(2 / dim), 'float32', seed));
  const b1 = tf.variable(tf.zeros([hidden > 0 ? hidden : k]));
  vars.push(w1, b1);
  const w2 = hidden > 0 ? tf.variable(tf.randomNormal([hidden, k], 0, Math.sqrt(1 / hidden), 'float32', seed + 1)) : null;
  const b2 = hidden > 0 ? tf.variable(tf.zeros([k])) : null;
  if (w2 !== null && b2 !== null) vars.push(w2, b2);
  const logits = (x: tf.Tensor2D, train: boolean): tf.Tensor2D => {
    const h = tf.add(tf.matMul(x, w1), b1) as tf.Tensor2D;
    if (w2 === null || b2 === null) return h;
    const a = tf.relu(h);
    const dropped = train ? tf.dropout(a, 0.3) : a;
    return tf.add(tf.matMul(dropped as tf.Tensor2D, w2), b2) as tf.Tensor2D;
  };
  const opt = tf.train.adam(0.01);
  for (let e = 0; e < epochs; e += 1) {
    opt.minimize(() => {
      const ce = tf.losses.softmaxCrossEntropy(Y, logits(X, true));
      const reg = vars.filter((_, i) => i % 2 === 0).reduce((acc, v) => tf.add(acc, tf.mul(l2, tf.sum(tf.square(v)))), tf.scalar(0));
      return tf.add(ce, reg) as tf.Scalar;
    });
  }
  X.dispose();
  Y.dispose();
  return (x) => tf.tidy(() => {
    const p = tf.softmax(logits(tf.tensor2d(x.map((r) => Array.from(r))), false)).arraySync() as number[][];
    return p.map((r) => Float32Array.from(r));
  });
}

function uar(items: readonly FeatureItem[], probs: readonly Float32Array[]): number {
  return computeMetrics(items.map((i) => i.labelIdx), probs.map((p) => argmax(p)), RAVDESS_LABELS).uar;
}

function fuse(a: readonly Float32Array[], b: readonly Float32Array[], w: number): Float32Array[] {
  return a.map((p, i) => Float32Array.from(p, (v, j) => Math.log(v + 1e-9) + w * Math.log(((b[i] as Float32Array)[j] as number) + 1e-9)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, cv: { type: 'string' }, 'num-coeffs': { type: 'string' }, hidden: { type: 'string' }, l2: { type: 'string' }, epochs: { type: 'string' }, frames: { type: 'string' } } });
  if (values.frames === 'span') FRAMES = 'span';
  await selectEngine('auto');
  const dataset = scanDataset(values.data as string, { layout: 'ravdess' });
  const numCoeffs = values['num-coeffs'] === undefined ? undefined : Number(values['num-coeffs']);
  const hidden = Number(values.hidden ?? 0), l2 = Number(values.l2 ?? 1e-3), epochs = Number(values.epochs ?? 300);
  const folds = makeFolds(dataset.clips.map((c) => c.speaker as string), 5);
  const nets = values.cv === undefined ? [] : foldDirs(values.cv);
  const rows: string[] = [];
  for (const fold of folds) {
    const train = dataset.clips.filter((c) => fold.trainSpeakers.includes(c.speaker as string));
    const test = dataset.clips.filter((c) => fold.testSpeakers.includes(c.speaker as string));
    const base = { labels: RAVDESS_LABELS, seed: 1, cacheDir: '.cache/features', numCoeffs };
    const tr = loadFeatures(train, { ...base, augment: DEFAULT_AUGMENT }).items;
    const wide = loadFeatures(test, { ...base, augment: null }).items;
    const tel = loadFeatures(test, { ...base, augment: null, telephone: true }).items;
    const xs = tr.flatMap((it) => it.versions.map((v) => clipStats(v)));
    const ys = tr.flatMap((it) => it.versions.map(() => it.labelIdx));
    const xw = wide.map((it) => clipStats(it.versions[0] as ClipFeatures));
    const xt = tel.map((it) => clipStats(it.versions[0] as ClipFeatures));
    standardise(xs, [xw, xt]);
    const predict = fitSoftmax(xs, ys, hidden, l2, epochs, fold.index);
    const pw = predict(xw), pt = predict(xt);
    let line = `fold ${fold.index}: stats wide ${(100 * uar(wide, pw)).toFixed(1)} tel ${(100 * uar(tel, pt)).toFixed(1)}`;
    const net = nets.find((n) => n.index === fold.index);
    if (net !== undefined) {
      const model = await loadModel(net.dir);
      const nw = offlineProbabilities(model, wide), nt = offlineProbabilities(model, tel);
      line += ` | net wide ${(100 * uar(wide, nw)).toFixed(1)} tel ${(100 * uar(tel, nt)).toFixed(1)}`;
      for (const w of [0.5, 1]) line += ` | fused w${w} wide ${(100 * uar(wide, fuse(nw, pw, w))).toFixed(1)} tel ${(100 * uar(tel, fuse(nt, pt, w))).toFixed(1)}`;
      model.dispose();
    }
    console.log(line);
    rows.push(line);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
