/**
 * The session mode of the CV evaluation (`npm run evaluate -- --cv … --sessions`): the pure
 * helpers (order, audio and spans, results cut back into clips), the report's session rows,
 * and one end-to-end run on a random model served by the real server over a synthetic
 * corpus (no ../shared/data needed).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { EmotionMessage } from '../../shared/protocol.js';
import { evaluateCv, type ConditionSummary, type CvReport } from '../../models/eval/cv_eval.js';
import { reportMarkdown } from '../../models/eval/cv_report.js';
import { clipsBySpeaker } from '../../models/eval/session_eval.js';
import { clipOutcomes, isSessionCondition, sessionConditionName, sessionDescription, sessionOf, sessionOrder, SESSION_GAP_SECONDS } from '../../models/eval/sessions.js';
import { createRandomModel } from '../../models/random_model.js';
import { SYNTH_LABELS, writeSyntheticDataset } from './train_fixture.js';

const run = promisify(execFile);
const RATE_HZ = 16000;

/** A result ending at `endMs` whose distribution puts `probs` on labels a, b, c. */
function result(endMs: number, voiced: boolean, probs: [number, number, number]): EmotionMessage {
  const labels = ['a', 'b', 'c'];
  const top = labels[probs.indexOf(Math.max(...probs))] as string;
  return {
    type: 'emotion',
    seq: 0,
    startMs: Math.max(0, endMs - 250),
    endMs,
    probs: { a: probs[0], b: probs[1], c: probs[2] },
    top,
    confidence: Math.max(...probs),
    voiced,
    arousal: 0,
    valence: 0,
  };
}

describe('sessionOrder', () => {
  it('is a permutation of 0 … n − 1, the same for the same seed and another for another seed', () => {
    for (const n of [0, 1, 2, 7, 60]) {
      const order = sessionOrder(n, 12345);
      assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i), `order of ${n} is a permutation`);
      assert.deepEqual(sessionOrder(n, 12345), order, `order of ${n} is deterministic`);
    }
    assert.notDeepEqual(sessionOrder(60, 1), sessionOrder(60, 2), 'two seeds give two orders');
    assert.notDeepEqual(sessionOrder(60, 1), Array.from({ length: 60 }, (_, i) => i), 'the order is shuffled');
    assert.throws(() => sessionOrder(-1, 1), /expected a count ≥ 0, got -1/);
  });
});

describe('sessionOf', () => {
  it('lays the clips in order, each followed by the gap of digital silence; the spans tile the stream', () => {
    const clips = [new Float32Array(800).fill(0.1), new Float32Array(1600).fill(0.2), new Float32Array(400).fill(0.3)];
    const gap = SESSION_GAP_SECONDS * RATE_HZ;
    const { samples, spans } = sessionOf(clips, [2, 0, 1]);
    assert.equal(samples.length, 800 + 1600 + 400 + 3 * gap, 'total length: every clip plus one gap each');
    assert.deepEqual(
      spans.map((s) => s.index),
      [2, 0, 1],
      'spans in stream order',
    );
    // Clip 2 (400 samples = 25 ms), gap, clip 0 (50 ms), gap, clip 1 (100 ms), gap.
    assert.deepEqual(
      spans.map((s) => [s.startMs, s.endMs]),
      [
        [0, 1025],
        [1025, 2075],
        [2075, 3175],
      ],
      'span = the clip and the gap after it, ms',
    );
    assert.equal(spans.at(-1)?.endMs, (1000 * samples.length) / RATE_HZ, 'the last span ends with the stream');
    const at = (ms: number): number => Math.round((ms * RATE_HZ) / 1000);
    assert.ok(samples.subarray(0, 400).every((v) => Math.abs(v - 0.3) < 1e-7), 'clip 2 first');
    assert.ok(samples.subarray(400, 400 + gap).every((v) => v === 0), 'then exact silence');
    assert.ok(samples.subarray(at(1025), at(1025) + 800).every((v) => Math.abs(v - 0.1) < 1e-7), 'clip 0 at its span start');
    assert.ok(samples.subarray(at(2075), at(2075) + 1600).every((v) => Math.abs(v - 0.2) < 1e-7), 'clip 1 at its span start');
    assert.ok(samples.subarray(at(2075) + 1600).every((v) => v === 0), 'the stream ends with a gap');
    assert.equal(sessionOf(clips, [0], 0.5).samples.length, 800 + 8000, 'the gap is configurable');
    assert.throws(() => sessionOf(clips, [0, 3]), /expected clip indices in \[0, 3\), got 3/);
  });
});

describe('clipOutcomes', () => {
  const labels = ['a', 'b', 'c'];
  // Stream order: clip 1 (0–1500 ms with its gap), clip 0 (1500–3500), clip 2 (3500–5000).
  const spans = [
    { index: 1, startMs: 0, endMs: 1500 },
    { index: 0, startMs: 1500, endMs: 3500 },
    { index: 2, startMs: 3500, endMs: 5000 },
  ];
  const results = [
    result(250, true, [0.2, 0.5, 0.3]),
    result(500, true, [0.1, 0.3, 0.6]),
    result(750, true, [0.5, 0.4, 0.1]),
    result(1250, false, [0.6, 0.3, 0.1]), // gap: ignored
    result(1500, true, [0.1, 0.8, 0.1]), // ends exactly at the span's end: still clip 1
    result(1750, true, [0.7, 0.2, 0.1]),
    result(2000, true, [0.1, 0.45, 0.45]),
    result(3000, false, [0.4, 0.3, 0.3]), // gap: ignored, although later
    result(4000, false, [0.3, 0.4, 0.3]), // clip 2 never voiced
    result(5000, false, [0.3, 0.4, 0.3]),
  ];
  const outcomes = clipOutcomes(results, spans, (i) => [2, 0, 1][i] as number, labels);

  it('gives each clip the voiced results that end inside its span, in order; unvoiced ones are ignored', () => {
    assert.equal(outcomes.length, 3, 'one outcome per clip');
    assert.deepEqual(
      outcomes[1]?.live.map((h) => h.pred),
      [1, 2, 0, 1],
      'clip 1: the four voiced results up to and including 1500 ms',
    );
    assert.deepEqual(
      outcomes[0]?.live.map((h) => h.pred),
      [0, 1],
      'clip 0: 1750 and 2000 ms (ties keep the first label)',
    );
    assert.deepEqual(outcomes[1]?.live.map((h) => h.confidence), [0.5, 0.6, 0.5, 0.8], 'live confidences are the results\'');
  });

  it('final is the last voiced result of the clip, summary the argmax of the mean distribution', () => {
    assert.equal(outcomes[1]?.final, 1, 'clip 1: last voiced is b at 1500 ms');
    // Mean over clip 1's four voiced results: a 0.225, b 0.5, c 0.275.
    assert.equal(outcomes[1]?.summary, 1, 'clip 1 summary: b');
    assert.equal(outcomes[0]?.final, 1, 'clip 0: last voiced result tops b (tie with c, first label kept)');
    // Mean over clip 0: a 0.4, b 0.325, c 0.275 — the summary differs from final.
    assert.equal(outcomes[0]?.summary, 0, 'clip 0 summary: a, the argmax of the mean, not of the last');
    assert.deepEqual(
      outcomes.map((o) => o.label),
      [2, 0, 1],
      'labels from labelOf, by clip index',
    );
  });

  it('a clip with no voiced result gets final and summary null and no live hops', () => {
    assert.deepEqual(outcomes[2], { label: 1, final: null, summary: null, live: [] });
  });
});

describe('session rows', () => {
  it('are named and described after their condition', () => {
    assert.equal(sessionConditionName('telephone'), 'session-telephone');
    assert.ok(isSessionCondition('session-telephone') && !isSessionCondition('telephone'), 'the prefix tells them apart');
    assert.equal(sessionDescription('the clip as recorded, 16 kHz s16'), 'the clip as recorded, 16 kHz s16; one stream per speaker: all their clips in a random order, 1 s gaps');
  });

  it('clipsBySpeaker groups clip indices per speaker and refuses a clip without one', () => {
    assert.deepEqual([...clipsBySpeaker([{ speaker: '02' }, { speaker: '01' }, { speaker: '02' }])], [
      ['02', [0, 2]],
      ['01', [1]],
    ]);
    assert.throws(() => clipsBySpeaker([{ speaker: null }]), /expected every clip to name its speaker/);
  });

  it('the report lists them with their deltas and leaves them out of the channel targets', () => {
    const cell = (mean: number): ConditionSummary['final'] => ({ mean, sd: 0.01, perFold: [mean] });
    const row = (condition: string, description: string, final: number): ConditionSummary => ({
      condition,
      description,
      folds: 1,
      clips: 10,
      final: cell(final),
      live: cell(final - 0.1),
      summary: cell(final - 0.05),
      ece: cell(0.1),
      reliability: [],
      finalRecall: { a: final },
    });
    const base: CvReport = {
      cvDir: '/x',
      modelIds: ['m'],
      labels: ['a'],
      hopMs: 250,
      smoothing: 0.5,
      conditions: [row('wideband', 'as recorded', 0.6), row('telephone', 'phone', 0.55)],
    };
    const plain = reportMarkdown(base, 'T');
    assert.doesNotMatch(plain, /session/i, 'no session text without session rows');
    // A session row far under wideband would fail "every condition ≥ 75 %" if it counted.
    const withSessions = reportMarkdown({ ...base, conditions: [...base.conditions, row('session-wideband', sessionDescription('as recorded'), 0.3)] }, 'T');
    assert.match(withSessions, /\| session-wideband — as recorded; one stream per speaker: all their clips in a random order, 1 s gaps \| \*\*30\.0 ± 1\.0\*\* \|/);
    assert.match(withSessions, /every condition ≥ 75 % of wideband: met \(worst telephone, 92 %\)/);
    assert.match(withSessions, /Sessions against the same condition clip by clip \(final \/ live \/ summary UAR, points\): session-wideband −30\.0 \/ −30\.0 \/ −30\.0\./);
    assert.equal(withSessions.replace(/\n\| session-wideband[^\n]*|\nSessions against[^\n]*\n/g, ''), plain, 'everything else unchanged');
  });
});

describe('npm run evaluate -- --cv … --sessions (random model, synthetic corpus, real server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-sessions-'));
  const data = join(root, 'data');
  const cvDir = join(root, 'cv');
  const foldDir = join(cvDir, 'fold1');
  before(async () => {
    writeSyntheticDataset(data, 2);
    const hyper = { convChannels: [8, 8, 8], lstmUnits: 8, attentionUnits: 8, denseUnits: 8, windowSteps: 8, dropout: 0, numClasses: SYNTH_LABELS.length };
    await createRandomModel('cnn-attn-lstm', 5, { dir: foldDir, hyper, meta: { id: 'session-fixture', labels: [...SYNTH_LABELS] } });
    const metaPath = join(foldDir, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(metaPath, `${JSON.stringify({ ...meta, training: { valSpeakers: ['s1', 's2'] } }, null, 2)}\n`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses session conditions that are not scored, before any work, rather than leaving them out', async () => {
    await assert.rejects(
      evaluateCv({ cvDir: '/nonexistent-cv', dataDir: data, conditions: ['wideband'], sessions: ['wideband', 'white10dB'], hopMs: 250, smoothing: 0.5, maxClipsPerFold: null, concurrency: 1, folds: null, log: () => {} }),
      /session conditions: expected each among the scored conditions \(wideband\), got white10dB: add them to --conditions/,
    );
  });

  it('scores session-<condition> rows beside the clip-by-clip ones, over the same clips', async () => {
    const { stdout } = await run('node', ['--import', 'tsx', 'models/eval/evaluate.ts', '--cv', cvDir, '--data', data, '--conditions', 'wideband,babble10dB', '--sessions'], { timeout: 300_000 });
    assert.match(stdout, /\| session-wideband — the clip as recorded, 16 kHz s16; one stream per speaker: all their clips in a random order, 1 s gaps \|/);
    assert.match(stdout, /Sessions against the same condition clip by clip/);
    const report = JSON.parse(readFileSync(join(cvDir, 'cv-report.json'), 'utf8')) as CvReport;
    assert.deepEqual(
      report.conditions.map((c) => c.condition),
      ['wideband', 'babble10dB', 'session-wideband', 'session-babble10dB'],
    );
    for (const c of report.conditions) {
      assert.equal(c.clips, 3 * 2 * 2, `${c.condition}: every clip of speakers s1, s2 scored`);
      for (const score of [c.final, c.live, c.summary, c.ece]) assert.ok(score.mean >= 0 && score.mean <= 1, `${c.condition}: scores in [0, 1]`);
    }
    const fold = (name: string): { clips: { file: string; final: number | null; liveHops: number }[]; scores: { noResult: number; liveHops: number } } =>
      JSON.parse(readFileSync(join(foldDir, 'eval', `cv-${name}.json`), 'utf8')) as ReturnType<typeof fold>;
    const perClip = fold('wideband');
    const session = fold('session-wideband');
    assert.ok(existsSync(join(foldDir, 'eval', 'cv-session-babble10dB.json')), 'a fold file per session row');
    assert.deepEqual(session.clips.map((c) => c.file), perClip.clips.map((c) => c.file), 'session outcomes in the fold\'s clip order');
    // Each clip's voiced hops land in its own span: as many as clip by clip, plus at most
    // three — the model steps on through the gap's first 0.5 s (its reset rule), and the
    // clip starts anywhere on the hop grid.
    assert.equal(session.scores.noResult, 0, 'every clip of the session has a voiced result');
    session.clips.forEach((c, i) => {
      const alone = perClip.clips[i]?.liveHops ?? 0;
      assert.ok(c.liveHops >= 1 && c.liveHops <= alone + 3, `${c.file}: ${c.liveHops} voiced hops in the session, ${alone} clip by clip`);
    });
  });
});
