/**
 * Inference worker: loads the model once, owns every session's stream state, and turns
 * all hop requests that arrived since its last model call into one batched call, so the
 * socket-serving event loop never waits on the model.
 *
 * Coalescing: requests queue per session; a round takes the oldest request of up to
 * `maxBatchStreams` sessions and runs them through one `stepBatch`, at most one round per
 * `batchWindowMs` unless a full batch is waiting. While a round runs,
 * new messages queue in the port, so the busier the worker, the larger the next batch.
 * A session's requests are stepped strictly in order (its state is sequential); sessions
 * with more queued (a file sent faster than real time) rotate to the back after each
 * round so they cannot starve live streams.
 *
 * Naive mode (the baseline, as the sources serve a clip model): per session, every hop
 * re-runs the model over the whole last window of frames (no utterance trimming), batch 1,
 * no carried state.
 *
 * Pipeline sessions (dspThread 'worker', shard.ts) run their whole pipeline here; their
 * hops join the same rounds under negative request ids, answered in-thread, and their
 * results and errors go back to the main thread batched per event-loop turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../../models/engine.js';
import { loadModel } from '../../models/io.js';
import { voicedGateOf } from '../../models/meta.js';
import { createStreamState, predictOffline, stepBatch } from '../../models/streaming/runner.js';
import type { StreamState } from '../../models/streaming/runner.js';
import { naiveWindowFrames } from '../../models/streaming/span.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { StepOutcome } from '../pipeline/contract.js';
import type { FromWorker, HopRequest, HopResult, ModelCall, PipelineEvent, ToWorker, WorkerInit } from './messages.js';
import { NaiveWindow } from './naive_window.js';
import { packResults, unpackHops } from './pack.js';
import { PipelineShard } from './shard.js';

/** Batch window per stream served, ms: 160 streams on a worker wait up to 16 ms. */
const ADAPTIVE_WINDOW_MS_PER_STREAM = 0.1;
/** Upper bound of the adaptive batch window, ms (well inside a 100 ms latency budget). */
const ADAPTIVE_WINDOW_MAX_MS = 20;

const port = parentPort;
if (port === null) throw new Error('server/model/worker.ts: expected to run in a worker thread');
const init = workerData as WorkerInit;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function main(): Promise<void> {
  let engine: string;
  let model: Awaited<ReturnType<typeof loadModel>>;
  try {
    engine = await selectEngine(init.engine);
    model = await loadModel(init.modelDir);
  } catch (err) {
    post({ type: 'init_failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const meta = model.meta;
  const numCoeffs = meta.featureConfig.numCoeffs;
  // The attention window for cnn-attn-lstm, the training span for the window architectures.
  const windowFrames = naiveWindowFrames(model);

  const streams = new Map<string, StreamState>();
  const naive = new Map<string, NaiveWindow>();
  /** Per session, requests not yet stepped; Map order is the round-robin order. */
  const pending = new Map<string, HopRequest[]>();
  let scheduled = false;

  /**
   * The batch window grows with the streams this worker serves (streaming mode): many
   * streams mean a loaded CPU, where fewer, larger model calls pay tfjs's per-call overhead
   * less often, and a few ms more wait is small beside the queueing it saves. A few streams
   * keep the configured window, so a light load keeps its low latency.
   */
  const batchWindowMs = (): number =>
    init.mode === 'naive'
      ? init.batchWindowMs
      : Math.max(init.batchWindowMs, Math.min(ADAPTIVE_WINDOW_MAX_MS, streams.size * ADAPTIVE_WINDOW_MS_PER_STREAM));
  /** performance.now() when the last round started (the batch window counts from it). */
  let lastRoundMs = -Infinity;
  const schedule = (): void => {
    if (scheduled || pending.size === 0) return;
    scheduled = true;
    // Every model call costs tfjs a fixed overhead (≈ 0.4 ms at batch 1-2, profiled), so
    // hops arriving within batchWindowMs of the last call wait to share the next one;
    // a full batch goes at once. setImmediate runs after the port has delivered every
    // message already queued, so a round sees all the work that arrived in this tick.
    const waitMs = lastRoundMs + batchWindowMs() - performance.now();
    if (waitMs <= 0 || pending.size >= init.maxBatchStreams) setImmediate(round);
    else setTimeout(round, waitMs);
  };

  const takeRound = (): HopRequest[] => {
    const taken: HopRequest[] = [];
    // Snapshot the keys: re-inserting a session below must not visit it twice in one round
    // (its state may enter a model call only once).
    for (const sessionId of [...pending.keys()]) {
      if (taken.length >= init.maxBatchStreams) break;
      const queue = pending.get(sessionId);
      const request = queue?.shift();
      if (request !== undefined) taken.push(request);
      pending.delete(sessionId);
      if (queue !== undefined && queue.length > 0) pending.set(sessionId, queue);
    }
    return taken;
  };

  /** In-thread requests of pipeline sessions, by (negative) request id. */
  const localWaiters = new Map<number, { resolve: (o: StepOutcome) => void; reject: (err: Error) => void }>();
  let nextLocalId = -1;
  let events: PipelineEvent[] = [];
  /** Model calls made only for in-thread requests: reported with the next events. */
  let localCalls: ModelCall[] = [];
  let flushScheduled = false;
  const flushEvents = (): void => {
    flushScheduled = false;
    post({ type: 'pipeline', events, calls: localCalls, dsp: shard.takeDsp() });
    events = [];
    localCalls = [];
  };
  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    // One message per event-loop turn carries every session's results.
    setImmediate(flushEvents);
  };
  const shard = new PipelineShard({
    labels: meta.labels,
    voicedGate: voicedGateOf(meta),
    numCoeffs,
    stepRule:
      init.mode === 'streaming' ? { stepFrames: meta.stepFrames, resetAfterSilenceFrames: meta.resetAfterSilenceFrames } : undefined,
    step: (sessionId, frames, voiced) =>
      new Promise<StepOutcome>((resolve, reject) => {
        if (!streams.has(sessionId) && !naive.has(sessionId)) {
          reject(new ProtocolError('internal', 'the model failed on this stream'));
          return;
        }
        const requestId = nextLocalId--;
        localWaiters.set(requestId, { resolve, reject });
        const request: HopRequest = { sessionId, requestId, frames, voiced };
        const queue = pending.get(sessionId);
        if (queue === undefined) pending.set(sessionId, [request]);
        else queue.push(request);
        schedule();
      }),
    emit: (event) => {
      events.push(event);
      scheduleFlush();
    },
  });

  const postResults = (all: HopResult[], calls: ModelCall[]): void => {
    const results: HopResult[] = [];
    for (const r of all) {
      const waiter = r.requestId < 0 ? localWaiters.get(r.requestId) : undefined;
      if (waiter === undefined) {
        results.push(r);
        continue;
      }
      localWaiters.delete(r.requestId);
      if (r.error !== undefined) waiter.reject(new ProtocolError('internal', 'the model failed on this stream'));
      else waiter.resolve({ probs: r.probs, framesConsumed: r.framesConsumed });
    }
    if (results.length === 0) {
      // Only in-thread sessions: their results leave with the events, so do the call stats.
      if (calls.length > 0) {
        localCalls.push(...calls);
        scheduleFlush();
      }
      return;
    }
    const packed = packResults(results, meta.labels.length);
    post({ type: 'results', results: packed, calls }, [packed.probs.buffer as ArrayBuffer]);
  };

  const roundStreaming = (taken: HopRequest[]): void => {
    const live = taken.filter((r) => streams.has(r.sessionId));
    const started = performance.now();
    let results: HopResult[];
    try {
      const out = stepBatch(
        model,
        live.map((r) => ({ state: streams.get(r.sessionId) as StreamState, frames: r.frames, voiced: r.voiced })),
      );
      results = live.map((r, i) => {
        const o = out[i];
        return {
          sessionId: r.sessionId,
          requestId: r.requestId,
          probs: o?.probs ?? null,
          framesConsumed: o?.framesConsumed ?? 0,
        };
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A failed call leaves the states undefined; the sessions end with `internal`.
      for (const r of live) streams.delete(r.sessionId);
      results = live.map((r) => ({ sessionId: r.sessionId, requestId: r.requestId, probs: null, framesConsumed: 0, error: message }));
    }
    const seconds = (performance.now() - started) / 1000;
    postResults(results, live.length > 0 ? [{ streams: live.length, seconds }] : []);
  };

  /** Flags for a whole naive window, every frame fed to the model. */
  const allVoiced = new Uint8Array(windowFrames).fill(1);
  const roundNaive = (taken: HopRequest[]): void => {
    const results: HopResult[] = [];
    const calls: { streams: number; seconds: number }[] = [];
    for (const r of taken) {
      const window = naive.get(r.sessionId);
      if (window === undefined) continue;
      const started = performance.now();
      try {
        window.push(r.frames, r.voiced);
        const n = window.framesSeen;
        const view = window.view();
        // The sources' clip model sees the whole window: no utterance rule trims it (all
        // frames count as voiced for the model; the hop's own `voiced` flag is unchanged).
        const probs =
          view.voiced.length >= meta.stepFrames ? predictOffline(model, view.frames, allVoiced.subarray(0, view.voiced.length)) : null;
        results.push({ sessionId: r.sessionId, requestId: r.requestId, probs, framesConsumed: n });
        if (probs !== null) calls.push({ streams: 1, seconds: (performance.now() - started) / 1000 });
      } catch (err) {
        naive.delete(r.sessionId);
        const message = err instanceof Error ? err.message : String(err);
        results.push({ sessionId: r.sessionId, requestId: r.requestId, probs: null, framesConsumed: 0, error: message });
      }
    }
    postResults(results, calls);
  };

  function round(): void {
    scheduled = false;
    lastRoundMs = performance.now();
    const taken = takeRound();
    if (taken.length > 0) {
      if (init.mode === 'naive') roundNaive(taken);
      else roundStreaming(taken);
    }
    schedule();
  }

  const release = (sessionId: string): void => {
    // Its queued in-thread requests will never be answered; nobody listens to them any more.
    for (const r of pending.get(sessionId) ?? []) localWaiters.delete(r.requestId);
    pending.delete(sessionId);
    const state = streams.get(sessionId) as (StreamState & { dispose?: () => void }) | undefined;
    state?.dispose?.();
    streams.delete(sessionId);
    naive.delete(sessionId);
    shard.close(sessionId);
  };

  const createState = (sessionId: string): void => {
    if (init.mode === 'naive') naive.set(sessionId, new NaiveWindow(numCoeffs, windowFrames));
    else streams.set(sessionId, createStreamState(model));
  };

  type WorkMessage = Extract<ToWorker, { type: 'work' }>;
  const handleWork = (message: WorkMessage): void => {
    for (const sessionId of message.opens) createState(sessionId);
    for (const open of message.pipelineOpens) {
      createState(open.sessionId);
      shard.open(open);
    }
    for (const hop of message.hops === undefined ? [] : unpackHops(message.hops, numCoeffs)) {
      if (!streams.has(hop.sessionId) && !naive.has(hop.sessionId)) {
        postResults([{ sessionId: hop.sessionId, requestId: hop.requestId, probs: null, framesConsumed: 0, error: 'unknown session' }], []);
        continue;
      }
      const queue = pending.get(hop.sessionId);
      if (queue === undefined) pending.set(hop.sessionId, [hop]);
      else queue.push(hop);
    }
    if (message.audio !== undefined) {
      const { items, bytes } = message.audio;
      let offset = 0;
      for (const item of items) {
        shard.push(item.sessionId, bytes.subarray(offset, offset + item.byteLength), item.arrivedAtMs);
        offset += item.byteLength;
      }
    }
    for (const sessionId of message.pipelineEnds) shard.end(sessionId);
    for (const sessionId of message.closes) release(sessionId);
  };

  // The port delivers every queued message before the event loop moves on, and keeps going
  // while new ones arrive; doing the DSP inside the handler let a busy main thread starve
  // the model rounds and the result flushes (seen at 500 streams: results 20 s late). So
  // the handler only queues, and one macrotask works through everything queued.
  let inbox: ToWorker[] = [];
  const drainInbox = (): void => {
    const messages = inbox;
    inbox = [];
    for (const message of messages) {
      // Stats wait their turn too, so they see every open and close posted before them.
      if (message.type === 'stats') {
        post({ type: 'stats', requestId: message.requestId, numTensors: tf.memory().numTensors, sessions: streams.size + naive.size });
      } else {
        handleWork(message);
      }
    }
    schedule();
  };

  port?.on('message', (message: ToWorker) => {
    if (inbox.length === 0) setImmediate(drainInbox);
    inbox.push(message);
  });

  post({
    type: 'ready',
    model: {
      id: meta.id,
      labels: [...meta.labels],
      numCoeffs,
      stepFrames: meta.stepFrames,
      windowSteps: meta.windowSteps,
      resetAfterSilenceFrames: meta.resetAfterSilenceFrames,
      engine,
      voicedGate: voicedGateOf(meta),
    },
  });
}

void main();
