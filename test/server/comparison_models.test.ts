/**
 * The comparison models (models/ravdess-{lstm,conv1d,conv1d-lstm}-cmp: lstm and conv1d-lstm by
 * stateful stepping, conv1d by window recompute)
 * served live: the real server streams a clip over a WebSocket, results come back, any
 * chunking gives the same results, the last voiced hop's distribution equals predictOffline
 * on the frames up to it, and the worker's tensor count stays flat between sessions.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { selectEngine } from '../../models/engine.js';
import { loadModel } from '../../models/io.js';
import { predictOffline } from '../../models/streaming/runner.js';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { featureOptionsOf } from '../../models/meta.js';
import type { RunningServer } from '../../server/app.js';
import { framesEndingBy } from '../../server/pipeline/hop.js';
import { FIXTURES, readWavMono, startTestServer, streamWav } from '../helpers/server.js';

/** Final result vs predictOffline: results carry 6 decimals; batched float32 differs in the last bits. */
const PROB_TOLERANCE = 1e-4;
const MODELS = ['ravdess-lstm-cmp', 'ravdess-conv1d-cmp', 'ravdess-conv1d-lstm-cmp'];

/** predictOffline on the clip's frames that end by `endMs` (what the hop ending there saw). */
async function offlineProbs(modelDir: string, path: string, endMs: number): Promise<Float32Array> {
  await selectEngine();
  const model = await loadModel(modelDir);
  try {
    const clip = await readWavMono(path);
    // The model's own coefficients, floor and gate (featureOptionsOf), as the server's chain uses them.
    const frames = extractFeatures(clip.samples, { inputRateHz: clip.sampleRateHz, ...featureOptionsOf(model.meta) });
    const voiced = frames.voiced;
    const upTo = Math.min(frames.count, framesEndingBy(endMs * 16, 400, 160));
    const numCoeffs = frames.numCoeffs;
    return predictOffline(model, frames.coeffs.subarray(0, upTo * numCoeffs), voiced.subarray(0, upTo));
  } finally {
    model.dispose();
  }
}

for (const id of MODELS) {
  const modelDir = fileURLToPath(new URL(`../../models/${id}/`, import.meta.url));
  const present = existsSync(`${modelDir}weights.bin`);

  describe(`served live: ${id}`, { skip: present ? false : `${id} is not in models/` }, () => {
    let server: RunningServer;
    before(async () => {
      server = await startTestServer({ modelDir });
    });
    after(async () => {
      await server.close();
    });

    it('streams a clip in random chunks: results, the last voiced hop equal to predictOffline, the same for any chunking', async () => {
      const a = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 3, maxChunkBytes: 3000, smoothing: 0, hopMs: 250 });
      const tensorsAfterFirst = (await server.modelStats()).numTensors;
      const b = await streamWav(server.wsUrl, FIXTURES.angry, { seed: 8, maxChunkBytes: 900, smoothing: 0, hopMs: 250 });
      assert.deepEqual(a.errors, []);
      assert.equal(a.closeCode, 1000);
      assert.equal(a.ready.model.id, id);
      assert.ok(a.results.length > 5 && a.results.some((r) => r.voiced), `${a.results.length} results`);
      assert.equal(a.results.filter((r) => r.final === true).length, 1);
      assert.ok(a.summary !== undefined);
      assert.deepEqual(b.results, a.results, 'any chunking, the same results');
      assert.equal((await server.modelStats()).numTensors, tensorsAfterFirst, 'worker tensors flat between sessions');

      // The clip ends in a pause, so the last voiced hop carries the model's last fresh result
      // (smoothing 0: nothing carried from earlier hops).
      const lastVoiced = a.results.filter((r) => r.voiced).at(-1);
      assert.ok(lastVoiced !== undefined);
      const offline = await offlineProbs(modelDir, FIXTURES.angry, lastVoiced.startMs + 250);
      a.ready.model.labels.forEach((label, i) => {
        const got = lastVoiced.probs[label] ?? NaN;
        assert.ok(Math.abs(got - offline[i]!) <= PROB_TOLERANCE, `${label}: stream ${got}, offline ${offline[i]}`);
      });
    });
  });
}
