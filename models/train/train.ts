/**
 * `npm run train -- --data <dir> --arch cnn-attn-lstm --out models/<id>` — trains a model on
 * a RAVDESS tree or a `<dir>/<label>/*.wav` folder and saves it with saveModel.
 */
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PITCH_FEATURES } from '../../shared/dsp/pitch.js';
import { NETWORK_ARCH_NAMES, type ArchName, type Hyper } from '../architectures/index.js';
import { ENGINE_NAMES, type EnginePreference } from '../engine.js';
import { DEFAULT_AUGMENT, DEFAULT_BABBLE_SNR_DB, validateAugmentConfig } from './augment.js';
import { DEFAULT_MASKS, type MaskConfig } from './batch_regularize.js';
import { LAYOUTS, type Layout } from './dataset.js';
import { parseSpeakerList } from './split.js';
import { TELEPHONE_FILTERS, type TelephoneFilter } from './telephone.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './train_config.js';
import { runTraining } from './train_run.js';

const D = DEFAULT_TRAIN_CONFIG;
const HELP = `Usage: npm run train -- --data <dir> --out <model dir> [options]

Data
  --data <dir>              RAVDESS tree (03-01-EE-II-SS-RR-AA.wav) or <dir>/<label>/*.wav (required)
  --layout <l>              ${LAYOUTS.join(' | ')} (default ${D.layout})
  --labels <a,b,...>        labels in output order; any other label is an error (default: RAVDESS order / sorted folders)
  --train-actors <list>     speakers to train on, e.g. 1-16 (RAVDESS default 1-16)
  --val-actors <list>       speakers to validate on, e.g. 17-20 (RAVDESS default 17-20); 'none' trains on
                            every speaker (the shipped model, after choosing the recipe by npm run cv; needs --keep last)
  --val-fraction <x>        generic layout without lists: share of speakers held out (default ${D.valFraction})
                            (generic layout: name files <speaker>_<anything>.wav so speakers stay apart)
  --data-description <s>    corpus description written to meta.json
Model
  --arch <name>             ${NETWORK_ARCH_NAMES.join(' | ')} (default ${D.arch})
  --hyper <k=v,...>         hyper-parameter overrides, lists with ':' (e.g. lstmUnits=64,convChannels=32:32:32)
  --out <dir>               output model directory (required); checkpoints in <out>/checkpoint/
  --id <id>                 model id (default: the --out directory name)
Training
  --epochs <n>              maximum epochs (default ${D.epochs})
  --patience <n>            early stopping on validation UAR (default ${D.patience})
  --batch-size <n>          clips per batch (default ${D.batchSize})
  --lr <x>                  Adam learning rate at epoch 1 (default ${D.learningRate})
  --min-lr <x>              learning rate at the last epoch, cosine decay (default ${D.minLearningRate})
  --seed <n>                seed of init, shuffling, augmentation, dropout (default ${D.seed})
  --augment-copies <n>      augmented copies per training clip, 0 = none (default ${DEFAULT_AUGMENT.copies})
  --telephone-prob <x>      share of copies degraded to 8 kHz mu-law telephone audio (default ${DEFAULT_AUGMENT.telephoneProb})
  --narrowband              every version a call, the original too (telephone prob 1): a model for 8 kHz streams
  --telephone-filter <f>    ${TELEPHONE_FILTERS.join(' | ')}: band limit of those copies (default ${DEFAULT_AUGMENT.telephoneFilter})
  --gain-db <lo:hi>         gain range of every copy, dB (default ${DEFAULT_AUGMENT.gainDb.join(':')})
  --tilt-prob <x>           share of copies given a spectral tilt of up to ±6 dB/octave (default ${DEFAULT_AUGMENT.tiltProb})
  --speed-prob <x>          share of copies resampled to a new speed (pitch, formants and tempo together) (default ${DEFAULT_AUGMENT.speedProb})
  --speed-range <lo:hi>     speed factor range of those copies (default ${DEFAULT_AUGMENT.speedRange.join(':')})
  --babble-prob <x>         share of copies given babble of 6 other training speakers (default 0: none)
  --babble-snr-db <lo:hi>   SNR range of that babble against the speech level, dB (default ${DEFAULT_BABBLE_SNR_DB.join(':')})
  --babble-wideband-only    keep babble off the telephone copies (the same draws otherwise)
  --reset-after-silence-frames <n>  streaming reset written to meta (default ${D.resetAfterSilenceFrames})
  --cache-dir <dir>         feature cache (default ${D.cacheDir}); --no-cache disables it
  --engine <e>              auto | ${ENGINE_NAMES.join(' | ')} (default auto, as the server)
  --step-loss <w>           weight of the loss on every step's result, 0-1 (default ${D.stepLossWeight}: final result only)
  --masks <t:T:f:F>         SpecAugment: t time masks ≤ T frames, f feature masks ≤ F coefficients per clip
                            ('default' = ${Object.values(DEFAULT_MASKS).join(':')}; default none)
  --num-coeffs <n>          cepstral coefficients per frame, 1-40 (default ${D.numCoeffs}; 40 = the whole log-mel spectrum)
  --pitch                   append 2 pitch columns per frame (held log2 F0 / 100 Hz, periodicity; shared/dsp/pitch.ts)
  --log-floor <p>           floor under each mel band's power before the log (default ${D.logFloor}; 1e-8 = just under studio silence)
  --mixup <alpha>           mixup with Beta(alpha, alpha) per batch, 0 = none (default ${D.mixupAlpha})
  --teachers <dir,...>      distil from these trained models (network + stats head, as served): their mean answer on
                            every training clip version, softened, is a second target; in npm run cv, {fold} in a path
                            is the fold's index (a teacher must not have heard the validation speakers)
  --distill-weight <w>      weight of the teachers' target against the label, 0-1 (default ${D.distillWeight})
  --distill-temperature <t> softening temperature, 1-10 (default ${D.distillTemperature})
  --keep <best|last>        save the best epoch on validation UAR, or the last epoch (default ${D.keep})
  --resume                  continue from <out>/checkpoint/ (same settings required)
  --stop-after <epoch>      pause (checkpointed) after this epoch; finish later with --resume
  --quiet                   no progress output
  --help`;

/** "2:20:2:3" → MaskConfig ('default' = DEFAULT_MASKS). */
export function parseMasks(spec: string): MaskConfig {
  if (spec === 'default') return { ...DEFAULT_MASKS };
  const parts = spec.split(':').map(Number);
  if (parts.length !== 4 || parts.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`--masks: expected t:T:f:F (integers), got "${spec}"`);
  const [timeMasks, maxTimeFrames, featureMasks, maxFeatures] = parts as [number, number, number, number];
  return { timeMasks, maxTimeFrames, featureMasks, maxFeatures };
}

/** "lstmUnits=64,convChannels=32:32:32,dropout=0.3" → Hyper. */
export function parseHyper(spec: string): Hyper {
  const hyper: Hyper = {};
  for (const pair of spec.split(',').filter((p) => p.trim() !== '')) {
    const [key, value] = pair.split('=');
    if (key === undefined || value === undefined || key.trim() === '') throw new Error(`--hyper: expected key=value, got "${pair}"`);
    const parts = value.split(':').map(Number);
    if (parts.some((n) => !Number.isFinite(n))) throw new Error(`--hyper ${key}: expected numbers, got "${value}"`);
    hyper[key.trim()] = parts.length === 1 ? (parts[0] as number) : parts;
  }
  return hyper;
}

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got "${value}"`);
  return n;
}

/** `lo:hi` as an ascending pair of finite numbers (dB for gains and SNRs, a factor for speed). */
function parseRange(flag: string, spec: string): [number, number] {
  const range = spec.split(':').map(Number);
  if (range.length !== 2 || range.some((g) => !Number.isFinite(g)) || (range[0] as number) > (range[1] as number)) {
    throw new Error(`${flag}: expected lo:hi, two ascending numbers, got "${spec}"`);
  }
  return range as [number, number];
}

export function parseTrainArgs(argv: string[]): TrainConfig | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      layout: { type: 'string' },
      labels: { type: 'string' },
      'train-actors': { type: 'string' },
      'val-actors': { type: 'string' },
      'val-fraction': { type: 'string' },
      'data-description': { type: 'string' },
      arch: { type: 'string' },
      hyper: { type: 'string' },
      out: { type: 'string' },
      id: { type: 'string' },
      epochs: { type: 'string' },
      patience: { type: 'string' },
      'min-lr': { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      'augment-copies': { type: 'string' },
      'telephone-prob': { type: 'string' },
      'telephone-filter': { type: 'string' },
      'gain-db': { type: 'string' },
      'tilt-prob': { type: 'string' },
      'speed-prob': { type: 'string' },
      'speed-range': { type: 'string' },
      'babble-prob': { type: 'string' },
      'babble-snr-db': { type: 'string' },
      'babble-wideband-only': { type: 'boolean' },
      narrowband: { type: 'boolean' },
      'reset-after-silence-frames': { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean' },
      engine: { type: 'string' },
      resume: { type: 'boolean' },
      keep: { type: 'string' },
      'step-loss': { type: 'string' },
      masks: { type: 'string' },
      mixup: { type: 'string' },
      'num-coeffs': { type: 'string' },
      'log-floor': { type: 'string' },
      pitch: { type: 'boolean' },
      teachers: { type: 'string' },
      'distill-weight': { type: 'string' },
      'distill-temperature': { type: 'string' },
      'stop-after': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(HELP);
    return null;
  }
  if (values.data === undefined || values.out === undefined) throw new Error(`expected --data and --out, got ${values.data === undefined ? 'no --data' : 'no --out'} (see --help)`);
  const arch = values.arch ?? D.arch;
  if (!(NETWORK_ARCH_NAMES as readonly string[]).includes(arch)) throw new Error(`--arch: expected one of ${NETWORK_ARCH_NAMES.join(', ')}, got "${arch}"`);
  const layout = values.layout ?? D.layout;
  if (!(LAYOUTS as readonly string[]).includes(layout)) throw new Error(`--layout: expected one of ${LAYOUTS.join(', ')}, got "${layout}"`);
  const copies = num('augment-copies', values['augment-copies'], DEFAULT_AUGMENT.copies);
  const telephoneFilter = values['telephone-filter'] ?? DEFAULT_AUGMENT.telephoneFilter;
  if (!(TELEPHONE_FILTERS as readonly string[]).includes(telephoneFilter)) {
    throw new Error(`--telephone-filter: expected one of ${TELEPHONE_FILTERS.join(', ')}, got "${telephoneFilter}"`);
  }
  const gainDb = values['gain-db'] === undefined ? DEFAULT_AUGMENT.gainDb : parseRange('--gain-db', values['gain-db']);
  const augment =
    copies === 0
      ? null
      : {
          ...DEFAULT_AUGMENT,
          copies,
          telephoneProb: values.narrowband === true ? 1 : num('telephone-prob', values['telephone-prob'], DEFAULT_AUGMENT.telephoneProb),
          telephoneFilter: telephoneFilter as TelephoneFilter,
          gainDb,
          tiltProb: num('tilt-prob', values['tilt-prob'], DEFAULT_AUGMENT.tiltProb),
          speedProb: num('speed-prob', values['speed-prob'], DEFAULT_AUGMENT.speedProb),
          speedRange: values['speed-range'] === undefined ? DEFAULT_AUGMENT.speedRange : parseRange('--speed-range', values['speed-range']),
          // Only when asked for, so the recipes before babble keep their exact config.
          ...(values['babble-prob'] === undefined ? {} : { babbleProb: num('babble-prob', values['babble-prob'], 0) }),
          ...(values['babble-snr-db'] === undefined ? {} : { babbleSnrDb: parseRange('--babble-snr-db', values['babble-snr-db']) }),
          ...(values['babble-wideband-only'] === true ? { babbleOnTelephone: false } : {}),
          ...(values.narrowband === true ? { narrowband: true } : {}),
        };
  if (values.narrowband === true && values['telephone-prob'] !== undefined) throw new Error('--narrowband: every version is a call already; drop --telephone-prob');
  if (values.narrowband === true && augment === null) throw new Error('--narrowband needs augmentation (--augment-copies > 0)');
  if (augment !== null) validateAugmentConfig(augment);
  const outDir = resolve(values.out);
  return {
    ...D,
    dataDir: resolve(values.data),
    layout: layout as Layout,
    labels: values.labels === undefined ? null : values.labels.split(',').map((l) => l.trim()).filter((l) => l !== ''),
    arch: arch as ArchName,
    hyper: values.hyper === undefined ? {} : parseHyper(values.hyper),
    outDir,
    id: values.id ?? basename(outDir),
    trainSpeakers: values['train-actors'] === undefined ? null : parseSpeakerList(values['train-actors']),
    valSpeakers: values['val-actors'] === undefined ? null : values['val-actors'] === 'none' ? [] : parseSpeakerList(values['val-actors']),
    valFraction: num('val-fraction', values['val-fraction'], D.valFraction),
    dataDescription: values['data-description'] ?? D.dataDescription,
    epochs: num('epochs', values.epochs, D.epochs),
    patience: num('patience', values.patience, D.patience),

    batchSize: num('batch-size', values['batch-size'], D.batchSize),
    learningRate: num('lr', values.lr, D.learningRate),
    minLearningRate: num('min-lr', values['min-lr'], Math.min(D.minLearningRate, num('lr', values.lr, D.learningRate))),
    seed: num('seed', values.seed, D.seed),
    augment,
    resetAfterSilenceFrames: num('reset-after-silence-frames', values['reset-after-silence-frames'], D.resetAfterSilenceFrames),
    cacheDir: values['no-cache'] === true ? null : resolve(values['cache-dir'] ?? (D.cacheDir as string)),
    engine: (values.engine ?? D.engine) as EnginePreference,
    resume: values.resume === true,
    keep: (values.keep ?? D.keep) as TrainConfig['keep'],
    stepLossWeight: num('step-loss', values['step-loss'], D.stepLossWeight),
    masks: values.masks === undefined ? D.masks : parseMasks(values.masks),
    mixupAlpha: num('mixup', values.mixup, D.mixupAlpha),
    // --pitch appends the pitch columns after the --num-coeffs cepstra; the config counts both.
    numCoeffs: num('num-coeffs', values['num-coeffs'], D.numCoeffs) + (values.pitch === true ? PITCH_FEATURES : 0),
    pitch: values.pitch === true,
    logFloor: num('log-floor', values['log-floor'], D.logFloor),
    teachers: values.teachers === undefined ? [] : values.teachers.split(',').filter((t) => t.trim() !== '').map((t) => resolve(t.trim())),
    distillWeight: num('distill-weight', values['distill-weight'], D.distillWeight),
    distillTemperature: num('distill-temperature', values['distill-temperature'], D.distillTemperature),
    stopAfterEpoch: values['stop-after'] === undefined ? null : num('stop-after', values['stop-after'], 0),
    quiet: values.quiet === true,
  };
}

async function main(): Promise<void> {
  const config = parseTrainArgs(process.argv.slice(2));
  if (config === null) return;
  const result = await runTraining(config);
  const m = result.valMetrics;
  if (m === null) return;
  console.log(
    `best epoch ${result.bestEpoch}: val accuracy ${(100 * m.accuracy).toFixed(1)} %, UAR ${(100 * m.uar).toFixed(1)} %, macro-F1 ${(100 * m.macroF1).toFixed(1)} %` +
      (result.skipped > 0 ? ` (${result.skipped} file(s) skipped)` : ''),
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
