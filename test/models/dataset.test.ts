import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { detectLayout, scanDataset } from '../../models/train/dataset.js';
import { isRavdessName, parseRavdessName } from '../../models/train/ravdess.js';
import { parseSpeakerList, splitByFraction, splitBySpeakers } from '../../models/train/split.js';

describe('RAVDESS names', () => {
  it('parses every field', () => {
    const n = parseRavdessName('03-01-05-02-01-02-12.wav');
    assert.deepEqual(n, { modality: 3, vocalChannel: 1, emotion: 'angry', intensity: 2, statement: 1, repetition: 2, actor: 12 });
    assert.equal(parseRavdessName('03-01-08-01-02-01-01.wav').emotion, 'surprised');
    assert.equal(parseRavdessName('03-01-01-01-01-01-20.wav').emotion, 'neutral');
  });

  it('rejects other names and unknown emotion codes, naming them', () => {
    assert.equal(isRavdessName('call_01.wav'), false);
    assert.throws(() => parseRavdessName('hello.wav'), /got "hello.wav"/);
    assert.throws(() => parseRavdessName('03-01-09-01-01-01-01.wav'), /unknown label: emotion code 9/);
  });
});

describe('actor split', () => {
  const clips = Array.from({ length: 20 }, (_, a) =>
    Array.from({ length: 3 }, (_, k) => ({
      path: `/x/${a}/${k}.wav`,
      relPath: `${a}/${k}.wav`,
      label: 'happy',
      speaker: String(a + 1).padStart(2, '0'),
    })),
  ).flat();

  it('parses ranges and lists', () => {
    assert.deepEqual(parseSpeakerList('1-3,05'), ['01', '02', '03', '05']);
    assert.deepEqual(parseSpeakerList('17-20'), ['17', '18', '19', '20']);
    assert.throws(() => parseSpeakerList('5-2'), /ascending/);
  });

  it('default split 01–16 / 17–20 never shares an actor', () => {
    const s = splitBySpeakers(clips, parseSpeakerList('1-16'), parseSpeakerList('17-20'));
    assert.equal(s.train.length, 48);
    assert.equal(s.val.length, 12);
    const trainActors = new Set(s.train.map((c) => c.speaker));
    assert.ok(s.val.every((c) => !trainActors.has(c.speaker)));
  });

  it('refuses overlapping lists', () => {
    assert.throws(() => splitBySpeakers(clips, parseSpeakerList('1-17'), parseSpeakerList('17-20')), /17 in both/);
  });

  it('fraction split is speaker-disjoint and deterministic', () => {
    const a = splitByFraction(clips, 0.2);
    const b = splitByFraction(clips, 0.2);
    assert.deepEqual(a.valSpeakers, b.valSpeakers);
    assert.equal(a.valSpeakers.length, 4);
    const val = new Set(a.valSpeakers);
    assert.ok(a.train.every((c) => !val.has(c.speaker as string)));
  });
});

describe('dataset scan', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-dataset-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('detects the generic layout and sorts labels', () => {
    const dir = join(root, 'generic');
    for (const label of ['sad', 'angry']) {
      mkdirSync(join(dir, label), { recursive: true });
      writeFileSync(join(dir, label, `spk1_${label}.wav`), 'x');
    }
    assert.equal(detectLayout(dir), 'generic');
    const ds = scanDataset(dir);
    assert.deepEqual(ds.labels, ['angry', 'sad']);
    assert.equal(ds.clips[0]?.speaker, 'spk1');
  });

  it('detects RAVDESS names', () => {
    const dir = join(root, 'ravdess', 'Actor_03');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '03-01-04-01-01-01-03.wav'), 'x');
    const ds = scanDataset(join(root, 'ravdess'));
    assert.equal(ds.layout, 'ravdess');
    assert.equal(ds.labels.length, 8);
    assert.deepEqual(ds.clips.map((c) => [c.label, c.speaker]), [['sad', '03']]);
  });

  it('an unknown label is an error naming it', () => {
    const dir = join(root, 'unknown');
    mkdirSync(join(dir, 'bored'), { recursive: true });
    writeFileSync(join(dir, 'bored', 'a.wav'), 'x');
    assert.throws(() => scanDataset(dir, { labels: ['happy', 'sad'] }), /unknown label "bored"/);
  });
});
