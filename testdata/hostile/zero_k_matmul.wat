;; A batched matmul whose operands hold nothing: [512, 1024, 0] x [512, 0, 1024]. With k = 0
;; there is no arithmetic and no input byte, but the output is 512 x 1024 x 1024 zeros:
;; 2 GiB. The host must refuse the call with a quota error (-3) before allocating it.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\02\00\00\00\04\00\00\00\00\00\00")   ;; shape [512, 1024, 0]
  (data (i32.const 16) "\00\02\00\00\00\00\00\00\00\04\00\00")  ;; shape [512, 0, 1024]
  (data (i32.const 48) "\00\00\00\00\00\00\00\00")              ;; no transposes
  ;; 32, 36: the operands' handles; 64: the output's handle; 68: the output count
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $st i32)
    (local.set $st (call $zeros (i32.const 1) (i32.const 0) (i32.const 3) (i32.const 32)))
    (if (local.get $st) (then (return (local.get $st))))
    (local.set $st (call $zeros (i32.const 1) (i32.const 16) (i32.const 3) (i32.const 36)))
    (if (local.get $st) (then (return (local.get $st))))
    (call $op (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 48) (i32.const 2)
              (i32.const 64) (i32.const 1) (i32.const 68)))
)
