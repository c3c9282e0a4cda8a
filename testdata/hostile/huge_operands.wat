;; Calls op with a count of input handles that would run far past its memory.
(module
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $op (i32.const 3) (i32.const 0) (i32.const 0x7FFFFFFF) (i32.const 0) (i32.const 0)
              (i32.const 0) (i32.const 4) (i32.const 0)))
)
