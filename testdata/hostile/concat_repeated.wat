;; Concatenates 4,096 copies of one 4 MiB tensor: a 16 GiB output from 4 MiB of input and a
;; 16 KiB handle list. The host must refuse the call with a quota error (-3) before
;; allocating any of it.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\00\10\00")   ;; shape [1048576]: 4 MiB of float32
  (data (i32.const 16) "\00\00\00\00")  ;; concat attributes: axis 0
  ;; 8: the tensor's handle; 24: the output's handle; 28: the output count;
  ;; 1024: the input list, 4,096 handles
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $i i32) (local $st i32)
    (local.set $st (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $st) (then (return (local.get $st))))
    (loop $fill
      (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2))) (i32.load (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 4096))))
    (call $op (i32.const 48) (i32.const 1024) (i32.const 4096) (i32.const 16) (i32.const 1)
              (i32.const 24) (i32.const 1) (i32.const 28)))
)
