/**
 * The capacity search: the largest stream count whose trial passes (p95 within budget, no
 * errors, no rejected sessions, no missing results). Grows geometrically from a start until a
 * trial fails, then bisects the bracket. Pure over an injected `trial` function.
 */

export interface CapacitySearchConfig {
  /** First count tried, ≥ 1. */
  startStreams: number;
  /** Largest count tried. */
  maxStreams: number;
  /** Growth factor while trials pass, > 1. Default 2. */
  growth?: number;
  /** Stop bisecting when hi − lo ≤ max(1, resolution · lo). */
  resolution: number;
}

export interface CapacityStep {
  streams: number;
  pass: boolean;
}

export interface CapacityOutcome {
  /** Largest passing count (0 when even one stream fails… or when start fails and 1 fails). */
  capacityStreams: number;
  /** Smallest failing count seen, or null when `maxStreams` passed. */
  firstFailingStreams: number | null;
  steps: CapacityStep[];
}

export async function searchCapacity(
  config: CapacitySearchConfig,
  trial: (streams: number) => Promise<boolean>,
): Promise<CapacityOutcome> {
  const growth = config.growth ?? 2;
  if (!(growth > 1)) throw new RangeError(`expected growth > 1, got ${growth}`);
  if (!(config.startStreams >= 1 && config.startStreams <= config.maxStreams)) {
    throw new RangeError(`expected 1 ≤ startStreams ≤ maxStreams, got ${config.startStreams} and ${config.maxStreams}`);
  }
  const steps: CapacityStep[] = [];
  const run = async (n: number): Promise<boolean> => {
    const pass = await trial(n);
    steps.push({ streams: n, pass });
    return pass;
  };
  let lo = 0;
  let hi: number | null = null;
  let n = config.startStreams;
  while (hi === null) {
    if (await run(n)) {
      lo = n;
      if (n >= config.maxStreams) break;
      n = Math.min(config.maxStreams, Math.max(n + 1, Math.round(n * growth)));
    } else hi = n;
  }
  if (hi !== null) {
    while (hi - lo > Math.max(1, Math.floor(config.resolution * lo))) {
      const mid = Math.floor((lo + hi) / 2);
      if (await run(mid)) lo = mid;
      else hi = mid;
    }
  }
  return { capacityStreams: lo, firstFailingStreams: hi, steps };
}
