;; Asks for a tensor but gives an output pointer outside its memory: the call must fail
;; without creating anything (the step's trace stays empty).
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\02\00\00\00")
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0xFFFFFFF0)))
)
