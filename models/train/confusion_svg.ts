/**
 * Confusion matrix as a standalone SVG (no plotting dependency): rows are true labels,
 * columns predictions, each cell shaded by its row-normalised share (= recall on the
 * diagonal) and labelled with the count, so unbalanced classes read fairly.
 */

/** Layout constants, px. */
const CELL_PX = 56;
const LABEL_PX = 90;
const TITLE_PX = 34;
const AXIS_PX = 22;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** White → dark blue; dark cells get white text. */
function shade(share: number): { fill: string; text: string } {
  const s = Math.min(1, Math.max(0, share));
  const r = Math.round(255 - s * (255 - 8));
  const g = Math.round(255 - s * (255 - 48));
  const b = Math.round(255 - s * (255 - 107));
  return { fill: `rgb(${r},${g},${b})`, text: s > 0.5 ? '#fff' : '#111' };
}

export function confusionSvg(confusion: readonly (readonly number[])[], labels: readonly string[], title: string): string {
  const n = labels.length;
  if (confusion.length !== n || confusion.some((r) => r.length !== n)) {
    throw new Error(`expected a ${n}×${n} confusion matrix, got ${confusion.length} rows`);
  }
  const left = LABEL_PX + AXIS_PX;
  const top = TITLE_PX + LABEL_PX;
  const width = left + n * CELL_PX + 10;
  const height = top + n * CELL_PX + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${left + (n * CELL_PX) / 2}" y="${TITLE_PX + 12}" text-anchor="middle" fill="#555">predicted</text>`,
    `<text transform="translate(14 ${top + (n * CELL_PX) / 2}) rotate(-90)" text-anchor="middle" fill="#555">true</text>`,
  ];
  labels.forEach((label, i) => {
    const cx = left + i * CELL_PX + CELL_PX / 2;
    parts.push(
      `<text transform="translate(${cx} ${top - 6}) rotate(-45)" text-anchor="start">${escapeXml(label)}</text>`,
      `<text x="${left - 6}" y="${top + i * CELL_PX + CELL_PX / 2 + 4}" text-anchor="end">${escapeXml(label)}</text>`,
    );
  });
  confusion.forEach((row, t) => {
    const rowTotal = row.reduce((s, v) => s + v, 0);
    row.forEach((count, p) => {
      const { fill, text } = shade(rowTotal === 0 ? 0 : count / rowTotal);
      const x = left + p * CELL_PX;
      const y = top + t * CELL_PX;
      parts.push(
        `<rect x="${x}" y="${y}" width="${CELL_PX}" height="${CELL_PX}" fill="${fill}" stroke="#ccc"/>`,
        `<text x="${x + CELL_PX / 2}" y="${y + CELL_PX / 2 + 4}" text-anchor="middle" fill="${text}">${count}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
