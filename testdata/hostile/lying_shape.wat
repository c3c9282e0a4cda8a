;; Claims a 1000 x 1000 tensor but supplies 16 bytes of data.
(module
  (import "lockstep" "tensor_new" (func $tensor_new (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\e8\03\00\00\e8\03\00\00")  ;; shape [1000, 1000]
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $tensor_new (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 64) (i32.const 16) (i32.const 128)))
)
