/**
 * AudioWorklet processor 'ser-capture': collects the first input channel (mono; the
 * microphone is requested with one channel, extra channels are averaged) into chunks of
 * `chunkFrames` samples and posts each chunk's Float32Array to the main thread
 * (transferred, not copied). It runs on the audio rendering thread, so it only copies
 * samples — no conversion, no allocation beyond one buffer per chunk.
 */

// The AudioWorkletGlobalScope is not in TypeScript's DOM lib: declare what is used.
declare const sampleRate: number;
declare function registerProcessor(name: string, processor: new (options: ProcessorOptions) => CaptureProcessorBase): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
interface CaptureProcessorBase extends AudioWorkletProcessor {
  process(inputs: Float32Array[][]): boolean;
}
interface ProcessorOptions {
  processorOptions?: { chunkFrames?: number };
}

/** Chunk length when not given: 50 ms at the context's rate. */
const DEFAULT_CHUNK_SECONDS = 0.05;

class CaptureProcessor extends AudioWorkletProcessor implements CaptureProcessorBase {
  private readonly chunkFrames: number;
  private chunk: Float32Array;
  private filled = 0;

  constructor(options: ProcessorOptions) {
    super();
    this.chunkFrames = Math.max(128, Math.round(options.processorOptions?.chunkFrames ?? sampleRate * DEFAULT_CHUNK_SECONDS));
    this.chunk = new Float32Array(this.chunkFrames);
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0] ?? [];
    const first = channels[0];
    if (!first) return true; // no input connected yet (or the track ended): keep the node alive
    for (let i = 0; i < first.length; i++) {
      let sum = 0;
      for (const channel of channels) sum += channel[i] ?? 0;
      this.chunk[this.filled++] = sum / channels.length;
      if (this.filled === this.chunkFrames) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]);
        this.chunk = new Float32Array(this.chunkFrames);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('ser-capture', CaptureProcessor);

export {};
