;; Passes the host a shape pointer outside its memory; returns the host's status.
(module
  (import "lockstep" "tensor_new" (func $tensor_new (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $tensor_new (i32.const 1) (i32.const 0xFFFFFF00) (i32.const 2) (i32.const 0) (i32.const 16) (i32.const 0)))
)
