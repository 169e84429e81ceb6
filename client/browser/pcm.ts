/** Float samples → 16-bit PCM for the socket (half the bytes of float32, ample for speech). */

/** Scale of signed 16-bit PCM, the inverse of the server's /32768 decode. */
const INT16_SCALE = 32768;

export function floatToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round((samples[i] ?? 0) * INT16_SCALE);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}
