/**
 * Stage 4: one voiced/unvoiced decision per MFCC frame from its energy (VoicedGate:
 * threshold, hysteresis, hang-over). Frame-by-frame and deterministic, so chunking never
 * changes a decision. The model resets its utterance state on the same flags.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { VoicedGate, type VoicedGateConfig } from '../../shared/dsp/vad.js';
import type { FeatureBlock, VoicedFeatureBlock } from './types.js';

/** `config`: the gate the model was trained with (models/meta.ts voicedGateOf); default today's. */
export function vad(config?: Partial<VoicedGateConfig>): OperatorFunction<FeatureBlock, VoicedFeatureBlock> {
  return (source) =>
    new Observable<VoicedFeatureBlock>((subscriber) => {
      let gate: VoicedGate | null = new VoicedGate(config);
      const subscription = source.subscribe({
        next: (block) => {
          if (gate === null) return;
          const voiced = new Uint8Array(block.count);
          for (let i = 0; i < block.count; i += 1) voiced[i] = gate.push(block.energyDb[i] ?? -100) ? 1 : 0;
          subscriber.next({ ...block, voiced });
        },
        complete: () => subscriber.complete(),
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        gate = null;
      };
    });
}
