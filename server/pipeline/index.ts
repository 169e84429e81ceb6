/**
 * The per-stream pipeline, stage by stage:
 *   bytes → features (shared/dsp feature chain: decode → resample → mfcc → voice gate)
 *         → hop → infer → smooth → result
 * Used alike by WebSocket sessions and POST /v1/analyze (in the inference worker that holds
 * the stream's model state, server/workers/shard.ts), so both give the same numbers.
 */
import { pipe, type OperatorFunction } from 'rxjs';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import type { Encoding } from '../../shared/protocol.js';
import type { InferenceStream } from './contract.js';
import { featureLatencyMs, features } from './features.js';
import { hop } from './hop.js';
import { infer } from './infer.js';
import { result, type EmotionResult } from './result.js';
import { smooth } from './smooth.js';
import type { AudioChunk } from './types.js';

export interface StreamParams {
  inputRateHz: number;
  /** Hop, ms, integer 50–5000. */
  hopMs: number;
  /** EMA factor, 0–0.99. */
  smoothing: number;
  labels: readonly string[];
  stream: InferenceStream;
  /** The model's VoicedGate (voicedGateOf(meta)); default today's. */
  voicedGate?: Partial<VoicedGateConfig>;
  /** The model's floor under the mel powers (featureSettingsOf(meta).logFloor); default MFCC_CONFIG's. */
  logFloor?: number;
  /** The model reads the pitch columns (featureSettingsOf(meta).pitch); default off. */
  pitch?: boolean;
  /**
   * When the input ended, on the clock of the chunks' `arrivedAtMs` (the final hop's
   * arrival; read at completion). Default: performance.now() of this thread.
   */
  inputEndedAtMs?: () => number;
}

/** Raw bytes in `encoding` → one result per hop. */
export function audioToResults(
  params: StreamParams & { encoding: Encoding; channels: 1 | 2 },
): OperatorFunction<AudioChunk, EmotionResult> {
  return pipe(
    features({
      inputRateHz: params.inputRateHz,
      numCoeffs: params.stream.numCoeffs,
      logFloor: params.logFloor,
      pitch: params.pitch,
      voicedGate: params.voicedGate,
      decoder: { encoding: params.encoding, channels: params.channels },
    }),
    hop({
      hopMs: params.hopMs,
      inputRateHz: params.inputRateHz,
      steps: params.stream.stepRule,
      numCoeffs: params.stream.numCoeffs,
      inputEndedAtMs: params.inputEndedAtMs,
    }),
    infer(params.stream),
    smooth(params.smoothing, params.labels.length),
    result({
      labels: params.labels,
      inputRateHz: params.inputRateHz,
      lookaheadMs: featureLatencyMs(params.inputRateHz),
    }),
  );
}

export type { EmotionResult } from './result.js';
export type { AudioChunk } from './types.js';
export type { InferenceStream, StepOutcome } from './contract.js';
