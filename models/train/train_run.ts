/**
 * A whole training run: data → model → epochs with early stopping on validation UAR,
 * a cosine learning-rate schedule, per-epoch checkpoints, resume → the best weights saved
 * with saveModel. Used by the `train` CLI and the smoke test.
 */
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createModel, disposeModel, hasStepOutputs, resolveHyper, stepFramesOf, type Model } from '../architectures/index.js';
import { selectEngine } from '../engine.js';
import { saveModel } from '../io.js';
import { planBatches, classWeights } from './batching.js';
import { configHash, learningRateAt, validateTrainConfig, type TrainConfig } from './train_config.js';
import { loadCheckpointState, readWeights, saveCheckpoint, type TrainState, type WeightEntry } from './checkpoint.js';
import { argmax, computeMetrics, type Metrics } from './metrics.js';
import { Prng } from './prng.js';
import { createProgress, JsonLinesLog, type EpochRecord } from './progress.js';
import { randomTrailing } from './examples.js';
import { buildMeta } from './train_meta.js';
import { teacherTargets } from './distill.js';
import { prepareTrainData, type TrainData } from './train_data.js';
import { predictExamples, trainStep } from './train_step.js';

export interface TrainResult {
  outDir: string;
  history: EpochRecord[];
  bestEpoch: number;
  /** Validation metrics of the saved model; null when paused by stopAfterEpoch. */
  valMetrics: Metrics | null;
  skipped: number;
  stoppedEarly: boolean;
}

function snapshot(model: Model): WeightEntry[] {
  return Object.entries(model.params).map(([name, v]) => ({ name, shape: v.shape, values: v.dataSync() as Float32Array }));
}

function restore(model: Model, weights: readonly WeightEntry[]): void {
  for (const w of weights) {
    const v = model.params[w.name];
    if (v === undefined) throw new Error(`checkpoint: expected parameter ${w.name} in the model, got none`);
    const t = tf.tensor(w.values, w.shape);
    v.assign(t);
    t.dispose();
  }
}

function validate(model: Model, data: TrainData, batchSize: number): Metrics {
  const probs = predictExamples(model, data.val, batchSize);
  return computeMetrics(data.val.map((e) => e.labelIdx), probs.map((p) => argmax(p)), data.dataset.labels);
}

/** Gives every training example its teachers' soft target (distill.ts). */
async function attachTeacherTargets(config: TrainConfig, data: TrainData, say: (msg: string) => void): Promise<void> {
  const targets = await teacherTargets(
    {
      teachers: config.teachers,
      labels: data.dataset.labels,
      loadedClips: data.split.train,
      clips: data.trainClips,
      versionsPerClip: data.train.map((versions) => versions.length),
      allowedSpeakers: data.split.trainSpeakers,
      augment: config.augment,
      seed: config.seed,
      cacheDir: config.cacheDir,
      temperature: config.distillTemperature,
    },
    say,
  );
  data.train.forEach((versions, i) => versions.forEach((e, v) => (e.soft = targets[i]![v]!)));
}

export async function runTraining(requested: TrainConfig): Promise<TrainResult> {
  let config = requested;
  validateTrainConfig(config);
  if (config.valSpeakers !== null && config.valSpeakers.length === 0 && config.keep !== 'last') {
    throw new Error("expected keep 'last' when there are no validation speakers (nothing to choose the best epoch on), got 'best'");
  }
  const out = config.outDir;
  const log = new JsonLinesLog(`${out}/train.log`);
  const say = (msg: string, fields: Record<string, unknown> = {}): void => {
    log.write('info', { msg, ...fields });
    if (!config.quiet) process.stderr.write(`${msg}${Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
  const engine = await selectEngine(config.engine);
  say('engine', { engine });

  if (config.stepLossWeight > 0 && !hasStepOutputs(config.arch)) {
    say(`note: ${config.arch} has no per-step outputs; the per-step loss (weight ${config.stepLossWeight}) is off, the final result alone is trained`);
    config = { ...config, stepLossWeight: 0 };
  }
  const stepFrames = stepFramesOf({ arch: config.arch, hyper: resolveHyper(config.arch, config.hyper) });
  const span = { stepFrames, resetAfterSilenceFrames: config.resetAfterSilenceFrames, maxFrames: config.maxFrames };
  const data = prepareTrainData(config, span, say);
  if (config.teachers.length > 0) await attachTeacherTargets(config, data, say);
  const numClasses = data.dataset.labels.length;
  const model = createModel(config.arch, { ...config.hyper, numCoeffs: data.norm.mean.length, numClasses }, config.seed);
  const labelsTrain = data.train.map((versions) => versions[0]!.labelIdx);
  const weightsPerClass = classWeights(labelsTrain, numClasses);
  const hash = configHash(config);

  let state: Omit<TrainState, 'lastWeights' | 'bestWeights'> & { bestWeights?: string } = {
    epoch: 0,
    bestMetric: -1,
    bestEpoch: 0,
    epochsSinceBest: 0,
    learningRate: learningRateAt(config, 1),
    prngState: new Prng(config.seed).state,
    history: [],
    configHash: hash,
  };
  const saved = config.resume ? loadCheckpointState(out) : null;
  if (saved !== null) {
    if (saved.configHash !== hash) {
      throw new Error(`--resume: expected the settings of the checkpointed run (config ${saved.configHash}), got ${hash}; use a new --out`);
    }
    restore(model, readWeights(`${out}/checkpoint`, saved.lastWeights));
    state = saved;
    say(`resumed after epoch ${saved.epoch}`, { bestEpoch: saved.bestEpoch, bestUar: saved.bestMetric });
  }
  log.write('start', { config: { ...config, hyper: model.hyper }, configHash: hash, engine, trainVersions: data.trainVersions });

  const prng = Prng.fromState(state.prngState);
  const optimizer = tf.train.adam(learningRateAt(config, state.epoch + 1));
  const batchesPerEpoch = Math.ceil(data.train.length / config.batchSize);
  const progress = createProgress(batchesPerEpoch * config.epochs, batchesPerEpoch * state.epoch, config.quiet);
  let stoppedEarly = state.epochsSinceBest >= config.patience;
  try {
    while (state.epoch < config.epochs && !stoppedEarly) {
      const epoch = state.epoch + 1;
      const started = performance.now();
      const learningRate = learningRateAt(config, epoch);
      // Adam's rate is a plain field; setting it keeps the moment estimates.
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      // One version per clip this epoch: the original or one of its augmented copies.
      const chosen = data.train.map((versions) => randomTrailing(versions[prng.int(0, versions.length - 1)]!, stepFrames, prng));
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (const idx of planBatches(chosen.map((e) => e.frames), config.batchSize, prng)) {
        const batch = idx.map((i) => chosen[i]!);
        const r = trainStep(model, optimizer, batch, weightsPerClass, prng.int(0, 2 ** 30), {
          stepLossWeight: config.stepLossWeight,
          masks: config.masks,
          mixupAlpha: config.mixupAlpha,
          prng,
          distill: config.teachers.length === 0 ? null : { weight: config.distillWeight, temperature: config.distillTemperature },
        });
        lossSum += r.loss * batch.length;
        correct += r.correct;
        seen += batch.length;
        progress.batch(epoch, lossSum / seen);
      }
      // Without validation speakers (a final model on every speaker) each epoch counts as the best.
      const val = data.val.length === 0 ? null : validate(model, data, config.batchSize);
      const isBest = val === null || val.uar > state.bestMetric;
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        trainAccuracy: correct / seen,
        valAccuracy: val?.accuracy ?? Number.NaN,
        valUar: val?.uar ?? Number.NaN,
        valMacroF1: val?.macroF1 ?? Number.NaN,
        learningRate,
        seconds: (performance.now() - started) / 1000,
        best: isBest,
      };
      const epochsSinceBest = isBest ? 0 : state.epochsSinceBest + 1;
      state = saveCheckpoint(
        out,
        {
          ...state,
          epoch,
          bestMetric: isBest ? (val?.uar ?? -1) : state.bestMetric,
          bestEpoch: isBest ? epoch : state.bestEpoch,
          epochsSinceBest,
          learningRate,
          prngState: prng.state,
          history: [...state.history, record],
        },
        snapshot(model),
        isBest,
      );
      log.write('epoch', { ...record });
      progress.epochDone(record);
      stoppedEarly = epochsSinceBest >= config.patience;
      if (config.stopAfterEpoch !== null && epoch >= config.stopAfterEpoch) break;
    }
  } finally {
    progress.stop();
    optimizer.dispose();
  }

  const best = loadCheckpointState(out);
  if (best === null) throw new Error('expected a checkpoint after training, got none');
  if (config.stopAfterEpoch !== null && best.epoch < config.epochs && !stoppedEarly) {
    say(`paused after epoch ${best.epoch}; continue with --resume`);
    disposeModel(model);
    return { outDir: out, history: best.history, bestEpoch: best.bestEpoch, valMetrics: null, skipped: data.skipped.length, stoppedEarly };
  }
  restore(model, readWeights(`${out}/checkpoint`, config.keep === 'last' ? best.lastWeights : best.bestWeights));
  const valMetrics = data.val.length === 0 ? null : validate(model, data, config.batchSize);
  const meta = buildMeta({
    config: { ...config, id: config.id || basename(out) },
    model,
    data,
    weightsPerClass,
    state: best,
    valMetrics,
  });
  await saveModel(out, meta, model.params);
  disposeModel(model);
  log.write('saved', { outDir: out, bestEpoch: best.bestEpoch, keep: config.keep, valUar: valMetrics?.uar, valAccuracy: valMetrics?.accuracy, valMacroF1: valMetrics?.macroF1 });
  say(`saved ${out} (${config.keep} epoch ${config.keep === 'last' ? best.epoch : best.bestEpoch}${valMetrics === null ? ', no validation speakers' : `: val UAR ${(100 * valMetrics.uar).toFixed(1)} %`})`);
  return { outDir: out, history: best.history, bestEpoch: best.bestEpoch, valMetrics, skipped: data.skipped.length, stoppedEarly };
}
