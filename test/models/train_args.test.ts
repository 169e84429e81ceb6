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
