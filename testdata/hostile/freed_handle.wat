;; Uses a handle after freeing it: scale (opcode 12) on a freed tensor.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_free" (func $free (param i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\02\00\00\00")          ;; shape [2] at 0
  (data (i32.const 16) "\00\00\80\3f")         ;; attribute 1.0f at 16
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (drop (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))   ;; handle at 8
    (drop (call $free (i32.load (i32.const 8))))
    (call $op (i32.const 12) (i32.const 8) (i32.const 1) (i32.const 16) (i32.const 1)
              (i32.const 32) (i32.const 1) (i32.const 40)))
)
