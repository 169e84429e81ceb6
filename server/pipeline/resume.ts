/**
 * A stream that outlives its inference worker. Everything a stream keeps (decoder,
 * resampler, features, voice gate, model state, smoothing) is small, and the model starts
 * every voiced segment from zero state anyway; so when the worker holding a stream crashes,
 * the stream is not ended but re-opened — a fresh pipeline, on a live worker — and goes on
 * with the next audio. One numbering and one clock throughout: the new pipeline's `seq` and
 * stream times are shifted by what came before; its stream starts at the first whole sample
 * frame after the audio already fed. The audio fed to the crashed worker that no result
 * covers is lost, and reported (`onResumed`'s `lostMs`).
 *
 * When no fresh pipeline can be opened (no worker can run, e.g. the model cannot load) or
 * the stream was already resumed `maxResumes` times (audio that keeps killing workers), the
 * stream ends — not silently: a final result repeating the last answer (unvoiced: nothing
 * after it was analysed) that covers all the audio received, then the worker's error.
 */
import { Observable, Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { affectOf } from '../../shared/affect.js';
import type { EmotionMessage } from '../../shared/protocol.js';
import type { AudioChunk, EmotionResult } from './contract.js';
import { round } from './result.js';

export interface Resumed {
  /** Stream time the resumed stream starts at, ms. */
  resumedAtMs: number;
  /** Audio fed before `resumedAtMs` that no result covers, ms. */
  lostMs: number;
}

export interface ResumeOptions {
  /** A fresh pipeline on a live worker. It may throw, or fail as it is subscribed, when none can run. */
  open(): OperatorFunction<AudioChunk, EmotionResult>;
  /** Whether an error is the loss of the stream's worker (the stream may go on elsewhere), not a fault of the stream. */
  isWorkerLoss(err: unknown): boolean;
  /** Bytes of one sample frame of the stream's audio (sample size × interleaved channels), ≥ 1. */
  frameBytes: number;
  /** The audio's sample rate, Hz. */
  sampleRateHz: number;
  /** The model's labels: a final result before any answer is uniform over them. */
  labels: readonly string[];
  /** Most resumes of one stream, ≥ 0. */
  maxResumes: number;
  /** The stream went on in a fresh pipeline. */
  onResumed(resumed: Resumed): void;
  /** The stream could not go on and ends; `lostMs`: audio received that no result covers. */
  onEnded(lost: { lostMs: number }): void;
}

/** Where a pipeline's results sit in the stream: its first stream time and first seq. */
interface Shift {
  ms: number;
  seq: number;
}

function shifted(r: EmotionResult, by: Shift): EmotionResult {
  if (by.ms === 0 && by.seq === 0) return r;
  const message = { ...r.message, seq: r.message.seq + by.seq, startMs: round(r.message.startMs + by.ms), endMs: round(r.message.endMs + by.ms) };
  return { ...r, message, hopEndMs: r.hopEndMs + by.ms };
}

function uniformMessage(labels: readonly string[]): EmotionMessage {
  const p = round(1 / Math.max(1, labels.length));
  const probs = Object.fromEntries(labels.map((label) => [label, p]));
  const { arousal, valence } = affectOf(probs);
  return { type: 'emotion', seq: 0, startMs: 0, endMs: 0, probs, top: labels[0] ?? '', confidence: p, voiced: false, arousal: round(arousal), valence: round(valence) };
}

/** The last word of a stream that cannot go on: the last answer again, final, unvoiced, up to the audio received. */
function lastWord(last: EmotionResult | null, labels: readonly string[], seq: number, receivedMs: number): EmotionResult {
  const base = last?.message ?? uniformMessage(labels);
  const startMs = last?.hopEndMs ?? 0;
  const { channel: _channel, channelLabel: _label, ...rest } = base;
  return {
    message: { ...rest, seq, startMs: round(startMs), endMs: last?.message.endMs ?? 0, voiced: false, final: true },
    arrivedAtMs: performance.now(),
    hopEndMs: receivedMs,
  };
}

export function resumable(options: ResumeOptions): OperatorFunction<AudioChunk, EmotionResult> {
  const { frameBytes, sampleRateHz } = options;
  const msOf = (bytes: number): number => (bytes / frameBytes / sampleRateHz) * 1000;
  return (source) =>
    new Observable<EmotionResult>((subscriber) => {
      let input: Subject<AudioChunk> | null = null;
      let inner: Subscription | null = null;
      /** Bytes received from the source, including any dropped to realign after a resume. */
      let receivedBytes = 0;
      /** Bytes still to drop: the rest of a sample frame the crash cut. */
      let skipBytes = 0;
      let nextSeq = 0;
      /** Stream time answered so far (the latest hop end), ms. */
      let answeredMs = 0;
      let last: EmotionResult | null = null;
      let inputDone = false;
      let resumes = 0;

      /** Opens a fresh pipeline whose results start at `by`; returns the error when it cannot run. */
      const open = (by: Shift): { failed: unknown } | null => {
        /** An error while subscribing: the pipeline could not start. */
        const failure: { failed?: unknown; hasFailed: boolean } = { hasFailed: false };
        let opening = true;
        try {
          const pipeline = options.open();
          const own = new Subject<AudioChunk>();
          const subscription = own.pipe(pipeline).subscribe({
            next: (r) => {
              const out = shifted(r, by);
              last = out;
              nextSeq = out.message.seq + 1;
              answeredMs = Math.max(answeredMs, out.hopEndMs);
              subscriber.next(out);
            },
            error: (err: unknown) => {
              if (opening) Object.assign(failure, { failed: err, hasFailed: true });
              else onError(err);
            },
            complete: () => subscriber.complete(),
          });
          if (failure.hasFailed) return { failed: failure.failed };
          input = own;
          inner = subscription;
        } catch (err) {
          return { failed: err };
        } finally {
          opening = false;
        }
        if (inputDone) input?.complete();
        return null;
      };

      const onError = (err: unknown): void => {
        input = null;
        inner = null;
        if (!options.isWorkerLoss(err)) {
          subscriber.error(err);
          return;
        }
        const resumeBytes = Math.ceil(receivedBytes / frameBytes) * frameBytes;
        const resumedAtMs = msOf(resumeBytes);
        const lostMs = Math.max(0, resumedAtMs - answeredMs);
        if (resumes < options.maxResumes && open({ ms: resumedAtMs, seq: nextSeq }) === null) {
          resumes += 1;
          skipBytes = resumeBytes - receivedBytes;
          answeredMs = Math.max(answeredMs, resumedAtMs);
          options.onResumed({ resumedAtMs, lostMs });
          return;
        }
        const receivedMs = msOf(receivedBytes);
        options.onEnded({ lostMs: Math.max(0, receivedMs - answeredMs) });
        subscriber.next(lastWord(last, options.labels, nextSeq, receivedMs));
        subscriber.error(err);
      };

      const first = open({ ms: 0, seq: 0 });
      if (first !== null) {
        subscriber.error(first.failed);
        return;
      }
      const subscription = source.subscribe({
        next: (chunk) => {
          receivedBytes += chunk.bytes.length;
          let bytes = chunk.bytes;
          if (skipBytes > 0) {
            const n = Math.min(skipBytes, bytes.length);
            skipBytes -= n;
            bytes = bytes.subarray(n);
            if (bytes.length === 0) return;
          }
          input?.next(bytes === chunk.bytes ? chunk : { ...chunk, bytes });
        },
        complete: () => {
          inputDone = true;
          input?.complete();
        },
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        (inner as Subscription | null)?.unsubscribe();
      };
    });
}
