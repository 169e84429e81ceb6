/**
 * VoicedGate: per-frame speech/silence decision from frame energy (dBFS), deterministic and
 * stateful only through the frames it has seen, so it is chunking-invariant by construction.
 *
 * - Noise floor: the minimum frame energy over the last `noiseWindowFrames` frames
 *   (minimum statistics, Martin 2001, without the bias correction): it falls at once when
 *   the room gets quieter and rises only as loud frames push quiet ones out of the window,
 *   so speech, which always has pauses and closures, does not drag it up.
 * - Onset threshold: max(absoluteFloorDb, noise floor + onsetMarginDb); a frame at or above
 *   it is voiced. The absolute floor keeps studio silence (−90 dBFS and below, where the
 *   relative margin alone would fire on faint clicks) unvoiced, while a talker 20 dB
 *   quieter than usual still opens the gate.
 * - Hysteresis: once voiced, frames stay voiced down to the onset threshold − hysteresisDb.
 * - Hang-over: after energy falls below that, `hangoverFrames` more frames stay voiced, which
 *   bridges stop closures and short pauses inside an utterance.
 */

export interface VoicedGateConfig {
  /**
   * dBFS; onset is never below this. Default −70, range −100 … 0. (−55 until model v2: it
   * gated out a quiet talker — RAVDESS speech peaks sit around −35 dBFS, so 20 dB less gain
   * put most syllables below it and the stream went silent.)
   */
  absoluteFloorDb: number;
  /** dB above the noise floor needed for onset. Default 12, range 0 … 60. */
  onsetMarginDb: number;
  /** dB below the onset threshold at which a voiced stretch starts its hang-over. Default 6, range 0 … 30. */
  hysteresisDb: number;
  /** Frames kept voiced after energy drops (10 ms frames: 20 = 200 ms). Default 20, range 0 … 1000. */
  hangoverFrames: number;
  /** Frames over which the noise floor is the minimum (300 = 3 s). Default 300, range 1 … 100000. */
  noiseWindowFrames: number;
}

export const VOICED_GATE_CONFIG: Readonly<VoicedGateConfig> = Object.freeze({
  absoluteFloorDb: -70,
  onsetMarginDb: 12,
  hysteresisDb: 6,
  hangoverFrames: 20,
  noiseWindowFrames: 300,
});

function check(ok: boolean, expected: string, got: number): void {
  if (!ok) throw new RangeError(`VoicedGateConfig: expected ${expected}, got ${got}`);
}

export class VoicedGate {
  readonly config: Readonly<VoicedGateConfig>;
  /** Monotonic deque (ascending energies) over the window: values and frame indices. */
  private readonly dequeValue: Float64Array;
  private readonly dequeFrame: Float64Array;
  private readonly capacity: number;
  private head = 0;
  private size = 0;
  private frame = 0;
  private voiced = false;
  private hangover = 0;

  constructor(config: Partial<VoicedGateConfig> = {}) {
    const c = { ...VOICED_GATE_CONFIG, ...config };
    check(c.absoluteFloorDb >= -100 && c.absoluteFloorDb <= 0, 'absoluteFloorDb in −100…0', c.absoluteFloorDb);
    check(c.onsetMarginDb >= 0 && c.onsetMarginDb <= 60, 'onsetMarginDb in 0…60', c.onsetMarginDb);
    check(c.hysteresisDb >= 0 && c.hysteresisDb <= 30, 'hysteresisDb in 0…30', c.hysteresisDb);
    check(Number.isInteger(c.hangoverFrames) && c.hangoverFrames >= 0 && c.hangoverFrames <= 1000, 'integer hangoverFrames in 0…1000', c.hangoverFrames);
    check(
      Number.isInteger(c.noiseWindowFrames) && c.noiseWindowFrames >= 1 && c.noiseWindowFrames <= 100000,
      'integer noiseWindowFrames in 1…100000',
      c.noiseWindowFrames,
    );
    this.config = Object.freeze(c);
    this.capacity = c.noiseWindowFrames;
    this.dequeValue = new Float64Array(this.capacity);
    this.dequeFrame = new Float64Array(this.capacity);
  }

  /** Current noise-floor estimate, dBFS (NaN before the first frame). */
  get noiseFloorDb(): number {
    return this.size > 0 ? (this.dequeValue[this.head] as number) : Number.NaN;
  }

  /** Feeds one frame's energy; returns whether that frame is voiced. */
  push(energyDb: number): boolean {
    const { absoluteFloorDb, onsetMarginDb, hysteresisDb, hangoverFrames, noiseWindowFrames } = this.config;
    // A non-finite energy cannot come from the MFCC stage; treat it as silence, not a crash.
    const e = Number.isFinite(energyDb) ? energyDb : -200;
    this.trackMinimum(e, noiseWindowFrames);
    const onsetDb = Math.max(absoluteFloorDb, this.noiseFloorDb + onsetMarginDb);
    if (e >= onsetDb) {
      this.voiced = true;
      this.hangover = hangoverFrames;
    } else if (this.voiced) {
      if (e >= onsetDb - hysteresisDb) {
        this.hangover = hangoverFrames;
      } else if (this.hangover > 0) {
        this.hangover--;
      } else {
        this.voiced = false;
      }
    }
    this.frame++;
    return this.voiced;
  }

  /**
   * Feeds a block of frame energies in order; returns one flag per frame, 1 = voiced. The
   * one loop from energies to flags that the server, training and evaluation share.
   */
  pushFrames(energyDb: Float32Array): Uint8Array {
    const voiced = new Uint8Array(energyDb.length);
    for (let i = 0; i < energyDb.length; i += 1) voiced[i] = this.push(energyDb[i] as number) ? 1 : 0;
    return voiced;
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
    this.frame = 0;
    this.voiced = false;
    this.hangover = 0;
  }

  private trackMinimum(e: number, window: number): void {
    const cap = this.capacity;
    // Expire the oldest entry once it leaves the window.
    if (this.size > 0 && (this.dequeFrame[this.head] as number) <= this.frame - window) {
      this.head = (this.head + 1) % cap;
      this.size--;
    }
    // Entries not below the new value can never be the minimum again.
    while (this.size > 0 && (this.dequeValue[(this.head + this.size - 1) % cap] as number) >= e) this.size--;
    const tail = (this.head + this.size) % cap;
    this.dequeValue[tail] = e;
    this.dequeFrame[tail] = this.frame;
    this.size++;
  }
}
