/**
 * Inference worker entry: loads the model once (and the narrowband model for 8 kHz streams,
 * when configured: band.ts) and wires the parts that let the
 * socket-serving event loop never wait on the model:
 *
 *   port inbox (worker_port.ts) ─ work message ─┬─ opens/closes → model states (model_streams.ts)
 *                                                │                + pipelines (shard.ts)
 *                                                └─ audio, ends → pipelines (shard.ts)
 *   pipeline hop ─ step(), a direct call → batch scheduler (scheduler.ts)
 *     → one round per batch window (rounds.ts; each hop's promise settled in place)
 *   pipeline results, errors, completions → one message per turn back (worker_outbox.ts)
 *
 * Every stream's whole pipeline runs here; the main thread only moves its audio in and its
 * results out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectEngine, skippedEngines } from '../../models/engine.js';
import { contractMismatch, PIPELINE_CONTRACT } from '../../models/contract.js';
import { loadModel, type LoadedModel } from '../../models/io.js';
import { featureSettingsOf, voicedGateOf } from '../../models/meta.js';
import { segmentRuleOf } from '../../models/streaming/segment.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { StepOutcome } from '../pipeline/contract.js';
import { bandOf } from './band.js';
import type { ToWorker, WorkerInit } from './messages.js';
import { ModelStreams } from './model_streams.js';
import type { StepRequest } from './rounds.js';
import { adaptiveBatchWindowMs, BatchScheduler } from './scheduler.js';
import { PipelineShard } from './shard.js';
import { workerMemory } from './worker_memory.js';
import { WorkerOutbox } from './worker_outbox.js';
import { WorkerPort } from './worker_port.js';

if (parentPort === null) throw new Error('server/workers/worker.ts: expected to run in a worker thread');
const port = new WorkerPort(parentPort);
const init = workerData as WorkerInit;

async function main(): Promise<void> {
  let engine: string;
  let model: LoadedModel;
  let narrowband: LoadedModel | null = null;
  try {
    engine = await selectEngine(init.engine);
    model = await loadModel(init.modelDir);
    if (init.narrowbandModelDir !== undefined && init.narrowbandModelDir !== null) {
      narrowband = await loadModel(init.narrowbandModelDir);
      // One feature pipeline feeds whichever model a stream has: they must agree on it.
      const field = contractMismatch(narrowband.meta, model.meta, PIPELINE_CONTRACT);
      if (field !== null) {
        throw new Error(`narrowband model ${narrowband.meta.id}: expected the ${field} of the main model ${model.meta.id}, got another (both feed one pipeline)`);
      }
    }
  } catch (err) {
    port.post({ type: 'init_failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const meta = model.meta;
  const numCoeffs = meta.featureConfig.numCoeffs;

  const states = new ModelStreams(model, narrowband, init.mode);
  const outbox = new WorkerOutbox({ post: (m) => port.post(m), takeDsp: () => shard.takeDsp() });
  const scheduler = new BatchScheduler<StepRequest>({
    maxBatchStreams: init.maxBatchStreams,
    batchWindowMs: () => (init.mode === 'naive' ? init.batchWindowMs : adaptiveBatchWindowMs(init.batchWindowMs, states.size)),
    runRound: (taken) => outbox.modelCalls(states.round(taken)),
  });
  const shard = new PipelineShard({
    labels: meta.labels,
    voicedGate: voicedGateOf(meta),
    numCoeffs,
    logFloor: featureSettingsOf(meta).logFloor,
    pitch: featureSettingsOf(meta).pitch,
    stepRule:
      init.mode === 'streaming' ? { stepFrames: meta.stepFrames, ...segmentRuleOf(meta) } : undefined,
    step: (sessionId, frames, voiced) => {
      if (!states.has(sessionId)) return Promise.reject(new ProtocolError('internal', 'the model failed on this stream'));
      return new Promise<StepOutcome>((resolve, reject) => {
        scheduler.enqueue({ sessionId, frames, voiced, resolve, reject });
        scheduler.schedule();
      });
    },
    emit: (event) => outbox.event(event),
  });

  const release = (sessionId: string): void => {
    // Its queued hops will never be stepped; nobody awaits them any more.
    scheduler.drop(sessionId);
    states.release(sessionId);
    shard.close(sessionId);
  };

  /** One tick of the main thread's work, in the order the message states. */
  const handleWork = (message: Extract<ToWorker, { type: 'work' }>): void => {
    for (const open of message.opens) {
      states.create(open.sessionId, bandOf(open.inputRateHz) === 'narrowband');
      shard.open(open);
    }
    if (message.audio !== undefined) {
      const { items, bytes } = message.audio;
      let offset = 0;
      for (const item of items) {
        shard.push(item.sessionId, bytes.subarray(offset, offset + item.byteLength), item.arrivedAtMs);
        offset += item.byteLength;
      }
    }
    for (const end of message.ends) shard.end(end.sessionId, end.endedAtMs);
    for (const sessionId of message.closes) release(sessionId);
  };

  port.receive((messages) => {
    for (const message of messages) {
      // Stats wait their turn too, so they see every open and close posted before them.
      if (message.type === 'stats') {
        port.post({ type: 'stats', requestId: message.requestId, numTensors: tf.memory().numTensors, sessions: states.size, ...workerMemory() });
      } else {
        handleWork(message);
      }
    }
    scheduler.schedule();
  });

  port.post({
    type: 'ready',
    model: {
      id: meta.id,
      narrowbandId: narrowband?.meta.id ?? null,
      labels: [...meta.labels],
      numCoeffs,
      stepFrames: meta.stepFrames,
      windowSteps: meta.windowSteps,
      resetAfterSilenceFrames: meta.resetAfterSilenceFrames,
      engine,
      engineSkipped: [...skippedEngines()],
      voicedGate: voicedGateOf(meta),
    },
  });
}

void main();
