/** Terminal rendering of results and summaries: bars in the emotion colours (palette.ts). */
import type { EmotionMessage, SummaryMessage } from '../../shared/protocol.js';
import type { EmotionResult } from '../sdk/index.js';
import { colorOf, rgbOf } from '../palette.js';

/** Eighth-block characters: a bar of width w·8 sub-cells. */
const PARTIAL_BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
/** Characters of a full-probability bar. */
export const BAR_WIDTH_CHARS = 30;

export interface RenderStyle {
  /** ANSI truecolor escapes (a TTY that does not set NO_COLOR). */
  color: boolean;
}

export function paint(text: string, hex: string, style: RenderStyle): string {
  if (!style.color) return text;
  const [r, g, b] = rgbOf(hex);
  return `\x1b[38;2;${r};${g};${b}m${text}\x1b[39m`;
}

export function bold(text: string, style: RenderStyle): string {
  return style.color ? `\x1b[1m${text}\x1b[22m` : text;
}

export function dim(text: string, style: RenderStyle): string {
  return style.color ? `\x1b[2m${text}\x1b[22m` : text;
}

/** A bar of `value` ∈ [0, 1] at `widthChars` for 1, with eighth-character resolution. */
export function bar(value: number, widthChars = BAR_WIDTH_CHARS): string {
  const eighths = Math.round(Math.min(1, Math.max(0, value)) * widthChars * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (PARTIAL_BLOCKS[eighths % 8] ?? '');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Labels by descending probability. */
export function ranked(probs: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(probs).sort((a, b) => b[1] - a[1]);
}

/** One line per label, in the given order: name, bar, probability. */
export function distributionLines(probs: Readonly<Record<string, number>>, labels: readonly string[], style: RenderStyle): string[] {
  const nameWidth = Math.max(...labels.map((l) => l.length));
  return labels.map((label) => {
    const p = probs[label] ?? 0;
    const line = `${label.padEnd(nameWidth)}  ${bar(p).padEnd(BAR_WIDTH_CHARS)}  ${p.toFixed(2)}`;
    return '  ' + paint(line, colorOf(label), style);
  });
}

/** The live view of one result: a status line and the distribution. */
export function resultBlock(result: EmotionResult, labels: readonly string[], style: RenderStyle): string[] {
  const state = result.voiced ? paint('● voiced', '#4ade80', style) : dim('○ silent', style);
  const latency = result.latencyMs === null ? '' : `  latency ${Math.round(result.latencyMs)} ms`;
  const head =
    `${seconds(result.endMs).padStart(8)}  ${bold(paint(result.top, colorOf(result.top), style), style)} ` +
    `${(result.confidence * 100).toFixed(0)}%  ${state}  ` +
    `arousal ${result.arousal.toFixed(2)}  valence ${result.valence.toFixed(2)}${dim(latency, style)}`;
  return [head, ...distributionLines(result.probs, labels, style)];
}

/** A compact one-line form of a result, for output that is not a terminal (or a watcher's). */
export function resultLine(result: EmotionMessage): string {
  const top3 = ranked(result.probs)
    .slice(0, 3)
    .map(([l, p]) => `${l} ${p.toFixed(2)}`)
    .join(', ');
  return `${seconds(result.endMs).padStart(8)}  ${result.voiced ? 'voiced' : 'silent'}  top ${result.top} ${result.confidence.toFixed(2)}  [${top3}]`;
}

export function summaryLines(summary: SummaryMessage, labels: readonly string[], style: RenderStyle): string[] {
  const head =
    `duration ${seconds(summary.durationMs)}, voiced ${seconds(summary.voicedMs)}, dominant ` +
    bold(paint(summary.dominant, colorOf(summary.dominant), style), style);
  const segments = summary.segments.map(
    (s) => `  ${seconds(s.startMs)} – ${seconds(s.endMs)}  ${paint(s.label, colorOf(s.label), style)} ${s.confidence.toFixed(2)}`,
  );
  return [
    head,
    dim('mean distribution over voiced audio:', style),
    ...distributionLines(summary.mean, labels, style),
    ...(segments.length > 0 ? [dim('segments:', style), ...segments] : [dim('no voiced segments', style)]),
  ];
}

/** Colour on a TTY unless NO_COLOR is set (https://no-color.org). */
export function styleFor(stream: NodeJS.WriteStream): RenderStyle {
  return { color: Boolean(stream.isTTY) && !process.env.NO_COLOR };
}
