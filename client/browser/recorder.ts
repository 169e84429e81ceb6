/**
 * Keeps the audio that was sent (mono float at its rate) and turns it into a WAV download
 * with audiobuffer-to-wav (16-bit PCM). Bounded: past `MAX_RECORD_SECONDS` the rest is not
 * kept and `truncated` says so.
 */
import audioBufferToWav from 'audiobuffer-to-wav';

/** Longest recording kept, s (10 min of 48 kHz float ≈ 115 MB). */
export const MAX_RECORD_SECONDS = 600;

export class SentAudioRecorder {
  private chunks: Float32Array[] = [];
  private frames = 0;
  private rateHz = 0;
  truncated = false;

  /** Starts a new recording at `sampleRateHz`, dropping the previous one. */
  reset(sampleRateHz: number): void {
    this.chunks = [];
    this.frames = 0;
    this.rateHz = sampleRateHz;
    this.truncated = false;
  }

  push(samples: Float32Array): void {
    const room = MAX_RECORD_SECONDS * this.rateHz - this.frames;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = samples.length <= room ? samples : samples.subarray(0, room);
    this.truncated ||= kept.length < samples.length;
    this.chunks.push(kept);
    this.frames += kept.length;
  }

  get durationSeconds(): number {
    return this.rateHz > 0 ? this.frames / this.rateHz : 0;
  }

  /** The recording as a 16-bit PCM WAV, or null when nothing was sent. */
  toWavBlob(): Blob | null {
    if (this.frames === 0) return null;
    const buffer = new AudioBuffer({ length: this.frames, sampleRate: this.rateHz, numberOfChannels: 1 });
    const channel = buffer.getChannelData(0);
    let at = 0;
    for (const chunk of this.chunks) {
      channel.set(chunk, at);
      at += chunk.length;
    }
    return new Blob([audioBufferToWav(buffer)], { type: 'audio/wav' });
  }
}
