/**
 * Stage 8: a smoothed hop → the protocol's `emotion` message. `endMs` is the stream time of
 * the last input sample that contributed: on a voiced hop, the end of the last frame the
 * model consumed; on an unvoiced hop, the end of the last frame the voice gate judged —
 * each plus the resampler's look-ahead, capped at the audio received.
 */
import { map, type OperatorFunction } from 'rxjs';
import { affectOf } from '../../shared/affect.js';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import type { EmotionMessage } from '../../shared/protocol.js';
import type { EmotionResult } from './contract.js';
import type { SmoothedHop } from './types.js';

export type { EmotionResult } from './contract.js';

/** Decimal places kept in probabilities: 1e-6 is far below any decision and keeps JSON short. */
const PROB_DECIMALS = 6;

/** Stream time (ms) of the end of frame `frames − 1` (0 when there is none). */
export function framesEndMs(frames: number): number {
  if (frames <= 0) return 0;
  const { frameSamples, hopSamples, sampleRateHz } = MFCC_CONFIG;
  return (((frames - 1) * hopSamples + frameSamples) / sampleRateHz) * 1000;
}

/** Rounds to the decimals results carry (probabilities, affect, stream times). */
export function round(value: number): number {
  const scale = 10 ** PROB_DECIMALS;
  return Math.round(value * scale) / scale;
}

export interface ResultOptions {
  labels: readonly string[];
  inputRateHz: number;
  /** Resampler look-ahead, ms of stream time. */
  lookaheadMs: number;
}

export function toEmotionMessage(hop: SmoothedHop, options: ResultOptions): EmotionMessage {
  const probs: Record<string, number> = {};
  options.labels.forEach((label, i) => {
    probs[label] = round(hop.smoothed[i] ?? 0);
  });
  const top = options.labels[hop.topIndex] ?? options.labels[0] ?? '';
  const confidence = hop.smoothed[hop.topIndex] ?? 0;
  const receivedMs = (hop.inputSamplesTotal / options.inputRateHz) * 1000;
  const lastFrames = hop.isVoiced && hop.framesConsumedTotal > 0 ? hop.framesConsumedTotal : hop.framesTotal;
  const endMs = Math.min(receivedMs, framesEndMs(lastFrames) + options.lookaheadMs);
  const { arousal, valence } = affectOf(probs);
  const message: EmotionMessage = {
    type: 'emotion',
    seq: hop.index,
    startMs: round(hop.startMs),
    endMs: round(endMs),
    probs,
    top,
    confidence: round(confidence),
    voiced: hop.isVoiced,
    arousal: round(arousal),
    valence: round(valence),
  };
  if (hop.final) message.final = true;
  return message;
}

export function result(options: ResultOptions): OperatorFunction<SmoothedHop, EmotionResult> {
  return map((hop) => ({ message: toEmotionMessage(hop, options), arrivedAtMs: hop.arrivedAtMs, hopEndMs: hop.endMs }));
}
