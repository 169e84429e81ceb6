/**
 * What flows between the pipeline stages of one stream. Every item carries `arrivedAtMs`
 * (performance.now() when the audio that produced it reached the server), so the last stage
 * can measure audio arrival → result sent.
 */

export type { AudioChunk } from './contract.js';

/** New MFCC frames and the running clock. */
export interface FeatureBlock {
  /** Frames in this block. */
  count: number;
  /** count × numCoeffs raw MFCC. */
  coeffs: Float32Array;
  /** count frame energies, dBFS. */
  energyDb: Float32Array;
  /** Model-rate samples pushed to the extractor so far: the stream clock. */
  samplesTotal: number;
  /** Input samples received so far (at the input rate), including this block's. */
  inputSamplesTotal: number;
  arrivedAtMs: number;
}

export interface VoicedFeatureBlock extends FeatureBlock {
  /** count flags, 1 = voiced (VoicedGate). */
  voiced: Uint8Array;
}

/**
 * One hop of stream time, ready for the model. Cut as soon as no model step can complete
 * inside it (hop.ts), so its frames run from the previous cut to this one: the frames that
 * end inside it, less the few at its end that cannot complete a step before its boundary
 * (they travel with the next hop), plus those the previous hop left over.
 */
export interface Hop {
  /** 0, 1, 2, … */
  index: number;
  /** Stream time where the hop starts, ms. */
  startMs: number;
  /** Stream time where the hop ends, ms: (index + 1)·hopMs, or for the final hop the end of the audio. */
  endMs: number;
  /**
   * count × numCoeffs raw MFCC of the hop's frames (see above). Transferred to the
   * inference worker (detached afterwards): later stages read `frameCount`/`voicedFrames`.
   */
  frames: Float32Array;
  voiced: Uint8Array;
  /** Frames in this hop. */
  frameCount: number;
  /** Of which voiced. */
  voicedFrames: number;
  /** Frames of the stream up to and including this hop (where it was cut). */
  framesTotal: number;
  /** Input samples received when the hop was cut (the stream length for the final hop). */
  inputSamplesTotal: number;
  /** True for the hop cut at the end of the stream. */
  final: boolean;
  arrivedAtMs: number;
}

/** A hop after the model: its raw distribution and how far the model has read. */
export interface InferredHop extends Hop {
  /** The model's distribution after this hop, label order; null before its first step. */
  probs: Float32Array | null;
  /** Frames the model has consumed since the stream began. */
  framesConsumedTotal: number;
}

/** A hop after smoothing. */
export interface SmoothedHop extends InferredHop {
  /** The smoothed distribution reported to the client. */
  smoothed: Float32Array;
  /** Whether the hop held speech (and the model had spoken); false reports decay to uniform. */
  isVoiced: boolean;
  /** The reported top label: arg-max of `smoothed` on a voiced hop, held over silence (0 before speech). */
  topIndex: number;
}
