/** API keys and Origin checks (server/auth.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAuthorized, isOriginAllowed, presentedKey } from '../../server/auth.js';

describe('auth', () => {
  it('accepts a configured key by header or token, in constant time per key', () => {
    const url = new URL('http://x/v1/stream?token=abc');
    assert.equal(presentedKey({ authorization: 'Bearer k1' }, new URL('http://x/')), 'k1');
    assert.equal(presentedKey({}, url), 'abc');
    assert.equal(presentedKey({}, new URL('http://x/')), null);
    assert.equal(isAuthorized([], null), true);
    assert.equal(isAuthorized(['k1', 'k2'], 'k2'), true);
    assert.equal(isAuthorized(['k1', 'k2'], 'k3'), false);
    assert.equal(isAuthorized(['k1'], null), false);
    assert.equal(isAuthorized(['k1'], ''), false);
  });

  it('checks Origin only when configured and present', () => {
    assert.equal(isOriginAllowed([], 'https://a'), true);
    assert.equal(isOriginAllowed(['https://a'], undefined), true);
    assert.equal(isOriginAllowed(['https://a'], 'https://a'), true);
    assert.equal(isOriginAllowed(['https://a'], 'https://b'), false);
    assert.equal(isOriginAllowed(['*'], 'https://b'), true);
  });
});
