/**
 * The per-stream pipeline, stage by stage:
 *   bytes → decode → resample → mfcc → vad → hop → infer → smooth → result
 * Used alike by WebSocket sessions and POST /v1/analyze (in the inference worker that holds
 * the stream's model state, server/model/shard.ts), so both give the same numbers.
 */
import { pipe, type OperatorFunction } from 'rxjs';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import { MODEL_SAMPLE_RATE_HZ, type Encoding } from '../../shared/protocol.js';
import type { InferenceStream } from './contract.js';
import { decode } from './decode.js';
import { hop } from './hop.js';
import { infer } from './infer.js';
import { mfcc } from './mfcc.js';
import { resample, resamplerLatencyMs } from './resample.js';
import { result, type EmotionResult } from './result.js';
import { smooth } from './smooth.js';
import type { AudioChunk, SampleChunk } from './types.js';
import { vad } from './vad.js';

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
  /**
   * When the input ended, on the clock of the chunks' `arrivedAtMs` (the final hop's
   * arrival; read at completion). Default: performance.now() of this thread.
   */
  inputEndedAtMs?: () => number;
}

/** Mono samples at `inputRateHz` → one result per hop. */
export function samplesToResults(params: StreamParams): OperatorFunction<SampleChunk, EmotionResult> {
  return pipe(
    resample(params.inputRateHz, MODEL_SAMPLE_RATE_HZ),
    mfcc(params.stream.numCoeffs),
    vad(params.voicedGate),
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
      lookaheadMs: resamplerLatencyMs(params.inputRateHz, MODEL_SAMPLE_RATE_HZ),
    }),
  );
}

/** Raw bytes in `encoding` → one result per hop. */
export function audioToResults(
  params: StreamParams & { encoding: Encoding; channels: 1 | 2 },
): OperatorFunction<AudioChunk, EmotionResult> {
  return pipe(decode({ encoding: params.encoding, channels: params.channels }), samplesToResults(params));
}

export type { EmotionResult } from './result.js';
export type { AudioChunk, SampleChunk } from './types.js';
