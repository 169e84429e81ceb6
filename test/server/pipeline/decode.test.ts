/** Stage 1, decode (server/pipeline/decode.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { ProtocolError } from '../../../shared/error_codes.js';
import { decode } from '../../../server/pipeline/decode.js';

describe('decode stage', () => {
  it('carries partial samples across chunks and fails the stream with bad_audio on NaN', () => {
    const subject = new Subject<{ bytes: Uint8Array; arrivedAtMs: number }>();
    const samples: number[] = [];
    let error: unknown = null;
    subject.pipe(decode({ encoding: 'pcm_s16le', channels: 1 })).subscribe({ next: (c) => samples.push(...c.samples), error: (e: unknown) => (error = e) });
    const bytes = new Uint8Array(new Int16Array([16384, -16384, 8192]).buffer);
    subject.next({ bytes: bytes.subarray(0, 3), arrivedAtMs: 0 });
    subject.next({ bytes: bytes.subarray(3), arrivedAtMs: 0 });
    assert.deepEqual(samples, [0.5, -0.5, 0.25]);
    const floats = new Subject<{ bytes: Uint8Array; arrivedAtMs: number }>();
    floats.pipe(decode({ encoding: 'pcm_f32le', channels: 1 })).subscribe({ error: (e: unknown) => (error = e) });
    floats.next({ bytes: new Uint8Array(Float32Array.of(0, Number.NaN).buffer), arrivedAtMs: 0 });
    assert.ok(error instanceof ProtocolError && error.code === 'bad_audio');
  });
});
