/**
 * A WAV body's header, read piece by piece from the body up to the start of its samples,
 * with the rules and errors of shared/wav.ts `parseWav` (same chunks accepted, same codes
 * and messages): chunks before `data` (LIST, fact, …) are skipped as they arrive, never
 * held; of a fmt chunk only its first 40 bytes are kept.
 */
import { ProtocolError } from '../../shared/error_codes.js';
import { MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ } from '../../shared/protocol.js';
import {
  FMT_READ_BYTES,
  dataBeforeFmtError,
  fourcc,
  isStreamingDataSize,
  missingDataError,
  parseFmtChunk,
  type WavFormat,
} from '../../shared/wav.js';
import { skipBytes, type ByteSource } from './body.js';

/** Bytes of the RIFF header (RIFF, size, WAVE) and of a chunk header (id, size). */
const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;

export interface WavHeader extends WavFormat {
  /** Bytes of sample data from here: the data chunk's size, or Infinity when it is "to the end" (streamed WAVs). */
  dataBytes: number;
}

/** Whether a body starts like a WAV file (`head`: its first bytes, 12 or fewer when it is shorter). */
export function isWavHead(head: Uint8Array): boolean {
  return head.length >= RIFF_HEADER_BYTES && fourcc(head, 0) === 'RIFF' && fourcc(head, 8) === 'WAVE';
}

/** Bytes to look at to tell a WAV body from raw audio. */
export const WAV_SNIFF_BYTES = RIFF_HEADER_BYTES;

/** Reads the header of a body that `isWavHead`, leaving `source` at its first sample byte. */
export async function readWavHeader(source: ByteSource): Promise<WavHeader> {
  if ((await source.fill(RIFF_HEADER_BYTES)) < RIFF_HEADER_BYTES) throw new ProtocolError('unsupported_format', 'expected a RIFF/WAVE file, got other bytes');
  const riff = source.take(RIFF_HEADER_BYTES);
  const riffSize = new DataView(riff.buffer, riff.byteOffset, riff.byteLength).getUint32(4, true);
  let format: WavFormat | null = null;
  for (;;) {
    if ((await source.fill(CHUNK_HEADER_BYTES)) < CHUNK_HEADER_BYTES) throw missingDataError(format !== null);
    const header = source.take(CHUNK_HEADER_BYTES);
    const id = fourcc(header, 0);
    const size = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(4, true);
    let consumed = 0;
    if (id === 'fmt ') {
      const wanted = Math.min(size, FMT_READ_BYTES);
      const head = source.take(Math.min(wanted, await source.fill(wanted)));
      consumed = head.length;
      format = parseFmtChunk(head, size);
    } else if (id === 'data') {
      if (!format) throw dataBeforeFmtError();
      return { ...format, dataBytes: isStreamingDataSize(size, riffSize) ? Number.POSITIVE_INFINITY : size };
    }
    // Chunks are word-aligned: an odd size is followed by one pad byte.
    await skipBytes(source, size + (size & 1) - consumed);
  }
}

/** A WAV's rate, when the pipeline takes it (8–48 kHz); `unsupported_format` otherwise. */
export function checkWavRate(rateHz: number): number {
  if (rateHz < MIN_SAMPLE_RATE_HZ || rateHz > MAX_SAMPLE_RATE_HZ) {
    throw new ProtocolError('unsupported_format', `expected a WAV at ${MIN_SAMPLE_RATE_HZ}–${MAX_SAMPLE_RATE_HZ} Hz, got ${rateHz} Hz`);
  }
  return rateHz;
}
