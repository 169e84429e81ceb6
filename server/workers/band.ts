/**
 * Which of the server's models serves a stream: calls (input at 8 kHz or less — G.711,
 * GSM, 8 kHz PCM from a telephony platform) go to the narrowband model when one is loaded,
 * everything else to the main model. Both the worker (which steps the stream) and the main
 * thread (which names the model in `ready` and analysis results) decide by this one rule.
 */
import type { ModelInfo } from './messages.js';

/** Input rates up to this one are narrowband (telephone) audio, Hz. */
export const NARROWBAND_MAX_RATE_HZ = 8000;

export type Band = 'wideband' | 'narrowband';

/** The band a stream's model is chosen by: its input rate, before resampling. */
export function bandOf(inputRateHz: number): Band {
  return inputRateHz <= NARROWBAND_MAX_RATE_HZ ? 'narrowband' : 'wideband';
}

/** Whether the narrowband model serves a stream at this input rate (one is loaded and the rate is narrowband). */
export function servedByNarrowband(info: Pick<ModelInfo, 'narrowbandId'>, inputRateHz: number): boolean {
  return info.narrowbandId !== null && bandOf(inputRateHz) === 'narrowband';
}

/** The model a stream at this input rate is served by, as clients see it (labels are shared). */
export function servingModel(info: Pick<ModelInfo, 'id' | 'labels' | 'narrowbandId'>, inputRateHz: number): { id: string; labels: string[] } {
  return { id: servedByNarrowband(info, inputRateHz) ? (info.narrowbandId as string) : info.id, labels: [...info.labels] };
}
