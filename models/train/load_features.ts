/**
 * Features for a list of clips: the original of every clip plus, when augmenting (training
 * split only), its augmented copies — each computed once and cached. Corrupt, empty or
 * unreadable files are skipped and reported, never dropped silently.
 */
import { applyAugment, babblePoolOf, drawAugmentSpec, type AugmentConfig, type AugmentSpec } from './augment.js';
import type { ClipRef } from './dataset.js';
import { cacheKey, cachedFeatures } from './feature_cache.js';
import { VOICED_GATE_CONFIG, type VoicedGateConfig } from '../../shared/dsp/vad.js';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import { featuresOfSamples, readWav16k, type ClipFeatures } from './features.js';
import { telephoneDegrade } from './telephone.js';

export interface FeatureItem {
  clip: ClipRef;
  /** Index into the label list. */
  labelIdx: number;
  /** versions[0] is the clip as recorded; the rest are augmented copies. */
  versions: ClipFeatures[];
}

export interface SkippedFile {
  relPath: string;
  reason: string;
}

export interface LoadOptions {
  labels: readonly string[];
  /** null = originals only (validation, evaluation). */
  augment: AugmentConfig | null;
  seed: number;
  /** null = no cache. */
  cacheDir: string | null;
  /**
   * Degrade every original as a telephone call first (evaluation `--telephone`; training
   * with a narrowband augment config does it too). Copies start from the clip as recorded.
   */
  telephone?: boolean;
  /** VoicedGate of the model being evaluated (voicedGateOf(meta); featureOptionsOf(meta) gives it with the rest); default today's. Originals only. */
  voicedGate?: VoicedGateConfig;
  /** Cepstral coefficients per frame (the model's featureConfig.numCoeffs); default MFCC_CONFIG's. */
  numCoeffs?: number;
  /** Floor under the mel powers (the model's featureConfig.logFloor); default MFCC_CONFIG's. */
  logFloor?: number;
  /** Append the pitch columns (the model's featureConfig.pitch); default off. */
  pitch?: boolean;
  onClip?: (done: number, total: number) => void;
}

/** The feature settings that differ from MFCC_CONFIG's, as they enter cache keys (none: {}). */
function ownFeatureSettings(options: Pick<LoadOptions, 'numCoeffs' | 'logFloor' | 'pitch'>): { numCoeffs?: number; logFloor?: number; pitch?: true } {
  return {
    ...(options.pitch === true ? { pitch: true as const } : {}),
    ...(options.numCoeffs === undefined || options.numCoeffs === MFCC_CONFIG.numCoeffs ? {} : { numCoeffs: options.numCoeffs }),
    ...(options.logFloor === undefined || options.logFloor === MFCC_CONFIG.logFloor ? {} : { logFloor: options.logFloor }),
  };
}

/** Frames below which a clip is treated as empty: under 0.1 s has no emotion to find. */
const MIN_FRAMES = 10;

export function loadFeatures(clips: readonly ClipRef[], options: LoadOptions): { items: FeatureItem[]; skipped: SkippedFile[] } {
  const items: FeatureItem[] = [];
  const skipped: SkippedFile[] = [];
  const labelIndex = new Map(options.labels.map((l, i) => [l, i]));
  // Babble talkers come from this same list (one training split), never the clip's speaker.
  const babbleOn = (options.augment?.babbleProb ?? 0) > 0;
  const pathOf = new Map(clips.map((c) => [c.relPath, c.path]));
  const talkers = new Map<string, Float32Array>();
  const loadTalker = (relPath: string): Float32Array => {
    let samples = talkers.get(relPath);
    if (samples === undefined) {
      const path = pathOf.get(relPath);
      if (path === undefined) throw new Error(`babble: expected a clip of this split, got ${relPath}`);
      samples = readWav16k(path);
      talkers.set(relPath, samples);
    }
    return samples;
  };
  clips.forEach((clip, n) => {
    const labelIdx = labelIndex.get(clip.label);
    if (labelIdx === undefined) throw new Error(`unknown label "${clip.label}" (file ${clip.relPath})`);
    let raw: Float32Array | null = null;
    const load = (): Float32Array => (raw ??= readWav16k(clip.path));
    try {
      const ownGate = options.voicedGate !== undefined && JSON.stringify(options.voicedGate) !== JSON.stringify(VOICED_GATE_CONFIG) ? options.voicedGate : undefined;
      // Non-default feature settings are part of every key; the defaults keep the old keys.
      const own = ownFeatureSettings(options);
      const plain = Object.keys(own).length === 0;
      const telephone = options.telephone === true || options.augment?.narrowband === true;
      const channel = telephone ? 'telephone' : null;
      const variant = ownGate === undefined && plain ? channel : { channel, gate: ownGate, ...own };
      const original = cachedFeatures(options.cacheDir, cacheKey(clip.path, variant), () => featuresOfSamples(telephone ? telephoneDegrade(load()) : load(), { gate: ownGate, ...own }));
      if (original.count < MIN_FRAMES) {
        skipped.push({ relPath: clip.relPath, reason: `empty (${original.count} frames)` });
        return;
      }
      const versions: ClipFeatures[] = [original];
      const copies = options.augment?.copies ?? 0;
      const pool = babbleOn ? babblePoolOf(clips, clip.speaker) : [];
      for (let c = 0; c < copies; c += 1) {
        const spec: AugmentSpec = drawAugmentSpec(options.augment as AugmentConfig, options.seed, clip.relPath, c, pool);
        const key = cacheKey(clip.path, plain ? spec : { ...spec, ...own });
        versions.push(cachedFeatures(options.cacheDir, key, () => featuresOfSamples(applyAugment(load(), spec, loadTalker), own)));
      }
      items.push({ clip, labelIdx, versions });
    } catch (err) {
      skipped.push({ relPath: clip.relPath, reason: err instanceof Error ? err.message : String(err) });
    } finally {
      options.onClip?.(n + 1, clips.length);
    }
  });
  return { items, skipped };
}
