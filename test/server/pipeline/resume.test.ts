/**
 * A stream that outlives its worker (server/pipeline/resume.ts), with stand-ins for the
 * workers: after a crash the stream goes on in a fresh pipeline from the next whole sample,
 * its results equal to a fresh stream of the rest of the audio shifted onto one numbering
 * and one clock; when no pipeline can be opened (or too many were lost) the stream ends with
 * a final result repeating the last answer, covering all the audio, then the error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, Subject, lastValueFrom, of, toArray, type OperatorFunction } from 'rxjs';
import { VOICED_GATE_CONFIG } from '../../../shared/dsp/vad.js';
import type { AudioChunk, EmotionResult } from '../../../server/pipeline/contract.js';
import { audioToResults } from '../../../server/pipeline/index.js';
import { round } from '../../../server/pipeline/result.js';
import { resumable, type Resumed } from '../../../server/pipeline/resume.js';
import { FAKE_LABELS, FAKE_RATE_HZ, fakeStream, speechLike } from '../../helpers/fake_model.js';

/** pcm_s16le mono at 16 kHz: bytes per ms. */
const BYTES_PER_MS = 32;
const HOP_MS = 250;

class WorkerLost extends Error {}

const pipeline = (): OperatorFunction<AudioChunk, EmotionResult> =>
  audioToResults({ encoding: 'pcm_s16le', channels: 1, inputRateHz: FAKE_RATE_HZ, hopMs: HOP_MS, smoothing: 0.5, labels: FAKE_LABELS, voicedGate: VOICED_GATE_CONFIG, stream: fakeStream() });

/** Pipelines on stand-in workers: `crash(err)` fails every open one as a lost worker fails its streams. */
function fakeWorkers() {
  const failers: ((err: Error) => void)[] = [];
  const state = { opened: 0, live: 0, refuse: false };
  const open = (): OperatorFunction<AudioChunk, EmotionResult> => {
    if (state.refuse) throw new Error('no inference worker is running');
    state.opened += 1;
    return (source) =>
      new Observable<EmotionResult>((subscriber) => {
        state.live += 1;
        const subscription = source.pipe(pipeline()).subscribe(subscriber);
        failers.push((err) => subscriber.error(err));
        return () => {
          state.live -= 1;
          subscription.unsubscribe();
        };
      });
  };
  return { open, state, crash: (err: Error = new WorkerLost('crashed')) => failers.splice(0).forEach((fail) => fail(err)) };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** 3.6 s: three tones between silences. */
const clip = (): Uint8Array => {
  const one = speechLike();
  const out = new Uint8Array(one.length * 3);
  for (let i = 0; i < 3; i += 1) out.set(one, i * one.length);
  return out;
};

/** Feeds `bytes` in chunks of `chunkBytes`, calling `between(fedBytes)` after each (settled); collects everything. */
async function drive(bytes: Uint8Array, chunkBytes: number, workers: ReturnType<typeof fakeWorkers>, between: (fedBytes: number) => void, maxResumes = 3) {
  const resumed: Resumed[] = [];
  const ended: number[] = [];
  const results: EmotionResult[] = [];
  const resultsAtResume: number[] = [];
  const outcome = { error: null as unknown, completed: false };
  const source = new Subject<AudioChunk>();
  const subscription = source
    .pipe(
      resumable({
        open: workers.open,
        isWorkerLoss: (err) => err instanceof WorkerLost,
        frameBytes: 2,
        sampleRateHz: FAKE_RATE_HZ,
        labels: FAKE_LABELS,
        maxResumes,
        onResumed: (r) => {
          resumed.push(r);
          resultsAtResume.push(results.length);
        },
        onEnded: ({ lostMs }) => ended.push(lostMs),
      }),
    )
    .subscribe({ next: (r) => results.push(r), error: (err: unknown) => (outcome.error = err), complete: () => (outcome.completed = true) });
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    source.next({ bytes: bytes.subarray(offset, offset + chunkBytes), arrivedAtMs: 0 });
    await settle();
    between(Math.min(bytes.length, offset + chunkBytes));
  }
  source.complete();
  await settle();
  return { resumed, ended, results, resultsAtResume, outcome, subscription };
}

const alone = (bytes: Uint8Array): Promise<EmotionResult[]> => lastValueFrom(of({ bytes, arrivedAtMs: 0 }).pipe(pipeline(), toArray()));

const messages = (results: EmotionResult[]) => results.map((r) => r.message);

describe('resumable stream', () => {
  it('without a crash: exactly the pipeline it wraps', async () => {
    const bytes = clip();
    const run = await drive(bytes, 3001, fakeWorkers(), () => undefined);
    assert.deepEqual(messages(run.results), messages(await alone(bytes)));
    assert.equal(run.outcome.completed, true);
    assert.deepEqual(run.resumed, []);
  });

  it('a crash mid-stream: goes on from the next whole sample, one numbering and one clock', async () => {
    const bytes = clip();
    const workers = fakeWorkers();
    const crashAtBytes = 3001 * 5; // odd: the crash cuts a sample in two
    const run = await drive(bytes, 3001, workers, (fed) => (fed === crashAtBytes ? workers.crash() : undefined));
    assert.equal(run.outcome.completed, true, 'the stream completes normally');
    assert.equal(workers.state.opened, 2);
    const resumeBytes = crashAtBytes + 1;
    const resumedAtMs = resumeBytes / BYTES_PER_MS;
    const before = run.results.slice(0, run.resultsAtResume[0]);
    const after = run.results.slice(run.resultsAtResume[0]);
    const reference = await alone(bytes);
    assert.ok(before.length > 0 && after.length > 0);
    assert.deepEqual(messages(before), messages(reference.slice(0, before.length)), 'before the crash: the stream as it was');
    const lastHopEndMs = before.at(-1)?.hopEndMs ?? 0;
    assert.deepEqual(run.resumed, [{ resumedAtMs, lostMs: resumedAtMs - lastHopEndMs }]);
    // After it: a fresh stream of the rest of the audio, shifted.
    const rest = await alone(bytes.subarray(resumeBytes));
    assert.deepEqual(
      messages(after),
      rest.map((r) => ({ ...r.message, seq: r.message.seq + before.length, startMs: round(r.message.startMs + resumedAtMs), endMs: round(r.message.endMs + resumedAtMs) })),
    );
    assert.deepEqual(
      run.results.map((r) => r.message.seq),
      run.results.map((_, i) => i),
      'seq counts on',
    );
    assert.equal(run.results.at(-1)?.hopEndMs, bytes.length / BYTES_PER_MS, 'the final hop ends with the audio');
    assert.equal(workers.state.live, 0);
  });

  it('a crash while the stream flushes after its end: the fresh pipeline gives the final result', async () => {
    const bytes = clip();
    const workers = fakeWorkers();
    const source = new Subject<AudioChunk>();
    const results: EmotionResult[] = [];
    let completed = false;
    source
      .pipe(resumable({ open: workers.open, isWorkerLoss: (e) => e instanceof WorkerLost, frameBytes: 2, sampleRateHz: FAKE_RATE_HZ, labels: FAKE_LABELS, maxResumes: 3, onResumed: () => undefined, onEnded: () => undefined }))
      .subscribe({ next: (r) => results.push(r), complete: () => (completed = true) });
    source.next({ bytes, arrivedAtMs: 0 });
    source.complete(); // the final hop is cut; its model step is still awaited
    workers.crash();
    await settle();
    assert.equal(workers.state.opened, 2, 'resumed');
    assert.equal(completed, true);
    const final = results.filter((r) => r.message.final === true);
    assert.equal(final.length, 1);
    assert.equal(final[0]?.message.seq, results.length - 1);
    assert.equal(final[0]?.hopEndMs, bytes.length / BYTES_PER_MS);
  });

  it('no worker to resume on: the last answer as the final result over all the audio, then the error', async () => {
    const bytes = clip();
    const workers = fakeWorkers();
    const crashAtBytes = 3000 * 5;
    const lost = new WorkerLost('crashed');
    const run = await drive(bytes.subarray(0, crashAtBytes + 3000), 3000, workers, (fed) => {
      if (fed !== crashAtBytes) return;
      workers.state.refuse = true;
      workers.crash(lost);
    });
    assert.equal(run.outcome.error, lost, 'the worker loss is the error');
    assert.deepEqual(run.resumed, []);
    const final = run.results.at(-1);
    const last = run.results.at(-2);
    assert.ok(final !== undefined && last !== undefined);
    assert.equal(final.message.final, true);
    assert.equal(final.message.voiced, false);
    assert.deepEqual(final.message.probs, last.message.probs, 'it repeats the last answer');
    assert.equal(final.message.seq, last.message.seq + 1);
    assert.equal(final.hopEndMs, crashAtBytes / BYTES_PER_MS, 'it covers the audio received');
    assert.deepEqual(run.ended, [crashAtBytes / BYTES_PER_MS - last.hopEndMs]);
  });

  it('a stream resumed maxResumes times ends at the next crash; other errors are not resumed', async () => {
    const workers = fakeWorkers();
    const run = await drive(clip(), 6000, workers, (fed) => (fed === 12_000 || fed === 24_000 ? workers.crash() : undefined), 1);
    assert.equal(run.resumed.length, 1);
    assert.equal(run.ended.length, 1);
    assert.ok(run.outcome.error instanceof WorkerLost);
    assert.equal(run.results.at(-1)?.message.final, true);

    const other = fakeWorkers();
    const bad = new Error('bad audio');
    const failed = await drive(clip(), 6000, other, (fed) => (fed === 12_000 ? other.crash(bad) : undefined));
    assert.equal(failed.outcome.error, bad);
    assert.deepEqual([failed.resumed, failed.ended], [[], []]);
    assert.ok(failed.results.every((r) => r.message.final !== true), 'no made-up final result for a fault of the stream');
  });

  it('unsubscribing early releases the pipeline', async () => {
    const workers = fakeWorkers();
    const source = new Subject<AudioChunk>();
    const subscription = source
      .pipe(resumable({ open: workers.open, isWorkerLoss: () => true, frameBytes: 2, sampleRateHz: FAKE_RATE_HZ, labels: FAKE_LABELS, maxResumes: 3, onResumed: () => undefined, onEnded: () => undefined }))
      .subscribe();
    source.next({ bytes: clip().subarray(0, 8000), arrivedAtMs: 0 });
    workers.crash();
    assert.equal(workers.state.live, 1, 'resumed');
    subscription.unsubscribe();
    assert.equal(workers.state.live, 0);
  });
});
