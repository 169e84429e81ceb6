/**
 * Microphone capture: getUserMedia → MediaStreamSource → AudioWorklet 'ser-capture' →
 * Float32 chunks at the context's own rate (declared as-is in `start`; the server
 * resamples). The worklet feeds a muted gain into the destination so the graph is pulled
 * without playing the microphone back.
 */

export interface MicCapture {
  /** The AudioContext's rate, Hz: the rate of every chunk. */
  sampleRateHz: number;
  /** Starts delivering chunks to `onChunk`. */
  begin(onChunk: (samples: Float32Array) => void): void;
  /** Stops the tracks and closes the context. Idempotent. */
  stop(): Promise<void>;
}

/** Audio per chunk, seconds: small enough for low latency, large enough to keep message counts sane. */
const CHUNK_SECONDS = 0.05;

/** Asks for the microphone; rejects with the browser's DOMException (NotAllowedError, NotFoundError, …). */
export async function openMicrophone(workletUrl: string): Promise<MicCapture> {
  const stream = await navigator.mediaDevices.getUserMedia({
    // Raw speech: browser voice processing alters the prosody the model listens to.
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  try {
    await context.audioWorklet.addModule(workletUrl);
  } catch (err) {
    stream.getTracks().forEach((t) => t.stop());
    await context.close();
    throw err;
  }
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'ser-capture', {
    processorOptions: { chunkFrames: Math.round(context.sampleRate * CHUNK_SECONDS) },
  });
  const mute = new GainNode(context, { gain: 0 });
  node.connect(mute).connect(context.destination);
  let stopped = false;
  return {
    sampleRateHz: context.sampleRate,
    begin(onChunk) {
      node.port.onmessage = (ev: MessageEvent<Float32Array>) => {
        if (!stopped) onChunk(ev.data);
      };
      source.connect(node);
      void context.resume();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      node.port.onmessage = null;
      source.disconnect();
      stream.getTracks().forEach((t) => t.stop());
      await context.close();
    },
  };
}
