/**
 * DSP throughput on one core: MFCC, pitch, resampler, PCM decoder and the whole feature chain
 * (shared/dsp/feature_chain.ts: what each stream costs before the model), as × real time.
 * Prints numbers only; it never asserts on time (benchmarks live apart from tests).
 *
 *   node --import tsx bench/mfcc.ts [--seconds 30]
 */
import { FeatureChain } from '../shared/dsp/feature_chain.js';
import { encodeMulaw } from '../shared/dsp/g711.js';
import { MfccExtractor } from '../shared/dsp/mfcc.js';
import { PcmDecoder } from '../shared/dsp/pcm_decode.js';
import { PitchTracker } from '../shared/dsp/pitch.js';
import { StreamingResampler } from '../shared/dsp/resample.js';
import type { Encoding } from '../shared/protocol.js';

const secondsArg = process.argv.indexOf('--seconds');
/** Seconds of audio per measured run. */
const AUDIO_SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 30;
/** Streaming chunk: 20 ms, what a browser AudioWorklet or a telephony gateway sends. */
const CHUNK_MS = 20;
const RUNS = 5;

/** Speech-like test signal: noise-modulated harmonics with pauses; deterministic. */
function signal(rateHz: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rateHz * seconds));
  let seed = 12345;
  for (let n = 0; n < out.length; n++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = n / rateHz;
    const envelope = Math.max(0, Math.sin(2 * Math.PI * 1.3 * t));
    out[n] = envelope * (0.3 * Math.sin(2 * Math.PI * 140 * t) + 0.1 * Math.sin(2 * Math.PI * 1130 * t)) + 0.01 * (seed / 2 ** 32 - 0.5);
  }
  return out;
}

function chunks<T extends Float32Array | Uint8Array>(x: T, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < x.length; i += size) out.push(x.subarray(i, i + size) as T);
  return out;
}

/**
 * CPU seconds (user + system) of this process, not wall time: the numbers stay meaningful
 * on a shared machine, where wall time mostly measures the neighbours.
 */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Median CPU seconds of `RUNS` runs after one warm-up. */
function time(run: () => void): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = cpuSeconds();
    run();
    times.push(cpuSeconds() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)] as number;
}

function row(name: string, seconds: number, extra: string): void {
  console.log(`${name.padEnd(46)} ${(AUDIO_SECONDS / seconds).toFixed(0).padStart(8)} × real time   ${extra}`);
}

console.log(`DSP benchmark: ${AUDIO_SECONDS} s of audio per run, median of ${RUNS}, process CPU time (one JS thread), node ${process.version}`);

{
  const x = signal(16000, AUDIO_SECONDS);
  const parts = chunks(x, (16000 * CHUNK_MS) / 1000);
  let frames = 0;
  const streaming = time(() => {
    const m = new MfccExtractor();
    frames = 0;
    for (const p of parts) frames += m.push(p).count;
  });
  row(`MFCC 16 kHz, ${CHUNK_MS} ms chunks`, streaming, `${(frames / streaming).toFixed(0)} frames/s`);
  const offline = time(() => {
    frames = new MfccExtractor().push(x).count;
  });
  row('MFCC 16 kHz, one push', offline, `${(frames / offline).toFixed(0)} frames/s`);
}

{
  const parts = chunks(signal(16000, AUDIO_SECONDS), (16000 * CHUNK_MS) / 1000);
  let frames = 0;
  const seconds = time(() => {
    const p = new PitchTracker();
    frames = 0;
    for (const part of parts) frames += p.push(part).count;
  });
  row(`pitch (YIN @ 4 kHz), ${CHUNK_MS} ms chunks`, seconds, `${(frames / seconds).toFixed(0)} frames/s (only for models with featureConfig.pitch)`);
}

for (const rateHz of [8000, 22050, 44100, 48000]) {
  const parts = chunks(signal(rateHz, AUDIO_SECONDS), (rateHz * CHUNK_MS) / 1000);
  const r = new StreamingResampler(rateHz);
  const seconds = time(() => {
    for (const p of parts) r.process(p);
    r.flush();
  });
  row(`resample ${rateHz} → 16000 Hz`, seconds, `${r.tapsPerOutput} taps/output, ${(((AUDIO_SECONDS * 16000 * r.tapsPerOutput) / seconds) / 1e6).toFixed(0)} M MAC/s`);
}

for (const [encoding, channels, rateHz] of [['pcm_s16le', 1, 16000], ['pcm_s16le', 2, 48000], ['pcm_f32le', 1, 48000], ['mulaw', 1, 8000]] as const) {
  const x = signal(rateHz, AUDIO_SECONDS * channels);
  let bytes: Uint8Array;
  if (encoding === 'mulaw') bytes = encodeMulaw(x);
  else if (encoding === 'pcm_f32le') bytes = new Uint8Array(x.buffer);
  else bytes = new Uint8Array(Int16Array.from(x, (v) => Math.round(v * 32767)).buffer);
  const bytesPerSecond = (bytes.length / AUDIO_SECONDS) | 0;
  // Odd chunk sizes, so the carry path runs on most chunks.
  const parts = chunks(bytes, Math.round((bytesPerSecond * CHUNK_MS) / 1000) + 1);
  const d = new PcmDecoder({ encoding: encoding as Encoding, channels });
  const seconds = time(() => {
    for (const p of parts) d.decode(p);
  });
  row(`decode ${encoding} × ${channels} @ ${rateHz} Hz`, seconds, `${(bytes.length / seconds / 1e6).toFixed(0)} MB/s`);
}

for (const [encoding, rateHz, pitch] of [['pcm_s16le', 16000, false], ['pcm_s16le', 48000, false], ['mulaw', 8000, false], ['pcm_s16le', 16000, true]] as const) {
  const x = signal(rateHz, AUDIO_SECONDS);
  const bytes = encoding === 'mulaw' ? encodeMulaw(x) : new Uint8Array(Int16Array.from(x, (v) => Math.round(v * 32767)).buffer);
  const parts = chunks(bytes, (bytes.length / AUDIO_SECONDS) * (CHUNK_MS / 1000));
  const chain = new FeatureChain({ inputRateHz: rateHz, decoder: { encoding, channels: 1 }, ...(pitch ? { numCoeffs: 22, pitch } : {}) });
  let frames = 0;
  const seconds = time(() => {
    frames = 0;
    for (const p of parts) frames += chain.pushBytes(p).count;
    frames += chain.flush().count;
  });
  row(`feature chain ${encoding} @ ${rateHz} Hz${pitch ? ' + pitch' : ''}`, seconds, `${(frames / seconds).toFixed(0)} frames/s`);
}
