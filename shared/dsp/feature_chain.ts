/**
 * The feature chain of one stream: audio → frames of model features.
 *
 *   bytes → PcmDecoder → StreamingResampler → MfccExtractor → VoicedGate
 *   (protocol encoding)   (→ 16 kHz)           (coeffs, energyDb)  (voiced flags)
 *                                            ↘ PitchTracker (when the model reads pitch:
 *                                              2 columns after the MFCC of each row)
 *
 * The one composition of these stages, shared by the server (server/pipeline/features.ts),
 * training and evaluation (models/train/features.ts, eval_streaming.ts) and the tests, so
 * none of them can drift from the others. Every stage is chunking-invariant, hence so is the
 * chain: any chunking of the same input, then `flush()`, yields bit-identical frames, and
 * `extractFeatures` (one push + flush) is what a stream of the same samples yields.
 * Pure apart from its per-stream state; no Node-only API.
 */
import { MFCC_CONFIG, MfccExtractor } from './mfcc.js';
import { PcmDecoder, type PcmDecoderConfig } from './pcm_decode.js';
import { PITCH_FEATURES, PitchTracker } from './pitch.js';
import { StreamingResampler } from './resample.js';
import { VoicedGate, type VoicedGateConfig } from './vad.js';

export interface FeatureChainConfig {
  /** Rate of the input, Hz: an integer in 1000–384000 (the resampler's range). */
  inputRateHz: number;
  /**
   * Values per frame: the cepstral coefficients (1 … numMelBins), then, with `pitch`, the
   * PITCH_FEATURES pitch columns; default MFCC_CONFIG.numCoeffs (20).
   */
  numCoeffs?: number;
  /** Append the pitch stage's columns (held log2 F0 / 100 Hz, periodicity) to each row. Follows the model (meta.featureConfig.pitch). */
  pitch?: boolean;
  /**
   * Floor under each mel band's power before the log; default MFCC_CONFIG.logFloor (1e-10).
   * Follows the model (meta.featureConfig.logFloor) like the coefficient count.
   */
  logFloor?: number;
  /** The model's VoicedGate (models/meta.ts voicedGateOf); default VOICED_GATE_CONFIG. */
  voicedGate?: Partial<VoicedGateConfig>;
  /** Encoding and channels of what `pushBytes` receives; absent: samples only. */
  decoder?: PcmDecoderConfig;
}

/** Frames completed by one push (possibly none). */
export interface FeatureFrames {
  /** Frames in this block. */
  count: number;
  numCoeffs: number;
  /** count × numCoeffs raw features (MFCC, then the pitch columns when on), row-major. */
  coeffs: Float32Array;
  /** count frame energies, dBFS. */
  energyDb: Float32Array;
  /** count flags, 1 = voiced. */
  voiced: Uint8Array;
  /** Input samples (mono, input rate) this push consumed. */
  inputSamples: number;
  /** Model-rate (16 kHz) samples this push delivered to the MFCC stage: the stream clock. */
  modelSamples: number;
}

export class FeatureChain {
  readonly numCoeffs: number;
  readonly inputRateHz: number;
  private readonly decoder: PcmDecoder | null;
  private readonly resampler: StreamingResampler;
  private readonly mfcc: MfccExtractor;
  private readonly pitch: PitchTracker | null;
  private readonly gate: VoicedGate;

  constructor(config: FeatureChainConfig) {
    this.inputRateHz = config.inputRateHz;
    this.numCoeffs = config.numCoeffs ?? MFCC_CONFIG.numCoeffs;
    this.decoder = config.decoder === undefined ? null : new PcmDecoder(config.decoder);
    this.resampler = new StreamingResampler(config.inputRateHz, MFCC_CONFIG.sampleRateHz);
    const pitch = config.pitch === true;
    const mfccCoeffs = this.numCoeffs - (pitch ? PITCH_FEATURES : 0);
    if (mfccCoeffs < 1) throw new RangeError(`FeatureChain: expected numCoeffs > ${PITCH_FEATURES} with pitch, got ${this.numCoeffs}`);
    this.mfcc = new MfccExtractor(config.logFloor === undefined ? { numCoeffs: mfccCoeffs } : { numCoeffs: mfccCoeffs, logFloor: config.logFloor });
    this.pitch = pitch ? new PitchTracker() : null;
    this.gate = new VoicedGate(config.voicedGate);
  }

  /** Bytes of one interleaved input frame (one sample per channel); 0 without a decoder. */
  get frameBytes(): number {
    return this.decoder?.frameBytes ?? 0;
  }

  /** Input samples the resampler waits for past an instant before its output (its look-ahead). */
  get latencyInputSamples(): number {
    return this.resampler.latencyInputSamples;
  }

  /**
   * Decodes the bytes (a chunk may end mid-sample: the rest is carried) and pushes the
   * samples on. Throws the decoder's ProtocolError (`bad_audio`) on a non-finite float.
   */
  pushBytes(bytes: Uint8Array): FeatureFrames {
    if (this.decoder === null) throw new Error('FeatureChain: expected a decoder config for pushBytes, got none');
    return this.pushSamples(this.decoder.decode(bytes));
  }

  /** Pushes mono samples at the input rate; returns every frame they complete. */
  pushSamples(samples: Float32Array): FeatureFrames {
    return this.frames(this.resampler.process(samples), samples.length);
  }

  /**
   * Ends the stream: the resampler's tail (zero-padded past the end) goes through, so the
   * last input samples reach the features; then the chain is reset for a new stream. A
   * trailing partial sample (< one frame of bytes) is dropped, never padded into a sample.
   */
  flush(): FeatureFrames {
    const out = this.frames(this.resampler.flush(), 0);
    this.reset();
    return out;
  }

  reset(): void {
    this.decoder?.reset();
    this.resampler.reset();
    this.mfcc.reset();
    this.pitch?.reset();
    this.gate.reset();
  }

  private frames(modelSamples: Float32Array, inputSamples: number): FeatureFrames {
    const mfcc = this.mfcc.push(modelSamples);
    const voiced = this.gate.pushFrames(mfcc.energyDb);
    const coeffs = this.pitch === null ? mfcc.coeffs : withPitch(mfcc.coeffs, mfcc.count, this.pitch.push(modelSamples).features);
    return { count: mfcc.count, coeffs, energyDb: mfcc.energyDb, numCoeffs: this.numCoeffs, voiced, inputSamples, modelSamples: modelSamples.length };
  }
}

/** Rows of MFCC with each frame's pitch columns appended (both stages emit the same frames). */
function withPitch(mfcc: Float32Array, count: number, pitch: Float32Array): Float32Array {
  if (pitch.length !== count * PITCH_FEATURES) throw new Error(`FeatureChain: expected ${count} pitch frames, got ${pitch.length / PITCH_FEATURES}`);
  if (count === 0) return mfcc;
  const mfccCoeffs = mfcc.length / count;
  const width = mfccCoeffs + PITCH_FEATURES;
  const out = new Float32Array(count * width);
  // Index loops, not per-row subarray views: no objects per frame on the stream path.
  for (let i = 0, src = 0, p = 0, dst = 0; i < count; i++) {
    for (let j = 0; j < mfccCoeffs; j++) out[dst++] = mfcc[src++]!;
    for (let j = 0; j < PITCH_FEATURES; j++) out[dst++] = pitch[p++]!;
  }
  return out;
}

/** Two consecutive blocks of one stream as one (no copy when either is empty). */
export function joinFrames(a: FeatureFrames, b: FeatureFrames): FeatureFrames {
  const sum = { inputSamples: a.inputSamples + b.inputSamples, modelSamples: a.modelSamples + b.modelSamples };
  if (b.count === 0) return { ...a, ...sum };
  if (a.count === 0) return { ...b, ...sum };
  const coeffs = new Float32Array(a.coeffs.length + b.coeffs.length);
  coeffs.set(a.coeffs, 0);
  coeffs.set(b.coeffs, a.coeffs.length);
  const energyDb = new Float32Array(a.count + b.count);
  energyDb.set(a.energyDb, 0);
  energyDb.set(b.energyDb, a.count);
  const voiced = new Uint8Array(a.count + b.count);
  voiced.set(a.voiced, 0);
  voiced.set(b.voiced, a.count);
  return { count: a.count + b.count, numCoeffs: a.numCoeffs, coeffs, energyDb, voiced, ...sum };
}

/** Features of a whole buffer of mono samples: one push and the flush, as a stream of them yields. */
export function extractFeatures(samples: Float32Array, config: Omit<FeatureChainConfig, 'decoder'>): FeatureFrames {
  const chain = new FeatureChain(config);
  return joinFrames(chain.pushSamples(samples), chain.flush());
}

/** Features of a whole buffer of protocol bytes (what a client would stream). */
export function extractFeaturesOfBytes(bytes: Uint8Array, config: FeatureChainConfig & { decoder: PcmDecoderConfig }): FeatureFrames {
  const chain = new FeatureChain(config);
  return joinFrames(chain.pushBytes(bytes), chain.flush());
}
