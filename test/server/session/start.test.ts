/** Start and format validation (server/session/start.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../shared/error_codes.js';
import { parseClientMessage, resolveFormat } from '../../../server/session/start.js';

describe('start and format validation', () => {
  const defaults = { hopMs: 250, smoothing: 0.5 };
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      assert.match(err.message, /expected .*, got /);
      return err.code;
    }
    return 'none';
  };

  it('parses control messages', () => {
    assert.equal(parseClientMessage('{"type":"end"}').type, 'end');
    assert.equal(code(() => parseClientMessage('nope')), 'bad_message');
    assert.equal(code(() => parseClientMessage('[1]')), 'bad_message');
    assert.equal(code(() => parseClientMessage('{"type":"stop"}')), 'bad_message');
  });

  it('validates the format with defaults', () => {
    assert.deepEqual(resolveFormat({ sampleRate: 8000, encoding: 'alaw', channels: 1 }, defaults), {
      sampleRateHz: 8000,
      encoding: 'alaw',
      channels: 1,
      hopMs: 250,
      smoothing: 0.5,
      // The channel fields default to the v1 behaviour: mixed, no labels, no external ids.
      channelMode: 'mix',
      channelLabels: undefined,
      externalIds: {},
    });
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'flac', channels: 1 }, defaults)), 'unsupported_format');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000.5, encoding: 'mulaw', channels: 1 }, defaults)), 'unsupported_format');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'mulaw', channels: 2, hopMs: 6000 }, defaults)), 'bad_message');
    assert.equal(code(() => resolveFormat({ sampleRate: 16000, encoding: 'mulaw', channels: 1, smoothing: 1 }, defaults)), 'bad_message');
  });
});
