;; Guest code that does the most work per unit of fuel it pays, one pattern per export.
;; Each export runs until its fuel runs out; BenchmarkFuelWorstCase times it and reports
;; nanoseconds per unit of fuel (runtime/meter_bench_test.go).
(module
  (type $v (func))
  (memory (export "memory") 256)                 ;; 16 MiB; the chase's cycle is written by the host
  (table 1 funcref)
  (elem (i32.const 0) $nop)
  (func $nop)
  (func $wide (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                     i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64))
  (func (export "tight_loop") (loop $l (br_if $l (i32.const 1))))
  (func (export "empty_calls") (loop $l (call $nop) (br $l)))
  (func (export "indirect_calls") (loop $l (call_indirect (type $v) (i32.const 0)) (br $l)))
  (func (export "wide_locals") (loop $l (call $wide) (br $l)))
  (func (export "pointer_chase") (local $p i32)
    (loop $l (local.set $p (i32.load (local.get $p))) (br $l)))
  (func (export "sqrt_nan") (local $x f64)
    (local.set $x (f64.const -1))
    (loop $l (local.set $x (f64.sqrt (local.get $x))) (br $l)))
  (func (export "div_chain") (local $x i64)
    (local.set $x (i64.const -1))
    (loop $l (local.set $x (i64.div_u (i64.const -1) (i64.or (local.get $x) (i64.const 3)))) (br $l)))
  (func (export "byte_fills")
    (loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 1)) (br $l)))
)
