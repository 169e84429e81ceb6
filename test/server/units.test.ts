/**
 * Plain unit tests of the server's pure parts and a marble test per RxJS stage that keeps
 * state: affect map, smoothing, hop cutting, summary, start/format validation, auth,
 * configuration parsing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AFFECT_MAP, affectOf } from '../../shared/affect.js';
import { ProtocolError } from '../../shared/error_codes.js';
import { isAuthorized, isOriginAllowed, presentedKey } from '../../server/auth.js';
import { configFromEnvAndArgs, resolveConfig } from '../../server/config.js';
import { framesEndingBy, hop } from '../../server/pipeline/hop.js';
import { framesEndMs, toEmotionMessage } from '../../server/pipeline/result.js';
import { emaStep, smooth, uniform } from '../../server/pipeline/smooth.js';
import { decode } from '../../server/pipeline/decode.js';
import { infer } from '../../server/pipeline/infer.js';
import type { InferenceStream, StepOutcome } from '../../server/model/batcher.js';
import type { Hop, InferredHop, VoicedFeatureBlock } from '../../server/pipeline/types.js';
import { parseClientMessage, resolveFormat } from '../../server/session/start.js';
import { SummaryAccumulator } from '../../server/session/summary.js';
import { Backlog } from '../../server/session/backlog.js';
import { AudioQueue } from '../../server/session/audio_queue.js';
import { packHops, packResults, unpackHops, unpackResults } from '../../server/model/pack.js';
import type { EmotionMessage } from '../../shared/protocol.js';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';

const LABELS = ['neutral', 'happy', 'angry'];

describe('affect map', () => {
  it('one-hot gives the label point, uniform gives the origin, values stay in [-1, 1]', () => {
    assert.deepEqual(affectOf({ angry: 1, happy: 0, neutral: 0 }), AFFECT_MAP.angry);
    const flat = affectOf({ neutral: 1 / 3, happy: 1 / 3, angry: 1 / 3 });
    assert.ok(Math.abs(flat.arousal) < 1e-12 && Math.abs(flat.valence) < 1e-12);
    const mixed = affectOf({ neutral: 0.1, happy: 0.7, angry: 0.2 });
    assert.ok(mixed.valence > 0 && mixed.arousal > 0 && mixed.arousal <= 1);
    assert.deepEqual(affectOf({}), { arousal: 0, valence: 0 });
    assert.deepEqual(affectOf({ unknown: 1 }), { arousal: 0, valence: 0 });
  });
});

describe('smoothing stage', () => {
  const inferred = (index: number, probs: number[] | null, voicedFrames: number): InferredHop => ({
    index,
    startMs: index * 100,
    endMs: (index + 1) * 100,
    frames: new Float32Array(0),
    voiced: new Uint8Array(0),
    frameCount: 10,
    voicedFrames,
    framesTotal: (index + 1) * 10,
    inputSamplesTotal: (index + 1) * 1600,
    final: false,
    arrivedAtMs: 0,
    probs: probs === null ? null : Float32Array.from(probs),
    framesConsumedTotal: (index + 1) * 10,
  });

  it('EMA over voiced hops, decay toward uniform over silence, exact uniform before speech', () => {
    assert.deepEqual([...emaStep(null, Float32Array.of(1, 0), 0.5)], [1, 0]);
    assert.deepEqual([...emaStep(Float32Array.of(1, 0), Float32Array.of(0, 1), 0.5)], [0.5, 0.5]);
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a b c d|', {
        a: inferred(0, null, 0),
        b: inferred(1, [0, 1, 0], 10),
        c: inferred(2, [0, 0, 1], 10),
        d: inferred(3, [0, 0, 1], 0),
      });
      const out = source.pipe(smooth(0.5, 3));
      const pick = (v: { smoothed: Float32Array; isVoiced: boolean }) => ({ p: [...v.smoothed].map((x) => +x.toFixed(4)), voiced: v.isVoiced });
      const third = 1 / 3;
      expectObservable(out.pipe(map(pick))).toBe('a b c d|', {
        a: { p: [...uniform(3)].map((x) => +x.toFixed(4)), voiced: false },
        b: { p: [0, 1, 0], voiced: true },
        c: { p: [0, 0.5, 0.5], voiced: true },
        d: { p: [third / 2, 0.25 + third / 2, 0.25 + third / 2].map((x) => +x.toFixed(4)), voiced: false },
      });
    });
  });

  it('releases its state on early unsubscribe', () => {
    const subject = new Subject<InferredHop>();
    const seen: number[] = [];
    const sub = subject.pipe(smooth(0.5, 3)).subscribe((v) => seen.push(v.index));
    subject.next(inferred(0, [1, 0, 0], 5));
    sub.unsubscribe();
    subject.next(inferred(1, [1, 0, 0], 5));
    assert.deepEqual(seen, [0]);
    assert.equal(subject.observed, false);
  });
});

describe('infer stage', () => {
  const hopOf = (index: number): Hop => ({
    index,
    startMs: index * 100,
    endMs: (index + 1) * 100,
    frames: new Float32Array(20),
    voiced: Uint8Array.of(1),
    frameCount: 1,
    voicedFrames: 1,
    framesTotal: index + 1,
    inputSamplesTotal: (index + 1) * 1600,
    final: false,
    arrivedAtMs: 0,
  });

  it('emits in hop order even when the model answers out of order; stops on unsubscribe', async () => {
    const resolvers: ((o: StepOutcome) => void)[] = [];
    const stream: InferenceStream = {
      sessionId: 's',
      numCoeffs: MFCC_CONFIG.numCoeffs,
      step: () => new Promise<StepOutcome>((resolve) => resolvers.push(resolve)),
      close: () => undefined,
    };
    const subject = new Subject<Hop>();
    const seen: number[] = [];
    const sub = subject.pipe(infer(stream)).subscribe((h) => seen.push(h.index));
    subject.next(hopOf(0));
    subject.next(hopOf(1));
    subject.next(hopOf(2));
    resolvers[1]?.({ probs: Float32Array.of(1), framesConsumed: 2 });
    resolvers[0]?.({ probs: Float32Array.of(1), framesConsumed: 1 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [0, 1]);
    sub.unsubscribe();
    resolvers[2]?.({ probs: Float32Array.of(1), framesConsumed: 3 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [0, 1]);
  });

  it('turns a failed model call into the stream error', async () => {
    const stream: InferenceStream = {
      sessionId: 's',
      numCoeffs: MFCC_CONFIG.numCoeffs,
      step: () => Promise.reject(new ProtocolError('internal', 'boom')),
      close: () => undefined,
    };
    const subject = new Subject<Hop>();
    const failure = new Promise<unknown>((resolve) => subject.pipe(infer(stream)).subscribe({ error: resolve }));
    subject.next(hopOf(0));
    const err = await failure;
    assert.ok(err instanceof ProtocolError && err.code === 'internal');
  });
});

describe('decode stage', () => {
  it('carries partial samples across chunks and fails the stream with bad_audio on NaN', () => {
    const subject = new Subject<{ bytes: Uint8Array; arrivedAtMs: number }>();
    const samples: number[] = [];
    let error: unknown = null;
    subject.pipe(decode({ encoding: 'pcm_s16le', channels: 1 })).subscribe({ next: (c) => samples.push(...c.samples), error: (e: unknown) => (error = e) });
    const bytes = new Uint8Array(new Int16Array([16384, -16384, 8192]).buffer);
    subject.next({ bytes: bytes.subarray(0, 3), arrivedAtMs: 0 });
    subject.next({ bytes: bytes.subarray(3), arrivedAtMs: 0 });
    assert.deepEqual(samples, [0.5, -0.5, 0.25]);
    const floats = new Subject<{ bytes: Uint8Array; arrivedAtMs: number }>();
    floats.pipe(decode({ encoding: 'pcm_f32le', channels: 1 })).subscribe({ error: (e: unknown) => (error = e) });
    floats.next({ bytes: new Uint8Array(Float32Array.of(0, Number.NaN).buffer), arrivedAtMs: 0 });
    assert.ok(error instanceof ProtocolError && error.code === 'bad_audio');
  });
});

describe('hop stage', () => {
  it('counts the frames wholly inside a span', () => {
    assert.equal(framesEndingBy(399, 400, 160), 0);
    assert.equal(framesEndingBy(400, 400, 160), 1);
    assert.equal(framesEndingBy(4000, 400, 160), 23); // 250 ms: frames ending at 25 … 245 ms
    assert.equal(framesEndMs(23), 245);
  });

  it('cuts on the sample clock, whatever the block sizes, and flushes a final hop', () => {
    const block = (count: number, samplesTotal: number): VoicedFeatureBlock => ({
      count,
      coeffs: new Float32Array(count * 20).fill(samplesTotal),
      energyDb: new Float32Array(count),
      voiced: new Uint8Array(count).fill(1),
      samplesTotal,
      inputSamplesTotal: samplesTotal,
      arrivedAtMs: 0,
    });
    // 1 s of audio in 3 uneven blocks; frames total = framesEndingBy(16000) = 98.
    const blocks = [block(framesEndingBy(3000, 400, 160), 3000), block(framesEndingBy(12000, 400, 160) - 17, 12000), block(98 - 73, 16000)];
    const hops: Hop[] = [];
    const subject = new Subject<VoicedFeatureBlock>();
    subject.pipe(hop({ hopMs: 250, inputRateHz: 16000 })).subscribe((h) => hops.push(h));
    for (const b of blocks) subject.next(b);
    subject.complete();
    assert.deepEqual(
      hops.map((h) => [h.index, h.startMs, h.endMs, h.frameCount, h.framesTotal, h.final]),
      [
        [0, 0, 250, 23, 23, false],
        [1, 250, 500, 25, 48, false],
        [2, 500, 750, 25, 73, false],
        [3, 750, 1000, 25, 98, false],
        [4, 1000, 1000, 0, 98, true],
      ],
    );
  });

  it('with the step rule: cuts once no model step can complete inside the hop, whatever the block sizes', () => {
    const steps = { stepFrames: 8, resetAfterSilenceFrames: 5 };
    // 1 s = 98 frames: speech, a pause long enough to drop and reset (frames 38–47), speech.
    const voiced = new Uint8Array(98).fill(1).fill(0, 38, 48);
    const cutAt = (sizes: number[]): number[][] => {
      const hops: Hop[] = [];
      const subject = new Subject<VoicedFeatureBlock>();
      subject.pipe(hop({ hopMs: 250, inputRateHz: 16000, steps })).subscribe((h) => hops.push(h));
      let pos = 0;
      for (const size of [...sizes, 98]) {
        const count = Math.min(size, 98 - pos);
        const samplesTotal = 400 + (pos + count - 1) * 160;
        subject.next({
          count,
          coeffs: new Float32Array(count * 20),
          energyDb: new Float32Array(count),
          voiced: voiced.slice(pos, pos + count),
          samplesTotal,
          inputSamplesTotal: samplesTotal,
          arrivedAtMs: 0,
        });
        pos += count;
      }
      subject.complete();
      return hops.map((h) => [h.index, h.frameCount, h.framesTotal, h.voicedFrames, h.final ? 1 : 0]);
    };
    // Hop ends (frames ending by 250/500/750/1000 ms): 23, 48, 73, 98. Steps complete at 8 …
    // 40; frames 38–42 are the pause's first R = 5 (fed), 43 is dropped with the pending step,
    // so from 44 no step can complete before 48; speech at 48 resets the grid: steps at 56 … 96.
    const expected = [
      [0, 16, 16, 16, 0], // after the step at 16 none fits before 23: cut at 16, not 23
      [1, 28, 44, 22, 0], // dropping: the next step needs 8 fed frames, past 48
      [2, 28, 72, 24, 0], // the step at 72 is the last before 73
      [3, 24, 96, 24, 0],
      [4, 2, 98, 2, 1],
    ];
    assert.deepEqual(cutAt([98]), expected);
    assert.deepEqual(cutAt([1, 1, 1, 5, 7, 3, 20, 2]), expected);
    assert.deepEqual(cutAt(Array.from({ length: 98 }, () => 1)), expected);
  });
});

describe('result stage', () => {
  it('endMs: last consumed frame on a voiced hop, last judged frame otherwise, plus look-ahead, capped', () => {
    const base = {
      index: 3,
      startMs: 750,
      endMs: 1000,
      frames: new Float32Array(0),
      voiced: new Uint8Array(0),
      frameCount: 25,
      voicedFrames: 25,
      framesTotal: 98, // last frame ends at 995 ms
      inputSamplesTotal: 48_000 * 1.1, // 1100 ms received at 48 kHz
      final: false,
      arrivedAtMs: 0,
      probs: Float32Array.of(0.2, 0.3, 0.5),
      framesConsumedTotal: 96, // the model stepped through 975 ms
      smoothed: Float32Array.of(0.2, 0.3, 0.5),
      isVoiced: true,
    };
    const options = { labels: LABELS, inputRateHz: 48_000, lookaheadMs: 2 };
    const voiced = toEmotionMessage(base, options);
    assert.equal(voiced.endMs, 977);
    assert.equal(voiced.top, 'angry');
    assert.equal(voiced.confidence, 0.5);
    assert.equal(voiced.final, undefined);
    assert.equal(toEmotionMessage({ ...base, isVoiced: false }, options).endMs, 997);
    const capped = toEmotionMessage({ ...base, isVoiced: false, inputSamplesTotal: 48 * 996, final: true }, options);
    assert.equal(capped.endMs, 996);
    assert.equal(capped.final, true);
  });
});

describe('worker message packing', () => {
  it('round-trips hops and results through one typed array each', () => {
    const hops = [
      { sessionId: 'a', requestId: 1, frames: Float32Array.from({ length: 40 }, (_, i) => i), voiced: Uint8Array.of(1, 0) },
      { sessionId: 'b', requestId: 2, frames: new Float32Array(0), voiced: new Uint8Array(0) },
      { sessionId: 'c', requestId: 3, frames: Float32Array.from({ length: 20 }, (_, i) => -i), voiced: Uint8Array.of(1) },
    ];
    const packed = packHops(hops);
    assert.equal(packed.frames.length, 60);
    assert.deepEqual(
      unpackHops(packed, 20).map((h) => [h.sessionId, h.requestId, [...h.frames], [...h.voiced]]),
      hops.map((h) => [h.sessionId, h.requestId, [...h.frames], [...h.voiced]]),
    );
    const results = [
      { sessionId: 'a', requestId: 1, probs: Float32Array.of(0.25, 0.75), framesConsumed: 2 },
      { sessionId: 'b', requestId: 2, probs: null, framesConsumed: 0, error: 'boom' },
    ];
    const back = unpackResults(packResults(results, 2));
    assert.deepEqual([...(back[0]?.probs ?? [])], [0.25, 0.75]);
    assert.equal(back[1]?.probs, null);
    assert.equal(back[1]?.error, 'boom');
    assert.equal(back[0]?.framesConsumed, 2);
  });
});

describe('audio queue', () => {
  it('feeds small chunks at once, big ones in slices one per macrotask, and ends after them', async () => {
    const fed: number[] = [];
    let completed = false;
    const queue = new AudioQueue(4, (c) => fed.push(c.bytes.length), () => (completed = true));
    queue.push(new Uint8Array(3), 0);
    assert.deepEqual(fed, [3], 'small chunk to an empty queue: fed synchronously');
    queue.push(new Uint8Array(10), 0);
    queue.push(new Uint8Array(2), 0);
    queue.end();
    assert.deepEqual(fed, [3]);
    assert.equal(completed, false, 'end waits behind queued audio');
    for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
    assert.deepEqual(fed, [3, 4, 4, 2, 2]);
    assert.equal(completed, true);
  });

  it('dispose drops what is queued', async () => {
    const fed: number[] = [];
    const queue = new AudioQueue(4, (c) => fed.push(c.bytes.length), () => assert.fail('must not complete'));
    queue.push(new Uint8Array(12), 0);
    queue.end();
    queue.dispose();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(fed, []);
  });
});

describe('backlog', () => {
  it('measures unanswered audio and pauses with hysteresis', () => {
    const backlog = new Backlog(32_000, 1_000); // 16 kHz s16 mono, 1 s limit
    backlog.received(48_000); // 1.5 s
    assert.equal(backlog.ms, 1500);
    assert.equal(backlog.bytes, 48_000);
    assert.equal(backlog.verdict(false), 'pause');
    assert.equal(backlog.wouldExceed(1), true);
    backlog.answered(750);
    assert.equal(backlog.verdict(true), null, 'still above half the limit');
    backlog.answered(1000);
    assert.equal(backlog.verdict(true), 'resume');
    backlog.answered(500);
    assert.equal(backlog.ms, 500, 'answers never go backwards');
    assert.throws(() => new Backlog(0, 1), /bytesPerSecond: expected > 0, got 0/);
  });
});

describe('summary', () => {
  const message = (seq: number, top: string, confidence: number, voiced: boolean): EmotionMessage => ({
    type: 'emotion',
    seq,
    startMs: seq * 250,
    endMs: seq * 250 + 245,
    probs: { neutral: top === 'neutral' ? confidence : (1 - confidence) / 2, happy: top === 'happy' ? confidence : (1 - confidence) / 2, angry: top === 'angry' ? confidence : (1 - confidence) / 2 },
    top,
    confidence,
    voiced,
    arousal: 0,
    valence: 0,
  });

  it('merges runs of one voiced label into segments; mean over voiced hops only', () => {
    const acc = new SummaryAccumulator(LABELS);
    const seq = [
      message(0, 'neutral', 1 / 3, false),
      message(1, 'angry', 0.6, true),
      message(2, 'angry', 0.8, true),
      message(3, 'happy', 0.5, true),
      message(4, 'neutral', 1 / 3, false),
      message(5, 'happy', 0.7, true),
    ];
    seq.forEach((m) => acc.push(m, m.startMs + 250));
    const summary = acc.build();
    assert.equal(summary.durationMs, 1500);
    assert.equal(summary.voicedMs, 1000);
    assert.deepEqual(
      summary.segments.map((s) => [s.startMs, s.endMs, s.label, s.confidence]),
      [
        [250, 750, 'angry', 0.7],
        [750, 1000, 'happy', 0.5],
        [1250, 1500, 'happy', 0.7],
      ],
    );
    assert.ok(Math.abs(Object.values(summary.mean).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(summary.dominant, 'angry');
  });

  it('no voiced hop: uniform mean', () => {
    const acc = new SummaryAccumulator(LABELS);
    acc.push(message(0, 'neutral', 1 / 3, false), 250);
    const summary = acc.build();
    assert.equal(summary.voicedMs, 0);
    assert.deepEqual(summary.segments, []);
    for (const p of Object.values(summary.mean)) assert.ok(Math.abs(p - 1 / 3) < 1e-6);
  });
});

describe('start and format validation', () => {
  const defaults = { hopMs: 250, smoothing: 0.5 };
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      assert.match(err.message, /expected .*, got /);
      return err.code;
    }
    return 'none';
  };

  it('parses control messages', () => {
    assert.equal(parseClientMessage('{"type":"end"}').type, 'end');
    assert.equal(code(() => parseClientMessage('nope')), 'bad_message');
    assert.equal(code(() => parseClientMessage('[1]')), 'bad_message');
    assert.equal(code(() => parseClientMessage('{"type":"stop"}')), 'bad_message');
  });

  it('validates the format with defaults', () => {
    assert.deepEqual(resolveFormat({ sampleRate: 8000, encoding: 'alaw', channels: 1 }, defaults), {
      sampleRateHz: 8000,
      encoding: 'alaw',
      channels: 1,
      hopMs: 250,
      smoothing: 0.5,
      // The channel fields default to the v1 behaviour: mixed, no labels, no external ids.
      channelMode: 'mix',
      channelLabels: undefined,
      externalIds: {},
    });
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'flac', channels: 1 }, defaults)), 'unsupported_format');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000.5, encoding: 'mulaw', channels: 1 }, defaults)), 'unsupported_format');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'mulaw', channels: 2, hopMs: 6000 }, defaults)), 'bad_message');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'mulaw', channels: 1, smoothing: 1 }, defaults)), 'bad_message');
  });
});

describe('auth', () => {
  it('accepts a configured key by header or token, in constant time per key', () => {
    const url = new URL('http://x/v1/stream?token=abc');
    assert.equal(presentedKey({ authorization: 'Bearer k1' }, new URL('http://x/')), 'k1');
    assert.equal(presentedKey({}, url), 'abc');
    assert.equal(presentedKey({}, new URL('http://x/')), null);
    assert.equal(isAuthorized([], null), true);
    assert.equal(isAuthorized(['k1', 'k2'], 'k2'), true);
    assert.equal(isAuthorized(['k1', 'k2'], 'k3'), false);
    assert.equal(isAuthorized(['k1'], null), false);
    assert.equal(isAuthorized(['k1'], ''), false);
  });

  it('checks Origin only when configured and present', () => {
    assert.equal(isOriginAllowed([], 'https://a'), true);
    assert.equal(isOriginAllowed(['https://a'], undefined), true);
    assert.equal(isOriginAllowed(['https://a'], 'https://a'), true);
    assert.equal(isOriginAllowed(['https://a'], 'https://b'), false);
    assert.equal(isOriginAllowed(['*'], 'https://b'), true);
  });
});

describe('configuration', () => {
  it('reads env, then flags over env, and validates', () => {
    const partial = configFromEnvAndArgs(
      { PORT: '9000', HOST: '127.0.0.1', SER_MODE: 'naive', SER_API_KEYS: 'a, b', SER_SMOOTHING: '0.25' },
      ['--port', '9100', '--max-sessions=7', '--engine', 'cpu'],
    );
    const config = resolveConfig(partial);
    assert.equal(config.port, 9100);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.mode, 'naive');
    assert.deepEqual(config.apiKeys, ['a', 'b']);
    assert.equal(config.defaultSmoothing, 0.25);
    assert.equal(config.maxSessions, 7);
    assert.equal(config.engine, 'cpu');
    assert.throws(() => configFromEnvAndArgs({}, ['--prot', '1']), /expected one of the flags/);
    assert.throws(() => resolveConfig({ port: 70_000 }), /port: expected an integer in 0–65535, got 70000/);
    assert.throws(() => resolveConfig({ mode: 'fast' as never }), /mode: expected one of streaming, naive/);
    assert.throws(() => resolveConfig(configFromEnvAndArgs({ SER_WORKERS: 'two' }, [])), /workers/);
    const layout = resolveConfig(configFromEnvAndArgs({ SER_DSP_THREAD: 'main' }, ['--batch-window-ms', '0']));
    assert.equal(layout.dspThread, 'main');
    assert.equal(layout.batchWindowMs, 0);
    assert.equal(resolveConfig({}).dspThread, 'worker');
    assert.throws(() => resolveConfig({ dspThread: 'gpu' as never }), /dspThread: expected one of worker, main/);
    assert.throws(() => resolveConfig({ batchWindowMs: 500 }), /batchWindowMs: expected a number in 0–100, got 500/);
  });
});
