;; Every way out of a function, for the meter's rewrite: falling off the end, return from
;; nested blocks, br / br_if / br_table to the function's label, and multi-value results.
;; step returns 0 when every function computed what it should, else the failing case.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  ;; early return from inside two blocks and a loop
  (func $early (param i32) (result i32)
    (block (block (loop
      (if (i32.gt_u (local.get 0) (i32.const 10)) (then (return (i32.const 7))))
      (local.set 0 (i32.add (local.get 0) (i32.const 3)))
      (br 0))))
    (i32.const -1))
  ;; br to the function label from a nested block
  (func $br_out (param i32) (result i32)
    (block (block
      (br 2 (i32.mul (local.get 0) (i32.const 2)))))
    (i32.const -1))
  ;; br_if to the function label, taken and not taken
  (func $br_if_out (param i32) (result i32)
    (drop (br_if 0 (i32.const 11) (local.get 0)))
    (i32.const 22))
  ;; br_table whose default is the function label: 0 -> 1005, anything else -> 5
  (func $table (param i32) (result i32)
    (i32.add (i32.const 1000)
      (block $a (result i32)
        (br_table $a 1 (i32.const 5) (local.get 0)))))
  ;; multi-value results, returned with return and by falling off the end
  (func $pair (param i32) (result i32 i64)
    (if (local.get 0) (then (return (i32.const 3) (i64.const 4))))
    (i32.const 5) (i64.const 6))
  (func $sum_pair (param i32) (result i32)
    (call $pair (local.get 0))
    (i32.wrap_i64)
    (i32.add))
  (func $check (param i32 i32 i32) (result i32)
    (if (result i32) (i32.eq (local.get 0) (local.get 1)) (then (i32.const 0)) (else (local.get 2))))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $bad i32)
    (local.set $bad (i32.or (local.get $bad) (call $check (call $early (i32.const 0)) (i32.const 7) (i32.const 1))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $br_out (i32.const 21)) (i32.const 42) (i32.const 2))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $br_if_out (i32.const 1)) (i32.const 11) (i32.const 4))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $br_if_out (i32.const 0)) (i32.const 22) (i32.const 8))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $table (i32.const 0)) (i32.const 1005) (i32.const 16))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $table (i32.const 9)) (i32.const 5) (i32.const 32))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $sum_pair (i32.const 1)) (i32.const 7) (i32.const 64))))
    (local.set $bad (i32.or (local.get $bad) (call $check (call $sum_pair (i32.const 0)) (i32.const 11) (i32.const 128))))
    (local.get $bad))
)
