/**
 * 'Analyse a file': the browser decodes the file (WAV, MP3, or anything else it can) with
 * decodeAudioData. Decoding in an OfflineAudioContext at the model's rate (16 kHz) makes
 * the browser do the resampling, so the socket carries 16 kHz mono float32.
 */
import { MODEL_SAMPLE_RATE_HZ } from '../../shared/protocol.js';

export interface DecodedAudio {
  sampleRateHz: number;
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
}

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export async function decodeAudioFile(file: Blob & { name?: string }): Promise<DecodedAudio> {
  const bytes = await file.arrayBuffer();
  const context = new OfflineAudioContext(1, 1, MODEL_SAMPLE_RATE_HZ);
  let buffer: AudioBuffer;
  try {
    buffer = await context.decodeAudioData(bytes);
  } catch {
    throw new DecodeError(`This browser cannot decode ${file.name ?? 'the file'}: choose a WAV or MP3 file.`);
  }
  if (buffer.length === 0) throw new DecodeError(`${file.name ?? 'The file'} holds no audio.`);
  const samples = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < samples.length; i++) samples[i] = (samples[i] ?? 0) + (channel[i] ?? 0) / buffer.numberOfChannels;
  }
  return { sampleRateHz: buffer.sampleRate, samples };
}
