/**
 * One colour per emotion, shared by the browser page (bars, timeline, circumplex) and the
 * CLI (truecolor bars), so a label looks the same everywhere. Chosen for contrast on a
 * dark background and to keep neighbours on the circumplex distinguishable.
 */

export const EMOTION_COLORS: Readonly<Record<string, string>> = Object.freeze({
  neutral: '#9aa5b1',
  calm: '#4fd1c5',
  happy: '#f6c945',
  sad: '#5b8def',
  angry: '#ef5350',
  fearful: '#ab7df6',
  disgust: '#8bc34a',
  surprised: '#ff9f43',
});

/** Colours for labels outside the eight (a model with other labels), by a stable hash. */
const FALLBACK_COLORS = ['#e879f9', '#38bdf8', '#facc15', '#fb7185', '#34d399', '#a3a3a3'];

export function colorOf(label: string): string {
  const known = EMOTION_COLORS[label];
  if (known) return known;
  let hash = 0;
  for (let i = 0; i < label.length; i++) hash = (hash * 31 + label.charCodeAt(i)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length] ?? '#a3a3a3';
}

/** '#rrggbb' → [r, g, b], 0–255. */
export function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
