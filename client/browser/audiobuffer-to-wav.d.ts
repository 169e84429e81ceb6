/** Types for the untyped `audiobuffer-to-wav` package (CommonJS, one function). */
declare module 'audiobuffer-to-wav' {
  /** Encodes an AudioBuffer as a WAV file: 16-bit PCM, or 32-bit float with `float32`. */
  export default function audioBufferToWav(buffer: AudioBuffer, options?: { float32?: boolean }): ArrayBuffer;
}
