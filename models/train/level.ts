/** Speech level of a clip, shared by the augmentations and the evaluation conditions. */

/**
 * Mean power of the loudest half of 20 ms blocks: the speech level, not diluted by the
 * silence around RAVDESS utterances (otherwise "20 dB SNR" would be much noisier in speech).
 */
export function activePower(samples: Float32Array, blockSamples = 320): number {
  const powers: number[] = [];
  for (let start = 0; start < samples.length; start += blockSamples) {
    const end = Math.min(samples.length, start + blockSamples);
    let sum = 0;
    for (let i = start; i < end; i += 1) sum += (samples[i] as number) ** 2;
    powers.push(sum / Math.max(1, end - start));
  }
  powers.sort((a, b) => b - a);
  const top = powers.slice(0, Math.max(1, Math.ceil(powers.length / 2)));
  return top.reduce((s, p) => s + p, 0) / top.length;
}
