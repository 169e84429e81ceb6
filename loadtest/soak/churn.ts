/**
 * The soak's plan, pure and seeded: `slots` streams kept busy for the whole soak, each
 * running sessions of random length back to back (a short gap between them, so a session
 * has ended before its slot's next one starts), plus a few careless clients — slow readers
 * and idle ones — spread over the first half, so that their drops land inside the run.
 * Every session is a loadtest StreamPlan; the generator's workers drive them unchanged.
 */
import { mulberry32 } from '../../shared/prng.js';
import type { ClientBehavior, StreamPlan } from '../plan.js';

export interface ChurnConfig {
  /** Normal streams kept running at once, ≥ 0. */
  slots: number;
  /** Length of the soak, s: no normal session runs past it. */
  soakSeconds: number;
  /** Length of one normal session, s, drawn uniformly in [min, max]. */
  sessionSeconds: { min: number; max: number };
  /** Pause in a slot between one session's audio end and the next session's start, s. */
  gapSeconds: number;
  /** The slots' first sessions start spread over this many seconds. */
  rampSeconds: number;
  slowReaders: number;
  idleClients: number;
  sampleRateHz: number;
  /** Chunk duration, ms, drawn per session in [min, max]. */
  chunkMs: { min: number; max: number };
  /** Offsets where clips begin in the looped audio; sessions start at one of them. */
  clipStartSamples: readonly number[];
  seed: number;
}

/** Shortest normal session worth starting at the end of a slot, s. */
const MIN_TAIL_SECONDS = 1;

export function makeChurnPlans(config: ChurnConfig): StreamPlan[] {
  const random = mulberry32(config.seed);
  const uniform = (min: number, max: number): number => min + random() * (max - min);
  const clipStarts = config.clipStartSamples.length > 0 ? config.clipStartSamples : [0];
  const plans: StreamPlan[] = [];
  const add = (startSeconds: number, audioSeconds: number, behavior: ClientBehavior): void => {
    const chunkMs = Math.round(uniform(config.chunkMs.min, config.chunkMs.max));
    plans.push({
      streamId: plans.length,
      startOffsetMs: startSeconds * 1000,
      audioOffsetSamples: clipStarts[Math.floor(random() * clipStarts.length)] as number,
      chunkSamples: Math.max(1, Math.round((chunkMs * config.sampleRateHz) / 1000)),
      totalSamples: Number.isFinite(audioSeconds) ? Math.round(audioSeconds * config.sampleRateHz) : Number.MAX_SAFE_INTEGER,
      ...(behavior !== 'stream' ? { behavior } : {}),
    });
  };
  for (let slot = 0; slot < config.slots; slot++) {
    let t = config.slots > 1 ? (slot / config.slots) * config.rampSeconds : 0;
    while (config.soakSeconds - t >= MIN_TAIL_SECONDS) {
      const seconds = Math.min(uniform(config.sessionSeconds.min, config.sessionSeconds.max), config.soakSeconds - t);
      add(t, seconds, 'stream');
      t += seconds + config.gapSeconds;
    }
  }
  // Careless clients start within the first half, after the ramp, evenly spread with jitter.
  const spread = (count: number, behavior: ClientBehavior): void => {
    const from = Math.min(config.rampSeconds, config.soakSeconds / 2);
    const span = config.soakSeconds / 2 - from;
    for (let k = 0; k < count; k++) add(from + ((k + random()) / count) * span, behavior === 'idle' ? 0 : Infinity, behavior);
  };
  spread(config.slowReaders, 'slow_reader');
  spread(config.idleClients, 'idle');
  return plans;
}
