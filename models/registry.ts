/** Where the shipped models live. Resolved from this file so it works from any cwd. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS_DIR = dirname(fileURLToPath(import.meta.url));

/** Id of the default model (also the folder name under models/). */
export const DEFAULT_MODEL_ID = 'ravdess-cnn-attn-lstm-v12';

/** Absolute path of the shipped default model folder (meta.json, model.json, weights.bin). */
export const DEFAULT_MODEL_DIR = resolve(MODELS_DIR, DEFAULT_MODEL_ID);

/**
 * The shipped model for narrowband streams (input at 8 kHz or less: calls), served to them
 * instead of the default; null while none ships (the default then serves every stream).
 */
export const DEFAULT_NARROWBAND_MODEL_DIR: string | null = null;

/**
 * The cross-validation run of the shipped model's recipe (`npm run cv`): five fold models,
 * each trained without its four held-out actors, and their scores (cv-report.md).
 */
export const SHIPPED_RECIPE_CV_DIR = resolve(MODELS_DIR, 'cv', 'r51-ensemble-r37-r42-cal-ramp200');

/** RAVDESS emotion labels in the order of its filename code 01–08, which is the output order. */
export const RAVDESS_LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
