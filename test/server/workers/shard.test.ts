/**
 * The pipelines a worker hosts (server/workers/shard.ts), with a stand-in for the model: what
 * a session emits equals the same pipeline run directly (audioToResults), errors become one
 * error event with a client-safe message, close stops everything, DSP time is accounted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { ProtocolError } from '../../../shared/error_codes.js';
import { MFCC_CONFIG } from '../../../shared/dsp/mfcc.js';
import { VOICED_GATE_CONFIG } from '../../../shared/dsp/vad.js';
import type { PipelineEvent, PipelineOpen } from '../../../server/workers/messages.js';
import { PipelineShard } from '../../../server/workers/shard.js';
import type { StepOutcome } from '../../../server/pipeline/contract.js';
import { audioToResults } from '../../../server/pipeline/index.js';
import { FAKE_LABELS, FAKE_RATE_HZ, FAKE_STEP_RULE, fakeModel, fakeStream, speechLike } from '../../helpers/fake_model.js';

const LABELS = FAKE_LABELS;
const STEP_RULE = FAKE_STEP_RULE;
const RATE_HZ = FAKE_RATE_HZ;

const open = (sessionId: string, encoding: PipelineOpen['encoding'] = 'pcm_s16le'): PipelineOpen => ({
  sessionId,
  encoding,
  channels: 1,
  inputRateHz: RATE_HZ,
  hopMs: 250,
  smoothing: 0.5,
});

function setup(step?: (sessionId: string, frames: Float32Array, voiced: Uint8Array) => Promise<StepOutcome>) {
  const events: PipelineEvent[] = [];
  const models = new Map<string, ReturnType<typeof fakeModel>>();
  const shard = new PipelineShard({
    labels: LABELS,
    voicedGate: VOICED_GATE_CONFIG,
    stepRule: STEP_RULE,
    numCoeffs: MFCC_CONFIG.numCoeffs,
    logFloor: MFCC_CONFIG.logFloor,
    step:
      step ??
      ((sessionId, frames, voiced) => {
        const model = models.get(sessionId) ?? fakeModel();
        models.set(sessionId, model);
        return model(frames, voiced);
      }),
    emit: (event) => events.push(event),
  });
  return { shard, events };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('pipeline shard', () => {
  it('emits what the same pipeline run directly gives, any chunking, then complete', async () => {
    const bytes = speechLike();
    const stream = fakeStream('direct');
    const direct = await lastValueFrom(
      of({ bytes, arrivedAtMs: 0 }).pipe(audioToResults({ ...open('direct'), labels: LABELS, voicedGate: VOICED_GATE_CONFIG, stream }), toArray()),
    );
    assert.ok(direct.some((r) => r.message.voiced), 'the tone is voiced');

    const { shard, events } = setup();
    shard.open(open('s'));
    assert.equal(shard.size, 1);
    for (let offset = 0; offset < bytes.length; offset += 3001) shard.push('s', bytes.subarray(offset, offset + 3001), 0);
    shard.end('s', 1234.5);
    await settle();
    const results = events.flatMap((e) => (e.kind === 'result' ? [e.result.message] : []));
    assert.deepEqual(results, direct.map((r) => r.message));
    assert.equal(results.at(-1)?.final, true);
    const final = events.findLast((e) => e.kind === 'result');
    assert.equal(final?.kind === 'result' ? final.result.arrivedAtMs : null, 1234.5, 'the final hop arrives when the input ended, on the given clock');
    assert.deepEqual(events.at(-1), { kind: 'complete', sessionId: 's' });
    assert.equal(shard.size, 0);
    const dsp = shard.takeDsp();
    assert.ok(Math.abs(dsp.audioSeconds - 1.2) < 1e-9, `audio pushed: ${dsp.audioSeconds} s`);
    assert.ok(dsp.seconds > 0);
    assert.deepEqual(shard.takeDsp(), { audioSeconds: 0, seconds: 0 }, 'reset after each take');
  });

  it('bad audio: one error event with its code; no complete', async () => {
    const { shard, events } = setup();
    shard.open(open('f', 'pcm_f32le'));
    shard.push('f', new Uint8Array(Float32Array.of(0, Number.NaN).buffer), 0);
    shard.end('f');
    await settle();
    assert.deepEqual(
      events.map((e) => [e.kind, e.kind === 'error' ? e.code : '']),
      [['error', 'bad_audio']],
    );
    assert.equal(shard.size, 0);
  });

  it('a failed model call ends the session with internal, without leaking a non-protocol message', async () => {
    const failing = (message: Error) => setup(() => Promise.reject(message));
    for (const [err, expected] of [
      [new ProtocolError('internal', 'the model failed on this stream'), 'the model failed on this stream'],
      [new Error('tensor shape mismatch in layer 3'), 'internal error; the session was closed'],
    ] as const) {
      const { shard, events } = failing(err);
      shard.open(open('m'));
      shard.push('m', speechLike(), 0);
      await settle();
      assert.deepEqual(
        events.map((e) => (e.kind === 'error' ? [e.code, e.message] : [e.kind])),
        [['internal', expected]],
      );
    }
  });

  it('close drops the session: nothing more is emitted, pushes to it are ignored; idempotent', async () => {
    const { shard, events } = setup();
    shard.open(open('c'));
    shard.push('c', speechLike().subarray(0, 8000), 0);
    shard.close('c');
    shard.close('c');
    shard.push('c', speechLike(), 0);
    shard.end('c');
    await settle();
    assert.deepEqual(events, []);
    assert.equal(shard.size, 0);
    assert.equal(shard.takeDsp().audioSeconds, 0.25, 'only the audio pushed before close');
  });
});
