/**
 * Stage 1: bytes in the declared encoding → mono float samples. A chunk may end mid-sample;
 * the decoder carries the remainder. NaN/Inf floats fail the stream with `bad_audio`.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { PcmDecoder, type PcmDecoderConfig } from '../../shared/dsp/pcm_decode.js';
import type { AudioChunk, SampleChunk } from './types.js';

export function decode(config: PcmDecoderConfig): OperatorFunction<AudioChunk, SampleChunk> {
  return (source) =>
    new Observable<SampleChunk>((subscriber) => {
      let decoder: PcmDecoder | null = new PcmDecoder(config);
      const subscription = source.subscribe({
        next: (chunk) => {
          if (decoder === null) return;
          let samples: Float32Array;
          try {
            samples = decoder.decode(chunk.bytes);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (samples.length > 0) subscriber.next({ samples, arrivedAtMs: chunk.arrivedAtMs });
        },
        // A trailing partial sample (< one frame of bytes) cannot be decoded; it is ignored
        // (docs/protocol.md says so) rather than padded into a sample that was never sent.
        complete: () => subscriber.complete(),
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        decoder = null;
      };
    });
}
