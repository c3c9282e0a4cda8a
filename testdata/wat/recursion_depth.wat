;; step(n) makes a call chain n+1 frames deep: the step function and n calls of $down.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func $down (param i64) (result i32)
    (if (result i32) (i64.le_u (local.get 0) (i64.const 1))
      (then (i32.const 0))
      (else (call $down (i64.sub (local.get 0) (i64.const 1))))))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $down (local.get 0)))
)
