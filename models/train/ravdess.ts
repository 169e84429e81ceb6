/**
 * RAVDESS file names: `MM-VC-EE-II-SS-RR-AA.wav` (Livingstone & Russo 2018).
 * MM modality (03 audio-only), VC vocal channel (01 speech, 02 song), EE emotion,
 * II intensity, SS statement, RR repetition, AA actor (odd male, even female).
 */

/** Emotion codes 01–08 in code order; this is also the model's output order. */
export const RAVDESS_LABELS = [
  'neutral',
  'calm',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgust',
  'surprised',
] as const;

export interface RavdessName {
  modality: number;
  vocalChannel: number;
  /** Label from RAVDESS_LABELS. */
  emotion: string;
  /** 1 normal, 2 strong. */
  intensity: number;
  statement: number;
  repetition: number;
  /** Actor number 1–24. */
  actor: number;
}

const RAVDESS_NAME = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav$/i;

/** True when `fileName` (no directory) follows the RAVDESS pattern. */
export function isRavdessName(fileName: string): boolean {
  return RAVDESS_NAME.test(fileName);
}

/** Parses a RAVDESS base name; throws naming the file when a field is out of range. */
export function parseRavdessName(fileName: string): RavdessName {
  const match = RAVDESS_NAME.exec(fileName);
  if (match === null) {
    throw new Error(`expected a RAVDESS name like 03-01-05-02-01-01-12.wav, got "${fileName}"`);
  }
  const fields = match.slice(1, 8).map((s) => Number.parseInt(s, 10));
  const [modality, vocalChannel, emotionCode, intensity, statement, repetition, actor] = fields as [
    number, number, number, number, number, number, number,
  ];
  const emotion = RAVDESS_LABELS[emotionCode - 1];
  if (emotion === undefined) {
    throw new Error(`unknown label: emotion code ${emotionCode} in "${fileName}" (expected 01–08)`);
  }
  if (actor < 1 || actor > 24) {
    throw new Error(`expected actor 01–24 in "${fileName}", got ${actor}`);
  }
  return { modality, vocalChannel, emotion, intensity, statement, repetition, actor };
}
