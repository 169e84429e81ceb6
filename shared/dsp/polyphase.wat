;; The inner loop of the streaming resampler (resample.ts) in WebAssembly SIMD.
;;
;; Computes `count` outputs of a polyphase FIR whose phase rows are tabulated (phases = up),
;; exactly as StreamingResampler's JS path does, bit for bit: each product of a float32
;; sample and a float32 tap is formed in float64 (exact), summed into four float64 partial
;; sums s0..s3 by tap index mod 4 (s0 also takes the last taps % 4 products, in order), and
;; the output is (s0 + s1) + (s2 + s3) rounded to float32. The two f64x2 accumulators hold
;; (s0, s1) and (s2, s3). Memory layout is the caller's: byte offsets of the input (float32),
;; of the phase rows (float32, row p at h + 4*p*taps) and of the output (float32).
;;
;; Built into polyphase_wasm.ts by `node --import tsx tools/build_wasm.ts` (wabt).
(module
  (memory (export "memory") 1)
  (func (export "polyphase")
    (param $x i32)         ;; byte offset of input sample 0
    (param $start i32)     ;; input index of the first output's first tap
    (param $phase i32)     ;; the first output's phase, 0 <= phase < up
    (param $count i32)     ;; outputs to compute
    (param $up i32)        ;; L
    (param $downWhole i32) ;; floor(M / L)
    (param $downFrac i32)  ;; M mod L
    (param $h i32)         ;; byte offset of phase row 0
    (param $taps i32)      ;; taps per row
    (param $out i32)       ;; byte offset of output 0
    (local $n i32) (local $k i32) (local $xp i32) (local $hp i32) (local $vecEnd i32)
    (local $acc01 v128) (local $acc23 v128) (local $s0 f64)
    ;; taps rounded down to a multiple of 4: the vector part of each dot product
    (local.set $vecEnd (i32.and (local.get $taps) (i32.const -4)))
    (block $done
      (loop $outputs
        (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $start) (i32.const 2))))
        (local.set $hp (i32.add (local.get $h)
          (i32.shl (i32.mul (local.get $phase) (local.get $taps)) (i32.const 2))))
        (local.set $acc01 (f64x2.splat (f64.const 0)))
        (local.set $acc23 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $k) (local.get $vecEnd)))
            (local.set $acc01 (f64x2.add (local.get $acc01)
              (f64x2.mul
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xp)))
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $hp))))))
            (local.set $acc23 (f64x2.add (local.get $acc23)
              (f64x2.mul
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $xp)))
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $hp))))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (local.set $hp (i32.add (local.get $hp) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $vec)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $acc01)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $taps)))
            (local.set $s0 (f64.add (local.get $s0)
              (f64.mul
                (f64.promote_f32 (f32.load (local.get $xp)))
                (f64.promote_f32 (f32.load (local.get $hp))))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (local.set $hp (i32.add (local.get $hp) (i32.const 4)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tail)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (f32.demote_f64
            (f64.add
              (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc01)))
              (f64.add (f64x2.extract_lane 0 (local.get $acc23)) (f64x2.extract_lane 1 (local.get $acc23))))))
        ;; next output: index += floor(M/L), phase += M mod L, carrying into the index
        (local.set $start (i32.add (local.get $start) (local.get $downWhole)))
        (local.set $phase (i32.add (local.get $phase) (local.get $downFrac)))
        (if (i32.ge_u (local.get $phase) (local.get $up))
          (then
            (local.set $phase (i32.sub (local.get $phase) (local.get $up)))
            (local.set $start (i32.add (local.get $start) (i32.const 1)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $outputs)))))
