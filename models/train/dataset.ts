/**
 * Finds labelled clips on disk. Two layouts:
 * - `ravdess`: any folder tree of RAVDESS-named WAV files (the label and the speaker come
 *   from the name; the speaker is the actor number).
 * - `generic`: `<dir>/<label>/*.wav` — one folder per label, for retraining on your own
 *   labelled calls. The speaker is unknown unless the file name starts with `<speaker>_`
 *   (e.g. `agent07_call123.wav`), which lets `--val-speakers` keep speakers apart.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { RAVDESS_LABELS, isRavdessName, parseRavdessName } from './ravdess.js';

export const LAYOUTS = ['auto', 'ravdess', 'generic'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface ClipRef {
  /** Absolute path of the WAV file. */
  path: string;
  /** Path relative to the dataset root, for logs and cache keys. */
  relPath: string;
  label: string;
  /** Actor / speaker id as a string ("01"… for RAVDESS), or null when unknown. */
  speaker: string | null;
}

export interface ScannedDataset {
  layout: Exclude<Layout, 'auto'>;
  root: string;
  /** Labels in output order (RAVDESS code order, or the `labels` argument, or sorted folders). */
  labels: string[];
  clips: ClipRef[];
}

export interface ScanOptions {
  layout?: Layout;
  /**
   * Expected labels in output order. When given, a clip whose label is not in it is an error
   * naming the label (e.g. evaluating a model on a dataset with a class it never learnt).
   */
  labels?: readonly string[];
}

function listWavsRecursive(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listWavsRecursive(full));
    else if (entry.name.toLowerCase().endsWith('.wav')) out.push(full);
  }
  return out.sort();
}

/** RAVDESS when every WAV found has a RAVDESS name; generic otherwise. */
export function detectLayout(root: string): Exclude<Layout, 'auto'> {
  const wavs = listWavsRecursive(root);
  if (wavs.length > 0 && wavs.every((p) => isRavdessName(basename(p)))) return 'ravdess';
  return 'generic';
}

function checkLabels(clips: ClipRef[], labels: readonly string[]): void {
  const known = new Set(labels);
  for (const clip of clips) {
    if (!known.has(clip.label)) {
      throw new Error(
        `unknown label "${clip.label}" (file ${clip.relPath}); expected one of ${labels.join(', ')}`,
      );
    }
  }
}

function scanRavdess(root: string): ClipRef[] {
  return listWavsRecursive(root).map((path) => {
    const name = parseRavdessName(basename(path));
    return {
      path,
      relPath: relative(root, path),
      label: name.emotion,
      speaker: String(name.actor).padStart(2, '0'),
    };
  });
}

function scanGeneric(root: string): ClipRef[] {
  const clips: ClipRef[] = [];
  const labelDirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const label of labelDirs) {
    for (const path of listWavsRecursive(join(root, label))) {
      const base = basename(path);
      const underscore = base.indexOf('_');
      clips.push({
        path,
        relPath: relative(root, path),
        label,
        speaker: underscore > 0 ? base.slice(0, underscore) : null,
      });
    }
  }
  return clips;
}

/** Lists the clips of a dataset; throws on an unknown label or an empty dataset. */
export function scanDataset(root: string, options: ScanOptions = {}): ScannedDataset {
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`expected a dataset directory, got "${root}" (not found or not a directory)`);
  }
  const layout = options.layout === undefined || options.layout === 'auto' ? detectLayout(root) : options.layout;
  const clips = layout === 'ravdess' ? scanRavdess(root) : scanGeneric(root);
  if (clips.length === 0) throw new Error(`expected WAV files under "${root}", found none`);
  let labels: string[];
  if (options.labels !== undefined) labels = [...options.labels];
  else if (layout === 'ravdess') labels = [...RAVDESS_LABELS];
  else labels = [...new Set(clips.map((c) => c.label))].sort();
  checkLabels(clips, labels);
  return { layout, root, labels, clips };
}
