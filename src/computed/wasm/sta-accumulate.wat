;; The spike-triggered average's inner loop, in WebAssembly SIMD (f64x2).
;;
;; Built into sta-accumulate-wasm.ts by `npm run build:wasm` (scripts/build-wasm.ts, with wabt).
;; The memory is imported and shared, so every worker thread's instance sees the same movie.
;;
;; The movie is frame-major float64 (frame g's pixels at movie + g*F*8, as the column-major
;; (x, y, t) blob already is). A job is a list of pairs (g, k, w): "add w times frame g into lag k".
;; The pixels are cut into tiles of P so that the L lag rows of a tile's sums (L*P*8 bytes of
;; scratch) stay in the L1 cache; a tile is the unit of work one thread claims.
;;
;; Exactness: each output value is 0 + w1*x1 + w2*x2 + ... in the order of the pairs, as the
;; scalar kernel adds them (w*x is exact x when w = 1), so lanes and threads change no bit.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; One tile: pixels p0 .. p0+width-1 of every lag.
  ;; pairs: np records of 16 bytes: i32 g*F*8 (the frame's byte offset), i32 k*P*8 (its scratch
  ;; row), f64 w. For each lag row the records must come in ascending frame order.
  ;; The tile's sums are left in acc (L rows of F float64): acc[k*F + p].
  (func (export "accumulateTile")
    (param $movie i32) (param $pairs i32) (param $np i32) (param $F i32) (param $p0 i32)
    (param $width i32) (param $P i32) (param $L i32) (param $acc i32) (param $scratch i32)
    (local $e i32) (local $end i32) (local $src i32) (local $dst i32) (local $w f64) (local $wv v128)
    (local $v i32) (local $end8 i32) (local $end2 i32) (local $bytes i32) (local $k i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 3)))
    (local.set $end8 (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $end2 (i32.and (local.get $bytes) (i32.const -16)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.mul (local.get $L) (i32.shl (local.get $P) (i32.const 3))))
    (local.set $end (i32.add (local.get $pairs) (i32.shl (local.get $np) (i32.const 4))))
    (local.set $e (local.get $pairs))
    (block $pairs_done (loop $pair
      (br_if $pairs_done (i32.ge_u (local.get $e) (local.get $end)))
      (local.set $src (i32.add (i32.add (local.get $movie) (i32.load (local.get $e))) (i32.shl (local.get $p0) (i32.const 3))))
      (local.set $dst (i32.add (local.get $scratch) (i32.load offset=4 (local.get $e))))
      (local.set $w (f64.load offset=8 (local.get $e)))
      (local.set $wv (f64x2.splat (local.get $w)))
      (local.set $v (i32.const 0))
      ;; 8 pixels a step
      (block $d8 (loop $l8
        (br_if $d8 (i32.ge_u (local.get $v) (local.get $end8)))
        (v128.store offset=0 (i32.add (local.get $dst) (local.get $v))
          (f64x2.add (v128.load offset=0 (i32.add (local.get $dst) (local.get $v)))
                     (f64x2.mul (local.get $wv) (v128.load offset=0 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=16 (i32.add (local.get $dst) (local.get $v))
          (f64x2.add (v128.load offset=16 (i32.add (local.get $dst) (local.get $v)))
                     (f64x2.mul (local.get $wv) (v128.load offset=16 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=32 (i32.add (local.get $dst) (local.get $v))
          (f64x2.add (v128.load offset=32 (i32.add (local.get $dst) (local.get $v)))
                     (f64x2.mul (local.get $wv) (v128.load offset=32 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=48 (i32.add (local.get $dst) (local.get $v))
          (f64x2.add (v128.load offset=48 (i32.add (local.get $dst) (local.get $v)))
                     (f64x2.mul (local.get $wv) (v128.load offset=48 (i32.add (local.get $src) (local.get $v))))))
        (local.set $v (i32.add (local.get $v) (i32.const 64)))
        (br $l8)))
      ;; then 2 pixels a step
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $v) (local.get $end2)))
        (v128.store (i32.add (local.get $dst) (local.get $v))
          (f64x2.add (v128.load (i32.add (local.get $dst) (local.get $v)))
                     (f64x2.mul (local.get $wv) (v128.load (i32.add (local.get $src) (local.get $v))))))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $l2)))
      ;; and an odd last pixel
      (if (i32.lt_u (local.get $v) (local.get $bytes)) (then
        (f64.store (i32.add (local.get $dst) (local.get $v))
          (f64.add (f64.load (i32.add (local.get $dst) (local.get $v)))
                   (f64.mul (local.get $w) (f64.load (i32.add (local.get $src) (local.get $v))))))))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (br $pair)))
    ;; the tile's rows into acc
    (local.set $k (i32.const 0))
    (block $rows_done (loop $row
      (br_if $rows_done (i32.ge_u (local.get $k) (local.get $L)))
      (memory.copy
        (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $F)) (local.get $p0)) (i32.const 3)))
        (i32.add (local.get $scratch) (i32.mul (local.get $k) (i32.shl (local.get $P) (i32.const 3))))
        (local.get $bytes))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $row)))
  )

  ;; The same for a movie of small integers (int8, one byte a pixel), summed in int16 lanes: 8
  ;; pixels an instruction, an eighth of the memory read. The caller checks that no sum can leave
  ;; int16 (spikes used × the largest |value| ≤ 32767); integer sums are exact in any order, so
  ;; they equal the float64 kernel's. Pairs as above, but i32 g*F (bytes) and k*P*2 (int16 row).
  ;; acc: L rows of F int16.
  (func (export "accumulateTileI8")
    (param $movie i32) (param $pairs i32) (param $np i32) (param $F i32) (param $p0 i32)
    (param $width i32) (param $P i32) (param $L i32) (param $acc i32) (param $scratch i32)
    (local $e i32) (local $end i32) (local $src i32) (local $dst i32) (local $w i32) (local $wv v128)
    (local $v i32) (local $end32 i32) (local $end8 i32) (local $k i32)
    (local.set $end32 (i32.and (local.get $width) (i32.const -32)))
    (local.set $end8 (i32.and (local.get $width) (i32.const -8)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.mul (local.get $L) (i32.shl (local.get $P) (i32.const 1))))
    (local.set $end (i32.add (local.get $pairs) (i32.shl (local.get $np) (i32.const 4))))
    (local.set $e (local.get $pairs))
    (block $pairs_done (loop $pair
      (br_if $pairs_done (i32.ge_u (local.get $e) (local.get $end)))
      (local.set $src (i32.add (i32.add (local.get $movie) (i32.load (local.get $e))) (local.get $p0)))
      (local.set $dst (i32.add (local.get $scratch) (i32.load offset=4 (local.get $e))))
      (local.set $w (i32.trunc_f64_s (f64.load offset=8 (local.get $e))))
      (local.set $wv (i16x8.splat (local.get $w)))
      (local.set $v (i32.const 0))
      ;; 32 pixels a step ($v counts pixels: 1 byte of movie, 2 of sums)
      (block $d32 (loop $l32
        (br_if $d32 (i32.ge_u (local.get $v) (local.get $end32)))
        (v128.store offset=0 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i16x8.add (v128.load offset=0 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                     (i16x8.mul (local.get $wv) (v128.load8x8_s offset=0 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i16x8.add (v128.load offset=16 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                     (i16x8.mul (local.get $wv) (v128.load8x8_s offset=8 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=32 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i16x8.add (v128.load offset=32 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                     (i16x8.mul (local.get $wv) (v128.load8x8_s offset=16 (i32.add (local.get $src) (local.get $v))))))
        (v128.store offset=48 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i16x8.add (v128.load offset=48 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                     (i16x8.mul (local.get $wv) (v128.load8x8_s offset=24 (i32.add (local.get $src) (local.get $v))))))
        (local.set $v (i32.add (local.get $v) (i32.const 32)))
        (br $l32)))
      ;; then 8 pixels a step
      (block $d8 (loop $l8
        (br_if $d8 (i32.ge_u (local.get $v) (local.get $end8)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i16x8.add (v128.load (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                     (i16x8.mul (local.get $wv) (v128.load8x8_s (i32.add (local.get $src) (local.get $v))))))
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (br $l8)))
      ;; and the last few one by one
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $v) (local.get $width)))
        (i32.store16 (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1)))
          (i32.add (i32.load16_s (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 1))))
                   (i32.mul (local.get $w) (i32.load8_s (i32.add (local.get $src) (local.get $v))))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $l1)))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (br $pair)))
    (local.set $k (i32.const 0))
    (block $rows_done (loop $row
      (br_if $rows_done (i32.ge_u (local.get $k) (local.get $L)))
      (memory.copy
        (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $F)) (local.get $p0)) (i32.const 1)))
        (i32.add (local.get $scratch) (i32.mul (local.get $k) (i32.shl (local.get $P) (i32.const 1))))
        (i32.shl (local.get $width) (i32.const 1)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $row)))
  )

  ;; The sum of n float64 at ptr, 8 at a time: how fast this thread reads memory.
  (func (export "sumF64") (param $ptr i32) (param $n i32) (result f64)
    (local $end i32) (local $end8 i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $s f64)
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $end8 (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 3))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end8)))
      (local.set $a (f64x2.add (local.get $a) (v128.load offset=0 (local.get $ptr))))
      (local.set $b (f64x2.add (local.get $b) (v128.load offset=16 (local.get $ptr))))
      (local.set $c (f64x2.add (local.get $c) (v128.load offset=32 (local.get $ptr))))
      (local.set $d (f64x2.add (local.get $d) (v128.load offset=48 (local.get $ptr))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
      (br $step)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_u (local.get $ptr) (local.get $end)))
      (local.set $s (f64.add (local.get $s) (f64.load (local.get $ptr))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 8)))
      (br $tail)))
    (local.set $a (f64x2.add (f64x2.add (local.get $a) (local.get $b)) (f64x2.add (local.get $c) (local.get $d))))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))))

  ;; n steps of 8 independent f64x2 adds (16 additions a step), no memory: how fast this thread adds.
  (func (export "addThroughput") (param $n i32) (result f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $x v128)
    (local.set $x (f64x2.splat (f64.const 1)))
    (block $done (loop $step
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $a0 (f64x2.add (local.get $a0) (local.get $x)))
      (local.set $a1 (f64x2.add (local.get $a1) (local.get $x)))
      (local.set $a2 (f64x2.add (local.get $a2) (local.get $x)))
      (local.set $a3 (f64x2.add (local.get $a3) (local.get $x)))
      (local.set $a4 (f64x2.add (local.get $a4) (local.get $x)))
      (local.set $a5 (f64x2.add (local.get $a5) (local.get $x)))
      (local.set $a6 (f64x2.add (local.get $a6) (local.get $x)))
      (local.set $a7 (f64x2.add (local.get $a7) (local.get $x)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $step)))
    (local.set $a0 (f64x2.add (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3)))
                              (f64x2.add (f64x2.add (local.get $a4) (local.get $a5)) (f64x2.add (local.get $a6) (local.get $a7)))))
    (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))

  ;; The same with int16x8 adds (64 additions a step): the int8 kernel's arithmetic.
  (func (export "addThroughputI16") (param $n i32) (result i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $x v128)
    (local.set $x (i16x8.splat (i32.const 1)))
    (block $done (loop $step
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $a0 (i16x8.add (local.get $a0) (local.get $x)))
      (local.set $a1 (i16x8.add (local.get $a1) (local.get $x)))
      (local.set $a2 (i16x8.add (local.get $a2) (local.get $x)))
      (local.set $a3 (i16x8.add (local.get $a3) (local.get $x)))
      (local.set $a4 (i16x8.add (local.get $a4) (local.get $x)))
      (local.set $a5 (i16x8.add (local.get $a5) (local.get $x)))
      (local.set $a6 (i16x8.add (local.get $a6) (local.get $x)))
      (local.set $a7 (i16x8.add (local.get $a7) (local.get $x)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $step)))
    (local.set $a0 (i16x8.add (i16x8.add (i16x8.add (local.get $a0) (local.get $a1)) (i16x8.add (local.get $a2) (local.get $a3)))
                              (i16x8.add (i16x8.add (local.get $a4) (local.get $a5)) (i16x8.add (local.get $a6) (local.get $a7)))))
    (i16x8.extract_lane_s 0 (local.get $a0)))
)
