/**
 * `npm run train` / `npm run cv` options that shape the augmentation reach the recipe: babble
 * (probability, and whether telephone copies may get it). The rest of the parser is covered
 * by the training smoke test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrainArgs } from '../../models/train/train.js';

const BASE = ['--data', '/nonexistent-data', '--out', '/tmp/ser-train-args-test'];

describe('training options: babble', () => {
  it('--babble-wideband-only keeps babble off telephone copies; without it the recipe is as before', () => {
    const wide = parseTrainArgs([...BASE, '--babble-prob', '0.3', '--babble-wideband-only']);
    assert.equal(wide?.augment?.babbleProb, 0.3, 'babble probability');
    assert.equal(wide?.augment?.babbleOnTelephone, false, 'babble off telephone copies');
    const r9 = parseTrainArgs([...BASE, '--babble-prob', '0.3']);
    assert.equal(r9?.augment !== null && r9?.augment !== undefined && 'babbleOnTelephone' in r9.augment, false, 'no babbleOnTelephone key: r9 recipes unchanged');
    const none = parseTrainArgs(BASE);
    assert.equal(none?.augment?.babbleProb, undefined, 'no babble unless asked for');
  });
});

describe('training options: narrowband', () => {
  it('--narrowband makes every version a call (telephone prob 1) and refuses a contradicting --telephone-prob', () => {
    const narrow = parseTrainArgs([...BASE, '--narrowband']);
    assert.equal(narrow?.augment?.narrowband, true);
    assert.equal(narrow?.augment?.telephoneProb, 1);
    assert.throws(() => parseTrainArgs([...BASE, '--narrowband', '--telephone-prob', '0.5']), /drop --telephone-prob/);
    assert.throws(() => parseTrainArgs([...BASE, '--narrowband', '--augment-copies', '0']), /needs augmentation/);
    const none = parseTrainArgs(BASE);
    assert.equal(none?.augment !== null && none?.augment !== undefined && 'narrowband' in none.augment, false, 'no narrowband key: earlier recipes unchanged');
  });
});

describe('training options: speed perturbation', () => {
  it('--speed-prob and --speed-range reach the recipe; without them it is as before (×0.9–1.1, p 0.5)', () => {
    const wide = parseTrainArgs([...BASE, '--speed-range', '0.8:1.2', '--speed-prob', '0.7']);
    assert.deepEqual(wide?.augment?.speedRange, [0.8, 1.2]);
    assert.equal(wide?.augment?.speedProb, 0.7);
    const none = parseTrainArgs(BASE);
    assert.deepEqual(none?.augment?.speedRange, [0.9, 1.1]);
    assert.equal(none?.augment?.speedProb, 0.5);
    assert.throws(() => parseTrainArgs([...BASE, '--speed-range', '1.2:0.8']), /--speed-range: expected lo:hi, two ascending numbers, got "1.2:0.8"/);
    assert.throws(() => parseTrainArgs([...BASE, '--speed-range', '0.4:1.2']), /speedRange within \(0.5, 2\)/);
  });
});

describe('training options: pitch', () => {
  it('--pitch appends 2 columns after the cepstra: config, hash, validation', async () => {
    const { configHash, validateTrainConfig } = await import('../../models/train/train_config.js');
    const pitched = parseTrainArgs([...BASE, '--pitch']);
    const wide = parseTrainArgs([...BASE, '--pitch', '--num-coeffs', '40']);
    const plain = parseTrainArgs(BASE);
    assert.ok(pitched !== null && wide !== null && plain !== null);
    assert.deepEqual([pitched.numCoeffs, pitched.pitch, wide.numCoeffs, plain.numCoeffs, plain.pitch], [22, true, 42, 20, false]);
    assert.notEqual(configHash(pitched), configHash(plain));
    validateTrainConfig(wide);
    assert.throws(() => validateTrainConfig({ ...pitched, numCoeffs: 2 }), /numCoeffs \(cepstra\) an integer in \[1, 40\], got 0/);
  });
});

describe('training options: log floor', () => {
  it('--log-floor reaches the config and its hash; it must be a positive floor', async () => {
    const { configHash, validateTrainConfig } = await import('../../models/train/train_config.js');
    const floored = parseTrainArgs([...BASE, '--log-floor', '1e-8']);
    const plain = parseTrainArgs(BASE);
    assert.ok(floored !== null && plain !== null);
    assert.equal(floored.logFloor, 1e-8);
    assert.equal(plain.logFloor, 1e-10);
    assert.notEqual(configHash(floored), configHash(plain));
    assert.throws(() => validateTrainConfig({ ...plain, logFloor: 0 }), /logFloor in \(0, 1e-3\]/);
  });
});
