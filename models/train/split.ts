/**
 * Speaker-independent train/validation split. Clips are assigned by speaker (RAVDESS actor),
 * never at random: a random clip split puts the same voices — and, with augmentation, copies
 * of the same recording — on both sides and measures memorisation, not generalisation.
 */
import type { ClipRef } from './dataset.js';

/** RAVDESS default: actors 01–16 train, 17–20 validate (21–24 are the held-out test set). */
export const DEFAULT_TRAIN_ACTORS = '1-16';
export const DEFAULT_VAL_ACTORS = '17-20';

/**
 * Parses "1-16", "01,03,05-07" into a sorted list of two-digit ids ("01", "03", …).
 * Non-numeric tokens ("agent7") are kept as given, for generic-layout speaker names.
 */
export function parseSpeakerList(spec: string): string[] {
  const out = new Set<string>();
  for (const raw of spec.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    const range = /^(\d+)-(\d+)$/.exec(token);
    if (range !== null) {
      const from = Number.parseInt(range[1] as string, 10);
      const to = Number.parseInt(range[2] as string, 10);
      if (to < from) throw new Error(`expected an ascending range like 1-16, got "${token}"`);
      for (let a = from; a <= to; a += 1) out.add(String(a).padStart(2, '0'));
    } else if (/^\d+$/.test(token)) {
      out.add(token.padStart(2, '0'));
    } else {
      out.add(token);
    }
  }
  if (out.size === 0) throw new Error(`expected at least one speaker in "${spec}", got none`);
  return [...out].sort();
}

export interface Split {
  train: ClipRef[];
  val: ClipRef[];
  trainSpeakers: string[];
  valSpeakers: string[];
  /** True when speakers were unknown and each file had to count as its own speaker. */
  speakerUnknown: boolean;
}

/** Splits by explicit speaker lists; throws when the lists overlap or select nothing. */
export function splitBySpeakers(
  clips: readonly ClipRef[],
  trainSpeakers: readonly string[],
  valSpeakers: readonly string[],
): Split {
  const overlap = trainSpeakers.filter((s) => valSpeakers.includes(s));
  if (overlap.length > 0) {
    throw new Error(`expected disjoint train and validation speakers, got ${overlap.join(', ')} in both`);
  }
  const trainSet = new Set(trainSpeakers);
  const valSet = new Set(valSpeakers);
  const train = clips.filter((c) => c.speaker !== null && trainSet.has(c.speaker));
  const val = clips.filter((c) => c.speaker !== null && valSet.has(c.speaker));
  if (train.length === 0) throw new Error(`expected training clips for speakers ${trainSpeakers.join(',')}, got none`);
  if (val.length === 0) throw new Error(`expected validation clips for speakers ${valSpeakers.join(',')}, got none`);
  return { train, val, trainSpeakers: [...trainSet], valSpeakers: [...valSet], speakerUnknown: false };
}

/**
 * Holds out every `1/valFraction`-th speaker (sorted), so the split is deterministic and
 * speaker-disjoint. Clips without a speaker each count as their own speaker (flagged in the
 * result: the caller must warn that speaker independence is then not guaranteed).
 */
export function splitByFraction(clips: readonly ClipRef[], valFraction: number): Split {
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new Error(`expected a validation fraction in (0, 1), got ${valFraction}`);
  }
  const speakerOf = (c: ClipRef): string => c.speaker ?? `file:${c.relPath}`;
  const speakers = [...new Set(clips.map(speakerOf))].sort();
  if (speakers.length < 2) throw new Error(`expected at least 2 speakers to split, got ${speakers.length}`);
  const every = Math.max(2, Math.round(1 / valFraction));
  const valSpeakers = speakers.filter((_, i) => i % every === every - 1);
  if (valSpeakers.length === 0) valSpeakers.push(speakers[speakers.length - 1] as string);
  const valSet = new Set(valSpeakers);
  const trainSpeakers = speakers.filter((s) => !valSet.has(s));
  return {
    train: clips.filter((c) => !valSet.has(speakerOf(c))),
    val: clips.filter((c) => valSet.has(speakerOf(c))),
    trainSpeakers,
    valSpeakers,
    speakerUnknown: clips.some((c) => c.speaker === null),
  };
}
