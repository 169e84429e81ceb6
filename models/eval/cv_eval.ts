/**
 * Scores every fold of a cross-validation run (`npm run cv`) through the real server: fold k's
 * model is served by `startServer` on an ephemeral port, and each of its held-out speakers'
 * clips is sent under each condition to POST /v1/analyze, the pipeline a live stream runs.
 * Per fold and condition it keeps the three scores (scores.ts) and each clip's outcome; over
 * folds it reports mean ± sd (sd across the folds' scores). With `sessions`, each condition
 * is scored a second time as `session-<condition>`: one stream per held-out speaker
 * (session_eval.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../../server/app.js';
import { hashString32 } from '../train/augment.js';
import { foldDirs } from '../train/cv_dirs.js';
import { scanDataset, type ClipRef } from '../train/dataset.js';
import { readWav16k } from '../train/features.js';
import type { ModelMeta } from '../meta.js';
import { analyze, mapLimited, type AnalyzeAnswer } from './analyze_client.js';
import { getConditions, soxAvailable, type Condition } from './conditions.js';
import { meanSd, scoreCondition, type ClipOutcome, type ConditionScores, type ReliabilityBin } from './scores.js';
import { sessionOutcomes } from './session_eval.js';
import { sessionConditionName, sessionDescription } from './sessions.js';

export interface CvEvalOptions {
  cvDir: string;
  dataDir: string;
  conditions: string[];
  /** Server hop, ms (default: the server's, 250). */
  hopMs: number;
  /** Server smoothing (default: the server's, 0.5). */
  smoothing: number;
  /** Score at most this many clips per fold (evenly spread), for smoke runs; null = all. */
  maxClipsPerFold: number | null;
  /** Analyses in flight at once. */
  concurrency: number;
  /** Folds to score (1-based); null = every fold with a model. */
  folds: number[] | null;
  /** Write each fold's per-clip outcomes to fold<k>/eval/cv-<condition>.json (default true). */
  writeFoldFiles?: boolean;
  /**
   * Also score `session-<condition>` for each condition: per held-out speaker one analysis
   * of all their clips in a seeded random order, 1 s of silence after each (default false).
   */
  sessions?: boolean | string[];
  log: (msg: string) => void;
}

export interface FoldConditionResult {
  fold: number;
  speakers: string[];
  condition: string;
  scores: ConditionScores;
}

export interface SummaryCell {
  mean: number;
  sd: number;
  perFold: number[];
}

export interface ConditionSummary {
  condition: string;
  description: string;
  folds: number;
  clips: number;
  final: SummaryCell;
  live: SummaryCell;
  summary: SummaryCell;
  ece: SummaryCell;
  /** Reliability of live confidences pooled over folds. */
  reliability: ReliabilityBin[];
  /** Per-class final recall, mean over folds. */
  finalRecall: Record<string, number>;
  /** Live UAR by the clip's k-th voiced hop (LIVE_POSITION_BINS), over folds; absent in reports before it. */
  liveByPosition?: { from: number; to: number | null; hops: number; uar: SummaryCell }[];
}

export interface CvReport {
  cvDir: string;
  modelIds: string[];
  labels: string[];
  hopMs: number;
  smoothing: number;
  conditions: ConditionSummary[];
}

/** A row of the report: a condition sent clip by clip, or (session) one stream per speaker. */
interface ScoredCondition {
  name: string;
  description: string;
  condition: Condition;
  session: boolean;
}

/** `sessions`: true = a session row for every condition, a list = for those conditions only. */
function scoredConditions(conditions: readonly Condition[], sessions: boolean | readonly string[]): ScoredCondition[] {
  const perClip = conditions.map((c) => ({ name: c.name, description: c.description, condition: c, session: false }));
  if (Array.isArray(sessions)) {
    const missing = sessions.filter((name) => !conditions.some((c) => c.name === name));
    if (missing.length > 0) {
      throw new Error(`session conditions: expected each among the scored conditions (${conditions.map((c) => c.name).join(', ')}), got ${missing.join(', ')}: add them to --conditions`);
    }
  }
  const inSessions = sessions === true ? conditions : sessions === false ? [] : conditions.filter((c) => sessions.includes(c.name));
  return [...perClip, ...inSessions.map((c) => ({ name: sessionConditionName(c.name), description: sessionDescription(c.description), condition: c, session: true }))];
}

/** Every k-th clip so a smoke run still covers each speaker and label. */
function spread<T>(items: readonly T[], max: number | null): T[] {
  if (max === null || items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)] as T);
}

function outcomeOf(answer: AnalyzeAnswer, label: number, labels: readonly string[]): ClipOutcome {
  const index = (name: string): number => labels.indexOf(name);
  const last = answer.results.find((r) => r.final === true) ?? answer.results[answer.results.length - 1];
  const anyVoiced = answer.results.some((r) => r.voiced);
  return {
    label,
    final: anyVoiced && last !== undefined ? index(last.top) : null,
    summary: anyVoiced ? index(answer.summary.dominant) : null,
    live: answer.results.filter((r) => r.voiced).map((r) => ({ pred: index(r.top), confidence: r.confidence })),
  };
}

async function scoreFold(
  fold: { index: number; dir: string },
  conditions: readonly ScoredCondition[],
  options: CvEvalOptions,
): Promise<{ results: FoldConditionResult[]; meta: ModelMeta }> {
  const meta = JSON.parse(readFileSync(join(fold.dir, 'meta.json'), 'utf8')) as ModelMeta;
  const speakers = (meta.training?.['valSpeakers'] as string[] | undefined) ?? [];
  if (speakers.length === 0) throw new Error(`${fold.dir}: expected training.valSpeakers in meta.json, got none`);
  const dataset = scanDataset(options.dataDir, { layout: 'auto', labels: meta.labels });
  const clips: ClipRef[] = spread(dataset.clips.filter((c) => c.speaker !== null && speakers.includes(c.speaker)), options.maxClipsPerFold);
  options.log(`fold ${fold.index}: ${clips.length} clips of speakers ${speakers.join(',')}`);
  const samples = clips.map((c) => readWav16k(c.path));
  // Scoring, not serving: no live calls to protect, so analyses are neither capped nor paced
  // (pacing changes when a result is computed, never what it is), and a session of all of a
  // speaker's clips (RAVDESS: 60 clips, ≈ 4 min, ≈ 7.7 MB as s16) is never refused for its
  // size. maxSessionSeconds bounds WebSocket sessions only.
  const server = await startServer({
    modelDir: fold.dir,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'error',
    maxSessions: 64,
    maxConcurrentAnalyses: Math.max(2, options.concurrency),
    maxRealTimeMultiple: 10_000,
    maxAnalyzeBytes: 1024 ** 3,
  });
  const analyzeOptions = { hopMs: options.hopMs, smoothing: options.smoothing, onRetry: (reason: string) => options.log(`fold ${fold.index}: sent again after ${reason}`) };
  /** One analysis per clip. */
  const clipByClip = (condition: Condition): Promise<ClipOutcome[]> =>
    mapLimited(clips, options.concurrency, async (clip, i) => {
      const input = await condition.make(samples[i] as Float32Array, {
        seed: hashString32(`${condition.name}|${clip.relPath}`),
        others: () => samples.filter((_, j) => clips[j]?.speaker !== clip.speaker),
      });
      const answer = await analyze(server.url, input, analyzeOptions);
      return outcomeOf(answer, meta.labels.indexOf(clip.label), meta.labels);
    });
  const results: FoldConditionResult[] = [];
  try {
    for (const { name, condition, session } of conditions) {
      const started = performance.now();
      const outcomes = session
        ? await sessionOutcomes(condition, { serverUrl: server.url, clips, samples, labels: meta.labels, analyze: analyzeOptions, concurrency: options.concurrency })
        : await clipByClip(condition);
      const scores = scoreCondition(outcomes, meta.labels);
      results.push({ fold: fold.index, speakers, condition: name, scores });
      if (options.writeFoldFiles !== false) {
        mkdirSync(join(fold.dir, 'eval'), { recursive: true });
        writeFileSync(
          join(fold.dir, 'eval', `cv-${name}.json`),
          `${JSON.stringify({ fold: fold.index, speakers, condition: name, hopMs: options.hopMs, smoothing: options.smoothing, scores, clips: clips.map((c, i) => ({ file: c.relPath, ...outcomes[i], liveHops: outcomes[i]?.live.length, live: outcomes[i]?.live.map((h) => h.pred) })) })}\n`,
        );
      }
      const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
      options.log(
        `fold ${fold.index} ${name}: final ${pct(scores.final.uar)}, live ${pct(scores.live.uar)}, summary ${pct(scores.summary.uar)}, ECE ${pct(scores.ece)} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await server.close();
  }
  return { results, meta };
}

function cell(values: number[]): SummaryCell {
  return { ...meanSd(values), perFold: values };
}

function pooledReliability(tables: ReliabilityBin[][]): ReliabilityBin[] {
  const first = tables[0] ?? [];
  return first.map((bin, b) => {
    const rows = tables.map((t) => t[b] as ReliabilityBin);
    const hops = rows.reduce((s, r) => s + r.hops, 0);
    const avg = (key: 'meanConfidence' | 'accuracy'): number => (hops === 0 ? 0 : rows.reduce((s, r) => s + r[key] * r.hops, 0) / hops);
    return { from: bin.from, to: bin.to, hops, meanConfidence: avg('meanConfidence'), accuracy: avg('accuracy') };
  });
}

export function summarise(results: readonly FoldConditionResult[], conditions: readonly { name: string; description: string }[], labels: readonly string[]): ConditionSummary[] {
  return conditions.map((c) => {
    const rows = results.filter((r) => r.condition === c.name);
    const recall: Record<string, number> = {};
    labels.forEach((label, i) => {
      recall[label] = meanSd(rows.map((r) => r.scores.final.perClass[i]?.recall ?? 0)).mean;
    });
    return {
      condition: c.name,
      description: c.description,
      folds: rows.length,
      clips: rows.reduce((s, r) => s + r.scores.clips, 0),
      final: cell(rows.map((r) => r.scores.final.uar)),
      live: cell(rows.map((r) => r.scores.live.uar)),
      summary: cell(rows.map((r) => r.scores.summary.uar)),
      ece: cell(rows.map((r) => r.scores.ece)),
      reliability: pooledReliability(rows.map((r) => r.scores.reliability)),
      finalRecall: recall,
      liveByPosition: (rows[0]?.scores.liveByPosition ?? []).map((bin, b) => ({
        from: bin.from,
        to: bin.to,
        hops: rows.reduce((sum, r) => sum + (r.scores.liveByPosition[b]?.hops ?? 0), 0),
        uar: cell(rows.map((r) => r.scores.liveByPosition[b]?.uar ?? 0)),
      })),
    };
  });
}

export async function evaluateCv(options: CvEvalOptions): Promise<CvReport> {
  const conditions = getConditions(options.conditions);
  if (conditions.some((c) => c.sox) && !soxAvailable()) {
    throw new Error(`conditions ${conditions.filter((c) => c.sox).map((c) => c.name).join(', ')} need sox: apt-get install sox libsox-fmt-all`);
  }
  const scored = scoredConditions(conditions, options.sessions ?? false);
  const folds = foldDirs(options.cvDir).filter((f) => options.folds === null || options.folds.includes(f.index));
  if (folds.length === 0) throw new Error(`expected fold<k>/meta.json under ${options.cvDir} (train them with npm run cv), got none`);
  const results: FoldConditionResult[] = [];
  const metas: ModelMeta[] = [];
  for (const fold of folds) {
    const r = await scoreFold(fold, scored, options);
    results.push(...r.results);
    metas.push(r.meta);
  }
  const labels = metas[0]?.labels ?? [];
  return {
    cvDir: options.cvDir,
    modelIds: metas.map((m) => m.id),
    labels,
    hopMs: options.hopMs,
    smoothing: options.smoothing,
    conditions: summarise(results, scored, labels),
  };
}
