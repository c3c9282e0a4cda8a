;; Speaks ABI version 2.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 2))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32) (i32.const 0))
)
