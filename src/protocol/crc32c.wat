;; CRC-32C of bytes already copied into this module's memory (crc32c.ts does the
;; copying, fills the tables, and assembles this file into crc32c-wasm.ts).
;;
;; Memory: [0, 8192) eight slicing tables, table k at k*1024 (entry b: the CRC
;; register after byte b and k zero bytes); [8192, 8704) zeros, never written;
;; the input from 8704 on, followed by a scratch area for the residual below.
;;
;; Large inputs skip the tables for all but their last ~280 bytes. The
;; polynomial
;;   Q(x) = x^2128 + x^1144 + x^968 + x^704 + x^568 + 1
;; (exponents 8 * {266, 143, 121, 88, 71, 0}) is a multiple of the CRC-32C
;; polynomial (the unit test checks it), so replacing the x^2128 term of any
;; byte by the other five terms does not change the remainder: byte t of the
;; message may be cleared once XORed into bytes t+123, t+145, t+178, t+195 and
;; t+266. Done for every byte but the last ~266, that moves the whole message
;; into its tail at the cost of five 16-byte XORs per 16 bytes; the tail then
;; goes through the tables from a zero register. Only byte-wise XORs move data,
;; so the reflected bit order of CRC-32C needs no care. The register the
;; caller passes in is XORed into the first four bytes, which is what a
;; register does to the bytes it is about to process.
(module
  (memory (export "memory") 2)

  ;; Slicing-by-8 from register $c over [$p, $end).
  (func $slice (param $c i32) (param $p i32) (param $end i32) (result i32)
    (local $lo i32) (local $hi i32)
    (block $bytes
      (loop $words
        (br_if $bytes (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
        (local.set $lo (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $hi (i32.load offset=4 (local.get $p)))
        ;; The $hi half does not depend on $c: XOR it apart so that only
        ;; four lookups sit on the register's dependency chain.
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.load offset=3072 (i32.and (i32.shl (local.get $hi) (i32.const 2)) (i32.const 1020)))
                (i32.load offset=2048 (i32.and (i32.shr_u (local.get $hi) (i32.const 6)) (i32.const 1020))))
              (i32.xor
                (i32.load offset=1024 (i32.and (i32.shr_u (local.get $hi) (i32.const 14)) (i32.const 1020)))
                (i32.load offset=0 (i32.and (i32.shr_u (local.get $hi) (i32.const 22)) (i32.const 1020)))))
            (i32.xor
              (i32.xor
                (i32.load offset=7168 (i32.and (i32.shl (local.get $lo) (i32.const 2)) (i32.const 1020)))
                (i32.load offset=6144 (i32.and (i32.shr_u (local.get $lo) (i32.const 6)) (i32.const 1020))))
              (i32.xor
                (i32.load offset=5120 (i32.and (i32.shr_u (local.get $lo) (i32.const 14)) (i32.const 1020)))
                (i32.load offset=4096 (i32.and (i32.shr_u (local.get $lo) (i32.const 22)) (i32.const 1020)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $words)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.shr_u (local.get $c) (i32.const 8))
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $c))

  ;; The register after [$p, $end), from register $c. $p is 8704; the input
  ;; is overwritten, and so are the 320 bytes after it (the scratch area).
  (func (export "update") (param $c i32) (param $p i32) (param $end i32) (result i32)
    (local $q i32) (local $stop i32) (local $split i32) (local $x i32) (local $n i32)
    (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 330))
      (then (return (call $slice (local.get $c) (local.get $p) (local.get $end)))))
    (i32.store (local.get $p) (i32.xor (i32.load (local.get $p)) (local.get $c)))
    ;; Bytes before $split are cleared into later ones; at least 266 stay.
    (local.set $split
      (i32.add (local.get $p) (i32.and (i32.sub (i32.sub (local.get $end) (local.get $p)) (i32.const 266)) (i32.const -16))))
    ;; Written as a gather: 16 bytes at t become themselves XOR the final
    ;; values at t-123, t-145, t-178, t-195, t-266, read through q = t - 266
    ;; (before the input they read the zero area). The nearest is 123 bytes
    ;; back: far enough that a load seldom waits for the store that wrote it.
    (local.set $q (i32.sub (local.get $p) (i32.const 266)))
    (local.set $stop (i32.sub (local.get $split) (i32.const 266)))
    (loop $clear
      (v128.store offset=266 (local.get $q)
        (v128.xor
          (v128.xor
            (v128.load offset=266 (local.get $q))
            (v128.load offset=143 (local.get $q)))
          (v128.xor
            (v128.xor (v128.load offset=121 (local.get $q)) (v128.load offset=88 (local.get $q)))
            (v128.xor (v128.load offset=71 (local.get $q)) (v128.load (local.get $q))))))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $clear (i32.lt_u (local.get $q) (local.get $stop))))
    ;; The tail receives only from bytes before $split: move it to the scratch
    ;; area $x and zero its place, so that the same gather reads zeros for
    ;; sources at or after $split.
    (local.set $n (i32.sub (local.get $end) (local.get $split)))
    (local.set $x (i32.and (i32.add (local.get $end) (i32.const 31)) (i32.const -16)))
    (memory.copy (local.get $x) (local.get $split) (local.get $n))
    (memory.fill (local.get $split) (i32.const 0) (i32.add (local.get $n) (i32.const 16)))
    (local.set $q (i32.sub (local.get $split) (i32.const 266)))
    (local.set $stop (i32.sub (local.get $end) (i32.const 266)))
    (loop $tail
      (v128.store (local.get $x)
        (v128.xor
          (v128.xor
            (v128.load (local.get $x))
            (v128.load offset=143 (local.get $q)))
          (v128.xor
            (v128.xor (v128.load offset=121 (local.get $q)) (v128.load offset=88 (local.get $q)))
            (v128.xor (v128.load offset=71 (local.get $q)) (v128.load (local.get $q))))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $tail (i32.lt_u (local.get $q) (local.get $stop))))
    (local.set $x (i32.and (i32.add (local.get $end) (i32.const 31)) (i32.const -16)))
    (call $slice (i32.const 0) (local.get $x) (i32.add (local.get $x) (local.get $n)))))
