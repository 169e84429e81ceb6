/**
 * Probe: what does the voice gate (shared/dsp/vad.ts) make of a session in continuous noise?
 * One speaker's clips as one stream (models/eval/sessions.ts: seeded order, 1 s digital
 * silence after each), then white or babble noise over the whole stream at the evaluation's
 * SNRs (speech level, as models/eval/conditions.ts mixes them). Prints, per condition, the
 * share of voiced frames and the segments the utterance rule cuts (segment.ts: a new one
 * after 0.5 s unvoiced), with their median and longest length. Clean speech gives one
 * segment per clip; a gate that never closes gives one segment for the whole session, whose
 * statistics the stats head would read over minutes without its bounded window.
 * Also prints how far each clip's own speech level sits from the session's, that is its
 * SNR in a session at a nominal SNR (the one-clip rows mix noise at each clip's own level).
 *
 *   node --import tsx models/experiments/gate_probe.ts --data <dir> [--speaker 01] [--onset-margin-db 12] [--hysteresis-db 6]
 */
import { parseArgs } from 'node:util';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { sessionOf, sessionOrder } from '../eval/sessions.js';
import { segmentRanges } from '../streaming/segment.js';
import { addNoiseAtSnr } from '../train/augment.js';
import { makeBabble, mixAtSnr } from '../train/babble.js';
import { scanDataset } from '../train/dataset.js';
import { readWav16k } from '../train/features.js';
import { activePower } from '../train/level.js';
import { Prng } from '../train/prng.js';

const RESET_AFTER_SILENCE_FRAMES = 50;
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    speaker: { type: 'string', default: '01' },
    'onset-margin-db': { type: 'string' },
    'hysteresis-db': { type: 'string' },
  },
});
const voicedGate = {
  ...(values['onset-margin-db'] === undefined ? {} : { onsetMarginDb: Number(values['onset-margin-db']) }),
  ...(values['hysteresis-db'] === undefined ? {} : { hysteresisDb: Number(values['hysteresis-db']) }),
};
if (values.data === undefined) throw new Error('gate_probe: expected --data <dataset dir>');
const dataset = scanDataset(values.data);
const speaker = values.speaker;
const clips = dataset.clips.filter((c) => c.speaker === speaker).map((c) => readWav16k(c.path));
const others = dataset.clips.filter((c) => c.speaker !== speaker).slice(0, 60).map((c) => readWav16k(c.path));
if (clips.length === 0) throw new Error(`gate_probe: expected clips of speaker ${speaker}, found none`);
const { samples } = sessionOf(clips, sessionOrder(clips.length, 1));
console.log(`speaker ${speaker}: ${clips.length} clips, one ${(samples.length / 16000).toFixed(0)} s stream; gate ${JSON.stringify(voicedGate)}`);
const sessionDb = 10 * Math.log10(activePower(samples));
const offsetsDb = clips.map((c) => 10 * Math.log10(activePower(c)) - sessionDb).sort((a, b) => a - b);
const quantile = (q: number): string => offsetsDb[Math.round(q * (offsetsDb.length - 1))]!.toFixed(1);
console.log(`clip level − session level, dB: min ${quantile(0)}, quartiles ${quantile(0.25)} / ${quantile(0.5)} / ${quantile(0.75)}, max ${quantile(1)}`);
const conditions: [string, () => Float32Array][] = [
  ['clean', () => samples],
  ...[20, 10, 5].map((snr): [string, () => Float32Array] => [`white ${snr} dB`, () => addNoiseAtSnr(samples, snr, 'white', new Prng(3))]),
  ...[20, 10, 5].map((snr): [string, () => Float32Array] => [`babble ${snr} dB`, () => mixAtSnr(samples, makeBabble(samples.length, others, new Prng(4)), snr)]),
];
for (const [name, make] of conditions) {
  const features = extractFeatures(make(), { inputRateHz: 16000, voicedGate });
  const segments = segmentRanges(features.voiced, { resetAfterSilenceFrames: RESET_AFTER_SILENCE_FRAMES });
  const voiced = features.voiced.reduce((a, v) => a + v, 0) / features.voiced.length;
  const seconds = segments.map((s) => (s.end - s.start) / 100).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(12)} voiced ${(100 * voiced).toFixed(0).padStart(3)} %  segments ${String(segments.length).padStart(3)}  ` +
      `median ${seconds[seconds.length >> 1]!.toFixed(1)} s  longest ${seconds.at(-1)!.toFixed(1)} s`,
  );
}
