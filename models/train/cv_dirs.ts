/**
 * The layout of a CV run's output (`npm run cv -- --out <dir>`): one `fold<k>/` model
 * directory per fold. Read by the evaluation, calibration and stats-head fitting alike.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The fold<k> directories of a CV run that hold a model, in fold order. */
export function foldDirs(cvDir: string): { index: number; dir: string }[] {
  return readdirSync(cvDir)
    .map((name) => /^fold(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ index: Number(m[1]), dir: join(cvDir, m[0]) }))
    .filter((f) => existsSync(join(f.dir, 'meta.json')))
    .sort((a, b) => a.index - b.index);
}
