/**
 * The cross-validation report as Markdown (the model card's tables) and the reliability
 * diagram as SVG. Targets from issue 9: wideband final UAR ≥ 62 %, telephone ≥ 90 % of
 * wideband, no robustness condition below 75 % of wideband, live UAR ≥ 90 % of final.
 */
import type { ConditionSummary, CvReport, SummaryCell } from './cv_eval.js';
import type { ReliabilityBin } from './scores.js';
import { isSessionCondition, SESSION_PREFIX } from './sessions.js';

const pct = (x: number): string => (100 * x).toFixed(1);
const pm = (c: SummaryCell): string => `${pct(c.mean)} ± ${pct(c.sd)}`;

function ratio(a: ConditionSummary, b: ConditionSummary | undefined): string {
  return b === undefined || b.final.mean === 0 ? '—' : `${Math.round((100 * a.final.mean) / b.final.mean)} %`;
}

export function reportMarkdown(report: CvReport, title: string): string {
  const wide = report.conditions.find((c) => c.condition === 'wideband');
  const lines = [
    `### ${title}`,
    '',
    `${report.conditions[0]?.folds ?? 0} speaker-independent folds; every score is the mean ± sd over folds of the fold's UAR (%), from the server's own pipeline (POST /v1/analyze, hop ${report.hopMs} ms, smoothing ${report.smoothing}).`,
    '',
    '| Condition | Final UAR | Live UAR (voiced hops) | Summary UAR | Live ECE | Final vs wideband | Live vs final |',
    '|---|---|---|---|---|---|---|',
    ...report.conditions.map(
      (c) =>
        `| ${c.condition} — ${c.description} | **${pm(c.final)}** | ${pm(c.live)} | ${pm(c.summary)} | ${pct(c.ece.mean)} | ${c === wide ? '—' : ratio(c, wide)} | ${c.final.mean === 0 ? '—' : `${Math.round((100 * c.live.mean) / c.final.mean)} %`} |`,
    ),
    '',
  ];
  if (wide !== undefined) {
    const tel = report.conditions.find((c) => c.condition === 'telephone');
    // The targets are about channels; a session row is a channel heard as one stream per speaker.
    const robust = report.conditions.filter((c) => c !== wide && !isSessionCondition(c.condition));
    const worst = robust.reduce<ConditionSummary | null>((w, c) => (w === null || c.final.mean < w.final.mean ? c : w), null);
    const ok = (b: boolean): string => (b ? 'met' : '**not met**');
    lines.push(
      `Targets: wideband final ≥ 62 %: ${ok(wide.final.mean >= 0.62)} (${pct(wide.final.mean)} %)` +
        (tel === undefined ? '' : `; telephone ≥ 90 % of wideband: ${ok(tel.final.mean >= 0.9 * wide.final.mean)} (${ratio(tel, wide)})`) +
        (worst === null ? '' : `; every condition ≥ 75 % of wideband: ${ok(worst.final.mean >= 0.75 * wide.final.mean)} (worst ${worst.condition}, ${ratio(worst, wide)})`) +
        `; live ≥ 90 % of final (wideband): ${ok(wide.live.mean >= 0.9 * wide.final.mean)} (${Math.round((100 * wide.live.mean) / Math.max(wide.final.mean, 1e-9))} %).`,
      '',
    );
  }
  const sessions = sessionLines(report.conditions);
  if (sessions.length > 0) lines.push(`Sessions against the same condition clip by clip (final / live / summary UAR, points): ${sessions.join('; ')}.`, '');
  const shown = report.conditions.filter((c) => c.condition === 'wideband' || c.condition === 'telephone');
  if (shown.length > 0) {
    lines.push(`| Final recall per class (mean over folds) | ${report.labels.join(' | ')} |`, `|---|${report.labels.map(() => '---').join('|')}|`);
    for (const c of shown) lines.push(`| ${c.condition} | ${report.labels.map((l) => pct(c.finalRecall[l] ?? 0)).join(' | ')} |`);
    lines.push('');
  }
  lines.push(...positionTable(report));
  return lines.join('\n');
}

/** Live UAR by the clip's k-th voiced hop for wideband, telephone and their session rows (reports that have it). */
function positionTable(report: CvReport): string[] {
  const rows = report.conditions.filter((c) => ['wideband', 'telephone', 'session-wideband', 'session-telephone'].includes(c.condition) && (c.liveByPosition?.length ?? 0) > 0);
  const bins = rows[0]?.liveByPosition;
  if (bins === undefined) return [];
  const ms = (k: number): string => `${(k * report.hopMs) / 1000} s`;
  const head = bins.map((b) => (b.to === null ? `hop ${b.from}+ (after ${ms(b.from - 1)})` : b.from === b.to ? `hop ${b.from}` : `hops ${b.from}–${b.to}`));
  const lines = [
    `Live UAR by the clip's k-th voiced hop (hop ${report.hopMs} ms; the share of voiced hops in brackets): how the live view improves as the utterance goes on.`,
    '',
    `| Condition | ${head.join(' | ')} | Final |`,
    `|---|${bins.map(() => '---').join('|')}|---|`,
  ];
  for (const c of rows) {
    const total = (c.liveByPosition ?? []).reduce((sum, b) => sum + b.hops, 0);
    lines.push(`| ${c.condition} | ${(c.liveByPosition ?? []).map((b) => `${pm(b.uar)} (${Math.round((100 * b.hops) / Math.max(total, 1))} %)`).join(' | ')} | ${pm(c.final)} |`);
  }
  lines.push('');
  return lines;
}

/** "session-C +1.2 / −0.3 / +2.0" for each session row whose clip-by-clip condition C was scored too. */
function sessionLines(conditions: readonly ConditionSummary[]): string[] {
  const signed = (x: number): string => `${x < 0 ? '−' : '+'}${pct(Math.abs(x))}`;
  return conditions.flatMap((s) => {
    const c = isSessionCondition(s.condition) ? conditions.find((x) => x.condition === s.condition.slice(SESSION_PREFIX.length)) : undefined;
    if (c === undefined) return [];
    return [`${s.condition} ${signed(s.final.mean - c.final.mean)} / ${signed(s.live.mean - c.live.mean)} / ${signed(s.summary.mean - c.summary.mean)}`];
  });
}

/** Reliability diagram: accuracy per confidence bin against the diagonal, hop counts below. */
export function reliabilitySvg(bins: readonly ReliabilityBin[], title: string): string {
  const w = 360;
  const h = 300;
  const left = 40;
  const top = 30;
  const size = 220;
  const barW = size / bins.length;
  const total = bins.reduce((s, b) => s + b.hops, 0);
  const bars = bins
    .map((b, i) => {
      const x = left + i * barW;
      const acc = b.hops === 0 ? 0 : b.accuracy;
      const share = total === 0 ? 0 : b.hops / total;
      return (
        `<rect x="${x + 1}" y="${top + size - acc * size}" width="${barW - 2}" height="${acc * size}" fill="#4a78b5"><title>${(100 * b.from).toFixed(0)}–${(100 * b.to).toFixed(0)} %: accuracy ${(100 * acc).toFixed(1)} %, ${b.hops} hops</title></rect>` +
        `<rect x="${x + 1}" y="${top + size + 8}" width="${barW - 2}" height="${Math.max(0.5, share * 40)}" fill="#999"/>`
      );
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">
<text x="${left}" y="18" font-size="12">${title}</text>
<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#333"/>
${bars}
<line x1="${left}" y1="${top + size}" x2="${left + size}" y2="${top}" stroke="#c33" stroke-dasharray="4 3"/>
<text x="${left + size / 2}" y="${h - 6}" text-anchor="middle">confidence of the live top label (bins); grey: share of hops</text>
<text x="12" y="${top + size / 2}" transform="rotate(-90 12 ${top + size / 2})" text-anchor="middle">accuracy</text>
<text x="${left + size + 6}" y="${top + 10}">1.0</text><text x="${left + size + 6}" y="${top + size}">0</text>
</svg>
`;
}

/**
 * One row per recipe (its cv-report.json): the ablation table of the model card. The
 * columns are conditions every ablation run scores (`--conditions wideband,telephone,gain-20dB`).
 */
export function ablationMarkdown(rows: readonly { name: string; report: CvReport }[]): string {
  const lines = [
    '| Recipe (CV run) | Wideband final | Wideband live | Wideband summary | Telephone final | Telephone live | Gain −20 dB final | Live ECE (wideband) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { name, report } of rows) {
    const get = (condition: string): ConditionSummary | undefined => report.conditions.find((c) => c.condition === condition);
    const wide = get('wideband');
    const tel = get('telephone');
    const quiet = get('gain-20dB');
    const cellOf = (c: SummaryCell | undefined): string => (c === undefined ? '—' : pm(c));
    lines.push(
      `| ${name} | **${cellOf(wide?.final)}** | ${cellOf(wide?.live)} | ${cellOf(wide?.summary)} | ${cellOf(tel?.final)} | ${cellOf(tel?.live)} | ${cellOf(quiet?.final)} | ${wide === undefined ? '—' : pct(wide.ece.mean)} |`,
    );
  }
  return lines.join('\n');
}
