;; YIN's difference function (pitch.ts) in WebAssembly SIMD.
;;
;; For every lag tau in [from, to]: d(tau) = sum over j < window of (s[j] - s[j + tau])^2,
;; exactly as pitch.ts squaredDifference computes it, bit for bit: the squares of even j go
;; to one float64 partial sum and those of odd j to another (lanes 0 and 1 of one f64x2
;; accumulator), an odd window's last square joins the even sum, and d = even + odd.
;; Memory layout is the caller's: byte offsets of the segment (float64) and of the output
;; (float64, d(tau) at out + 8 * tau).
;;
;; Built into yin_wasm.ts by `node --import tsx tools/build_wasm.ts` (wabt).
(module
  (memory (export "memory") 1)
  (func (export "differences")
    (param $seg i32)     ;; byte offset of s[0]
    (param $window i32)  ;; samples summed per lag
    (param $from i32)    ;; first lag
    (param $to i32)      ;; last lag (inclusive)
    (param $out i32)     ;; byte offset of d(0)
    (local $tau i32) (local $j i32) (local $pairsEnd i32) (local $a i32) (local $b i32)
    (local $acc v128) (local $v v128) (local $even f64) (local $x f64)
    ;; window rounded down to even: the vector part
    (local.set $pairsEnd (i32.and (local.get $window) (i32.const -2)))
    (local.set $tau (local.get $from))
    (block $done
      (loop $lags
        (br_if $done (i32.gt_s (local.get $tau) (local.get $to)))
        (local.set $acc (f64x2.splat (f64.const 0)))
        (local.set $a (local.get $seg))
        (local.set $b (i32.add (local.get $seg) (i32.shl (local.get $tau) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $j) (local.get $pairsEnd)))
            (local.set $v (f64x2.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $b (i32.add (local.get $b) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pairs)))
        (local.set $even (f64x2.extract_lane 0 (local.get $acc)))
        (if (i32.lt_u (local.get $j) (local.get $window))
          (then
            (local.set $x (f64.sub (f64.load (local.get $a)) (f64.load (local.get $b))))
            (local.set $even (f64.add (local.get $even) (f64.mul (local.get $x) (local.get $x))))))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $tau) (i32.const 3)))
          (f64.add (local.get $even) (f64x2.extract_lane 1 (local.get $acc))))
        (local.set $tau (i32.add (local.get $tau) (i32.const 1)))
        (br $lags)))))
