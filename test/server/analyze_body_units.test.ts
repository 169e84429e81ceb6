/**
 * The pure parts of reading an analysis' body as it arrives, without a server:
 * - the slicer cuts at the places a cut of the whole audio makes (fractional slice sizes,
 *   a partial last frame dropped, a declared data size), whatever the chunking, holding
 *   one slice and a frame of look-ahead;
 * - the incremental WAV header reader agrees with `parseWav` on every WAV body of
 *   analyze_bodies.ts (format, samples, or the same error), whatever the chunking;
 * - the feed's bound on running ahead of the results, per stream;
 * - the body reader on a real stream: reads only what is asked (the writer is pushed
 *   back), fails past its limit with `message_too_large`, and a feed whose results never
 *   come stops reading at one hop and a margin.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../shared/error_codes.js';
import { mulberry32 } from '../../shared/prng.js';
import { parseWav, wavFrameBytes } from '../../shared/wav.js';
import { AHEAD_MARGIN_MS, FeedAhead } from '../../server/analyze/ahead.js';
import { BodyReader, type ByteSource } from '../../server/analyze/body.js';
import { pacedItems, type PacedItem } from '../../server/analyze/feed.js';
import { BodySlicer, sliceEnd } from '../../server/analyze/slices.js';
import { isWavHead, readWavHeader } from '../../server/analyze/wav.js';
import { Pacer } from '../../server/session/pacer.js';
import { analyzeBodies } from './analyze_bodies.js';

/** A body in memory handed out in random chunks of 1…maxChunk bytes, as a socket would; tracks the most it held. */
class ChunkedSource implements ByteSource {
  private at = 0;
  private buffered = 0;
  maxBuffered = 0;
  private readonly random: () => number;

  constructor(
    private readonly bytes: Uint8Array,
    seed: number,
    private readonly maxChunk: number,
  ) {
    this.random = mulberry32(seed);
  }

  fill(n: number): Promise<number> {
    while (this.buffered < n && this.at + this.buffered < this.bytes.length) {
      this.buffered = Math.min(this.bytes.length - this.at, this.buffered + 1 + Math.floor(this.random() * this.maxChunk));
    }
    this.maxBuffered = Math.max(this.maxBuffered, this.buffered);
    return Promise.resolve(this.buffered);
  }

  take(n: number): Uint8Array {
    assert.ok(n <= this.buffered, `take ${n} of ${this.buffered} buffered bytes`);
    this.buffered -= n;
    this.at += n;
    return this.bytes.slice(this.at - n, this.at);
  }
}

/** The cut of the whole audio: the reference the streamed cut must equal. */
function wholeCut(bytes: Uint8Array, sliceBytes: number, frameBytes: number, dataBytes: number): Uint8Array[] {
  const present = Math.min(bytes.length, dataBytes);
  const usable = present - (present % frameBytes);
  const out: Uint8Array[] = [];
  for (let k = 0; Math.trunc(k * sliceBytes) < usable; k += 1) out.push(bytes.subarray(Math.trunc(k * sliceBytes), Math.min(usable, sliceEnd(k, sliceBytes))));
  return out;
}

async function streamedCut(source: ByteSource, sliceBytes: number, frameBytes: number, dataBytes: number): Promise<Uint8Array[]> {
  const slicer = new BodySlicer(source, { sliceBytes, frameBytes, dataBytes });
  const out: Uint8Array[] = [];
  for (let slice = await slicer.next(); slice !== null; slice = await slicer.next()) out.push(slice);
  return out;
}

describe('body slicer', () => {
  it('cuts where the whole cut does, whatever the chunking (fractional sizes, partial last frames, declared sizes)', async () => {
    const random = mulberry32(5);
    const bytes = Uint8Array.from({ length: 120_000 }, () => Math.floor(random() * 256));
    const cases: [sliceBytes: number, frameBytes: number][] = [[8_000, 2], [5_512.5, 2], [2_756.25, 1], [11_025, 4], [12_000, 6], [7, 3]];
    // Lengths around the cut points: a partial frame can reach back into the slice before the last.
    const lengths = [0, 1, 3, 99_224, 99_225, 99_226, 99_227, 99_228, 110_251, 120_000];
    let seed = 1;
    for (const [sliceBytes, frameBytes] of cases) {
      for (const length of lengths) {
        for (const dataBytes of [Number.POSITIVE_INFINITY, 50_001]) {
          const body = bytes.subarray(0, length);
          const expected = wholeCut(body, sliceBytes, frameBytes, dataBytes);
          for (const maxChunk of [1, 977, 65_536]) {
            const source = new ChunkedSource(body, seed++, maxChunk);
            const actual = await streamedCut(source, sliceBytes, frameBytes, dataBytes);
            const what = `slice ${sliceBytes}, frame ${frameBytes}, length ${length}, data ${dataBytes}, chunks ≤ ${maxChunk}`;
            assert.deepEqual(actual.map((s) => s.length), expected.map((s) => s.length), `${what}: slice lengths`);
            assert.deepEqual(actual, expected.map((s) => s.slice()), `${what}: slice bytes`);
            // Held at once: a slice, a frame of look-ahead, and the chunk that brought them.
            assert.ok(source.maxBuffered <= Math.ceil(sliceBytes) + frameBytes - 1 + maxChunk, `${what}: held ${source.maxBuffered} bytes`);
          }
        }
      }
    }
  });
});

describe('incremental WAV header', () => {
  it('agrees with parseWav on every WAV body (format and samples, or the same error), whatever the chunking', async () => {
    const wavs = (await analyzeBodies()).filter((b) => isWavHead(b.body.subarray(0, 12)));
    assert.ok(wavs.length >= 20, `${wavs.length} WAV bodies`);
    let seed = 100;
    for (const { name, body } of wavs) {
      let expected: ReturnType<typeof parseWav> | ProtocolError;
      try {
        expected = parseWav(body);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `${name}: parseWav fails with a ProtocolError`);
        expected = err;
      }
      for (const maxChunk of [1, 5, 64, 65_536]) {
        const source = new ChunkedSource(body, seed++, maxChunk);
        const what = `${name}, chunks ≤ ${maxChunk}`;
        try {
          const header = await readWavHeader(source);
          assert.ok(!(expected instanceof ProtocolError), `${what}: read, as parseWav does (it said ${expected instanceof ProtocolError ? expected.message : ''})`);
          assert.deepEqual(
            [header.encoding, header.channels, header.sampleRateHz, header.blockAlign],
            [expected.encoding, expected.channels, expected.sampleRateHz, wavFrameBytes(expected)],
            `${what}: format`,
          );
          const samples = Buffer.concat(await streamedCut(source, 4_096, header.blockAlign, header.dataBytes));
          assert.deepEqual(new Uint8Array(samples), expected.data.slice(), `${what}: samples`);
          // The chunks before the samples were skipped as they came, never held whole.
          assert.ok(source.maxBuffered <= 4_096 + header.blockAlign + maxChunk, `${what}: held ${source.maxBuffered} bytes`);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          assert.ok(expected instanceof ProtocolError, `${what}: parseWav reads it, got ${err.message}`);
          assert.deepEqual([err.code, err.message], [expected.code, expected.message], `${what}: the same error`);
        }
      }
    }
  });
});

describe('feed ahead of the results', () => {
  it('closes past the limit on the stream furthest ahead, opens as results (or a resume) answer it', () => {
    const ahead = new FeedAhead(2, 1_250);
    ahead.fed(undefined, 1_000);
    assert.equal(ahead.aheadMs, 1_000);
    assert.ok(ahead.open, 'within the limit');
    ahead.fed(1, 500);
    assert.equal(ahead.aheadMs, 1_500);
    assert.ok(!ahead.open, 'channel 1 is past the limit');
    ahead.answered(0, 1_000, false);
    assert.ok(!ahead.open, 'channel 0 answered, channel 1 still ahead');
    ahead.answered(1, 500, false);
    assert.equal(ahead.aheadMs, 1_000);
    assert.ok(ahead.open, 'both answered far enough');
    ahead.answered(1, 400, false);
    assert.equal(ahead.aheadMs, 1_000, 'answers never go back');
    ahead.fed(1, 2_000);
    ahead.resumed(1, 3_000);
    assert.equal(ahead.aheadMs, 500, 'a resumed stream counts its lost audio as answered');
    ahead.answered(undefined, 0, true);
    assert.equal(ahead.aheadMs, 0, 'final results answer everything');
    assert.throws(() => new FeedAhead(0, 1_000), /streams: expected a positive integer, got 0/);
  });
});

describe('body reader on a stream', () => {
  it('reads only what it is asked for: the writer is pushed back and the rest stays unread', async () => {
    const stream = new PassThrough({ highWaterMark: 16_384 });
    const reader = new BodyReader(stream, 64 * 1024 * 1024, () => undefined, new AbortController().signal);
    let accepted = 0;
    // The uploader writes as long as the stream takes it.
    while (stream.write(new Uint8Array(65_536))) accepted += 65_536;
    accepted += 65_536;
    assert.ok(stream.writableNeedDrain, 'the writer was pushed back');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(reader.bytesRead, 0, 'nothing is read before it is asked for');
    const buffered = await reader.fill(10_000);
    assert.ok(buffered >= 10_000, `filled ${buffered} bytes`);
    reader.take(10_000);
    // Nothing more was read than what came with the asked-for bytes: one chunk.
    assert.ok(reader.bytesRead <= 65_536 * 2, `read ${reader.bytesRead} of the ${accepted} bytes written`);
    reader.dispose();
    stream.destroy();
  });

  it('fails past its limit with message_too_large, counting what it read', async () => {
    const stream = new PassThrough();
    let counted = 0;
    const reader = new BodyReader(stream, 100_000, (bytes) => (counted += bytes), new AbortController().signal);
    stream.end(new Uint8Array(150_000));
    await assert.rejects(
      async () => {
        for (;;) if ((await reader.fill(10_000)) >= 10_000) reader.take(10_000);
      },
      (err: unknown) => err instanceof ProtocolError && err.code === 'message_too_large' && /at most 100000 bytes/.test(err.message),
    );
    assert.ok(counted > 100_000 && counted === reader.bytesRead, `counted ${counted} bytes`);
    reader.dispose();
  });

  it('a waiting read rejects with the abort reason when the analysis is abandoned', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const reader = new BodyReader(stream, 1_000_000, () => undefined, controller.signal);
    const waiting = reader.fill(10);
    controller.abort(new ProtocolError('shutting_down', 'grace period over'));
    await assert.rejects(waiting, (err: unknown) => err instanceof ProtocolError && err.code === 'shutting_down');
    reader.dispose();
  });

  it('a feed whose results never come stops reading one hop and the margin ahead', async () => {
    const hopMs = 250;
    const bytesPerMs = 32; // 16 kHz 16-bit mono
    const stream = new PassThrough({ highWaterMark: 16_384 });
    const reader = new BodyReader(stream, 64 * 1024 * 1024, () => undefined, new AbortController().signal);
    const slicer = new BodySlicer(reader, { sliceBytes: 8_000, frameBytes: 1, dataBytes: Number.POSITIVE_INFINITY });
    const next = async (): Promise<PacedItem | null> => {
      const bytes = await slicer.next();
      return bytes === null ? null : { chunk: () => ({ bytes }), seconds: bytes.length / bytesPerMs / 1000, streamMs: bytes.length / bytesPerMs };
    };
    const limitMs = hopMs + AHEAD_MARGIN_MS;
    const ahead = new FeedAhead(1, limitMs);
    const pacer = new Pacer(1, 1, 0);
    pacer.lift();
    let fedMs = 0;
    const subscription = pacedItems(next, { pacer, onPaced: () => undefined }, ahead).subscribe((item) => (fedMs += item.streamMs));
    // Ten minutes of audio offered; the writer writes whenever the stream takes more.
    const total = 600 * 1_000 * bytesPerMs;
    let written = 0;
    const write = (): void => {
      while (written < total && stream.write(new Uint8Array(65_536))) written += 65_536;
      if (written < total) written += 65_536;
    };
    stream.on('drain', write);
    write();
    /** Runs the event loop until nothing moves any more (no result ever answers). */
    const stalled = async (): Promise<void> => {
      for (let last = -1; last !== reader.bytesRead; ) {
        last = reader.bytesRead;
        for (let i = 0; i < 50; i += 1) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await stalled();
    assert.ok(!ahead.open, 'the feed is waiting for results');
    assert.ok(fedMs > limitMs && fedMs <= limitMs + 250, `fed ${fedMs} ms ahead of no answer`);
    // Read: what was fed, a slice being cut, and what the stream held (a PassThrough holds one
    // written chunk on each side; a request, its highWaterMark and one socket read).
    assert.ok(reader.bytesRead <= (fedMs + 250) * bytesPerMs + 2 * 65_536, `read ${reader.bytesRead} bytes for ${fedMs} ms fed`);
    assert.ok(written < total && written - reader.bytesRead <= 2 * 65_536, `the writer is held back after ${written} of ${total} bytes`);
    // An answer lets it go on, as far again.
    const firstMs = fedMs;
    ahead.answered(undefined, firstMs, false);
    await stalled();
    assert.ok(fedMs > firstMs + limitMs && fedMs <= firstMs + limitMs + 250, `fed on to ${fedMs} ms after the answer at ${firstMs} ms`);
    subscription.unsubscribe();
    reader.dispose();
    stream.destroy();
  });
});
