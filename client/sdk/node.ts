/**
 * The SDK for Node: everything from index.ts, with `ws` as the default socket, plus
 * helpers that read WAV files from disk (Node-only).
 */
import { readFile } from 'node:fs/promises';
import type { SummaryMessage } from '../../shared/protocol.js';
import { fromWav } from './audio_source.js';
import { EmotionStreamClient, type EmotionStreamClientOptions } from './client.js';
import { nodeSocketFactory } from './socket_node.js';
import { streamAudio, type StreamAudioOptions } from './stream_audio.js';

export * from './index.js';
export { nodeSocketFactory } from './socket_node.js';

/** An EmotionStreamClient whose sockets come from `ws` unless `socketFactory` says otherwise. */
export function createNodeClient(options: EmotionStreamClientOptions): EmotionStreamClient {
  return new EmotionStreamClient({ socketFactory: nodeSocketFactory, ...options });
}

/**
 * Streams a WAV file (PCM 8/16/24/32-bit, float 32/64, µ-law, A-law; any rate) through
 * `client` and resolves with the summary. See `streamAudio` for pacing.
 */
export async function streamWavFile(
  client: EmotionStreamClient,
  path: string,
  options?: StreamAudioOptions,
): Promise<SummaryMessage> {
  const bytes = new Uint8Array(await readFile(path));
  return streamAudio(client, fromWav(bytes), options);
}
