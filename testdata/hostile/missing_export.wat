;; Has no step export.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
)
