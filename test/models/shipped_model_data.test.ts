/**
 * The shipped model on real validation speakers (RAVDESS actors 17–20, never trained on):
 * a regression guard for the DSP + model + streaming chain as a whole. Needs the dataset in
 * ../shared/data; skips with a message when it is absent (it is present in CI).
 *
 * The floor is far below the measured figure (58.2 % UAR, models/README.md) and far above
 * chance (12.5 %): it catches a broken feature chain or a corrupted model, not noise.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { selectEngine } from '../../models/engine.js';
import { loadModel } from '../../models/io.js';
import { DEFAULT_MODEL_DIR } from '../../models/registry.js';
import { evaluateModel } from '../../models/train/evaluate_run.js';

const DATA_DIR = fileURLToPath(new URL('../../../shared/data/ravdess-speech-16k', import.meta.url));
/** UAR floor on actors 17–20 in both modes. */
const MIN_UAR = 0.45;

const skip = existsSync(DATA_DIR) ? false : `RAVDESS data not found at ${DATA_DIR}: shipped-model accuracy test skipped`;
if (skip) console.log(`# ${skip}`);

test('shipped model: actors 17–20, offline and streaming agree clip by clip and UAR stays above the floor', { skip }, async () => {
  await selectEngine('wasm');
  const model = await loadModel(DEFAULT_MODEL_DIR);
  try {
    const result = evaluateModel(model, {
      dataDir: DATA_DIR,
      layout: 'ravdess',
      speakers: ['17', '18', '19', '20'],
      telephone: false,
      modes: ['offline', 'streaming'],
      cacheDir: null,
      seed: 7,
      log: () => undefined,
    });
    assert.equal(result.clips, 240);
    assert.deepEqual(result.trainSpeakerOverlap, []);
    const offline = result.offline;
    const streaming = result.streaming;
    assert.ok(offline && streaming, 'both modes ran');
    const disagreements = result.predictions.filter((p) => p.offline !== p.streaming);
    assert.equal(disagreements.length, 0, `streaming and offline labels differ on ${disagreements.map((p) => p.clip).join(', ')}`);
    assert.ok(offline.uar >= MIN_UAR, `offline UAR ${offline.uar} below ${MIN_UAR}`);
    assert.ok(streaming.uar >= MIN_UAR, `streaming UAR ${streaming.uar} below ${MIN_UAR}`);
  } finally {
    model.dispose();
  }
});
