;; Asks clip_grad_norm (opcode 58, attribute max_norm f32) to update one 8 MiB tensor given
;; 64 times. The in-place operator copies every gradient it updates, so believed, the call
;; would clone the tensor 64 times (512 MiB, inside the 1 GiB quota) and leave the handle
;; with one of 64 arbitrary values. The host must refuse it (-1, the updated inputs must be
;; distinct handles) before it copies anything.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\00\20\00")   ;; shape [2097152]: 8 MiB of float32
  (data (i32.const 16) "\00\00\80\3f")  ;; max_norm 1.0
  ;; 8: the tensor's handle; 24: the norm's handle; 28: the output count;
  ;; 1024: the input list, 64 handles
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $i i32) (local $st i32)
    (local.set $st (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $st) (then (return (local.get $st))))
    (loop $fill
      (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2))) (i32.load (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 64))))
    (call $op (i32.const 58) (i32.const 1024) (i32.const 64) (i32.const 16) (i32.const 1)
              (i32.const 24) (i32.const 1) (i32.const 28)))
)
