;; Asks for a 2^30 x 2^30 tensor.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\00\00\40\00\00\00\40")  ;; shape [2^30, 2^30]
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $zeros (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))
)
