/**
 * The session rows of the CV evaluation (`--sessions`): per held-out speaker ONE
 * POST /v1/analyze holding all of that speaker's clips (sessions.ts), the condition applied
 * to the whole stream (a fixed filter, Condition.clipwise16k, to each clip before they are
 * joined), its results cut back into one outcome per clip so the row is scored
 * like any other (scores.ts).
 */
import { hashString32 } from '../train/augment.js';
import { analyze, mapLimited, type AnalyzeOptions } from './analyze_client.js';
import { pcm16k, type Condition } from './conditions.js';
import type { ClipOutcome } from './scores.js';
import { clipOutcomes, sessionConditionName, sessionOf, sessionOrder } from './sessions.js';

export interface SessionRun {
  /** The running server's base URL. */
  serverUrl: string;
  /** The fold's clips; each needs its speaker. */
  clips: readonly { speaker: string | null; label: string }[];
  /** Their 16 kHz samples, in the same order. */
  samples: readonly Float32Array[];
  /** The model's labels. */
  labels: readonly string[];
  analyze: AnalyzeOptions;
  /** Sessions (speakers) in flight at once. */
  concurrency: number;
}

/** Clip indices per speaker, speakers in order of first appearance. */
export function clipsBySpeaker(clips: readonly { speaker: string | null }[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  clips.forEach((clip, i) => {
    if (clip.speaker === null) throw new Error(`sessions: expected every clip to name its speaker, got none for clip ${i}`);
    const group = groups.get(clip.speaker);
    if (group === undefined) groups.set(clip.speaker, [i]);
    else group.push(i);
  });
  return groups;
}

/**
 * One outcome per clip of `run.clips` (same order) under `condition` as one session per
 * speaker. The order is seeded by the speaker alone, so every condition and every model
 * hears the same session; the condition's noise by the row and the speaker.
 */
export async function sessionOutcomes(condition: Condition, run: SessionRun): Promise<ClipOutcome[]> {
  const out = new Array<ClipOutcome>(run.clips.length);
  await mapLimited([...clipsBySpeaker(run.clips)], run.concurrency, async ([speaker, indices]) => {
    const order = sessionOrder(indices.length, hashString32(`session|${speaker}`));
    const clipwise = condition.clipwise16k;
    const clips = indices.map((i) => run.samples[i] as Float32Array);
    const session = sessionOf(clipwise === undefined ? clips : clips.map(clipwise), order);
    const input =
      clipwise !== undefined
        ? pcm16k(session.samples)
        : await condition.make(session.samples, {
            seed: hashString32(`${sessionConditionName(condition.name)}|${speaker}`),
            others: () => run.samples.filter((_, j) => run.clips[j]?.speaker !== speaker),
          });
    const answer = await analyze(run.serverUrl, input, run.analyze);
    const labelOf = (k: number): number => run.labels.indexOf((run.clips[indices[k] as number] as { label: string }).label);
    clipOutcomes(answer.results, session.spans, labelOf, run.labels).forEach((outcome, k) => {
      out[indices[k] as number] = outcome;
    });
  });
  return out;
}
