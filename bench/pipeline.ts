/**
 * Per-session stage chain on one core, model excluded: what one stream-second of live audio
 * costs the inference worker for features (decode → resample → mfcc → voice gate) → hop →
 * infer → smooth → result, through the pipeline's public entry (server/pipeline/index.ts
 * audioToResults, what each worker runs per stream). The model step is answered at once with
 * a fixed distribution, so the figure is everything but the model. Sessions are interleaved
 * chunk by chunk, like a loaded worker, with 20–100 ms chunks; the audio is the load
 * generator's clips (loadtest/clips.ts), looped.
 *
 *   node --import tsx bench/pipeline.ts [--sessions 200] [--seconds 10] [--clips DIR]
 *
 * Prints CPU ms per stream-second (process CPU time, one JS thread). Never asserts on time.
 */
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { loadClips } from '../loadtest/clips.js';
import { DEFAULT_CLIPS_DIR } from '../loadtest/options.js';
import { VOICED_GATE_CONFIG } from '../shared/dsp/vad.js';
import { MFCC_CONFIG } from '../shared/dsp/mfcc.js';
import { MODEL_SAMPLE_RATE_HZ } from '../shared/protocol.js';
import { mulberry32 } from '../shared/prng.js';
import { audioToResults, type AudioChunk, type InferenceStream } from '../server/pipeline/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SESSIONS = arg('sessions', 200);
const SECONDS = arg('seconds', 10);
/** What the load test sends: the clips at the model's rate, so the resampler passes through. */
const RATE_HZ = MODEL_SAMPLE_RATE_HZ;
const RUNS = 3;
const LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
const STEP_FRAMES = 8;
const clipsArg = process.argv.indexOf('--clips');
/** The load generator's clips (its --clips default unless given). */
const CLIPS_DIR = clipsArg > 0 ? (process.argv[clipsArg + 1] as string) : fileURLToPath(new URL(`../${DEFAULT_CLIPS_DIR}/`, import.meta.url));

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The clips as the load test loops them (loadtest/clips.ts), SECONDS long, as pcm_s16le bytes. */
async function audio(): Promise<Uint8Array> {
  const loop = await loadClips(CLIPS_DIR, 0);
  const lap = new Uint8Array(loop.pcm, 0, loop.loopSamples * 2);
  const out = new Uint8Array(RATE_HZ * SECONDS * 2);
  for (let at = 0; at < out.length; at += lap.length) out.set(lap.subarray(0, Math.min(lap.length, out.length - at)), at);
  return out;
}

/**
 * One run: SESSIONS streams of the same audio, each cut in its own 20–100 ms chunks and
 * started at its own offset, interleaved in 10 ms ticks of simulated time; after each tick
 * the promise chains settle (setImmediate), as between a worker's event-loop turns.
 */
async function run(bytes: Uint8Array, seed: number): Promise<{ cpuSeconds: number; results: number }> {
  const random = mulberry32(seed);
  const probs = new Float32Array(LABELS.length).fill(1 / LABELS.length);
  let results = 0;
  /** One stream's pipeline; its model step answers at once. */
  const open = (sessionId: string): Subject<AudioChunk> => {
    let framesStepped = 0;
    const stream: InferenceStream = {
      sessionId,
      stepRule: { stepFrames: STEP_FRAMES, resetAfterSilenceFrames: 50 },
      numCoeffs: MFCC_CONFIG.numCoeffs,
      step: (_frames, voiced) => {
        framesStepped += voiced.length;
        return Promise.resolve({ probs, framesConsumed: framesStepped });
      },
      close: () => undefined,
    };
    const input = new Subject<AudioChunk>();
    input
      .pipe(audioToResults({ encoding: 'pcm_s16le', channels: 1, inputRateHz: RATE_HZ, hopMs: 250, smoothing: 0.6, labels: LABELS, stream, voicedGate: VOICED_GATE_CONFIG }))
      .subscribe(() => results++);
    return input;
  };
  const bytesPerMs = (RATE_HZ * 2) / 1000;
  const cursors = Array.from({ length: SESSIONS }, (_, i) => {
    const chunkMs = Math.round(20 + random() * 80);
    return { input: open(`s${i}`), offset: 0, chunkMs, chunkBytes: Math.round(chunkMs * bytesPerMs) & ~1, nextMs: Math.floor(random() * chunkMs) };
  });
  const start = cpuSeconds();
  let live = cursors.length;
  for (let nowMs = 0; live > 0; nowMs += 10) {
    live = 0;
    for (const c of cursors) {
      if (c.offset >= bytes.length) continue;
      live++;
      if (nowMs < c.nextMs) continue;
      const end = Math.min(bytes.length, c.offset + c.chunkBytes);
      c.input.next({ bytes: bytes.subarray(c.offset, end), arrivedAtMs: 0 });
      c.offset = end;
      c.nextMs += c.chunkMs;
      if (end >= bytes.length) c.input.complete();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { cpuSeconds: cpuSeconds() - start, results };
}

const bytes = await audio();
console.log(`Pipeline benchmark (model excluded): ${SESSIONS} sessions × ${SECONDS} s at ${RATE_HZ} Hz pcm_s16le, hop 250 ms, 20–100 ms chunks, median of ${RUNS}`);
const expected = SESSIONS * Math.ceil((SECONDS * 1000) / 250);
await run(bytes, 1); // warm-up
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const { cpuSeconds: seconds, results } = await run(bytes, 2 + i);
  if (results < expected) throw new Error(`expected ≥ ${expected} results, got ${results}`);
  times.push(seconds);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(RUNS / 2)] as number;
const streamSeconds = SESSIONS * SECONDS;
console.log(`stage chain ${((median * 1000) / streamSeconds).toFixed(3)} ms CPU per stream-second  (${(streamSeconds / median).toFixed(0)} × real time, one core)`);
