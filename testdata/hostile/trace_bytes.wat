;; Fills the step's trace: concat (opcode 48) of 4,096 copies of one 1-element tensor, again
;; and again, freeing each output. Every call is cheap for the kernel (16 KiB out) but adds a
;; trace entry of 4,097 hashes (131,236 bytes as guest/ABI.md counts them), so without a
;; bound on the trace's memory a step would hold gigabytes of hashes. The host must refuse
;; the call that would pass the trace memory quota (256 MiB per step) with a quota error
;; (-3), having held no more than the quota. The global "calls" counts the concats that
;; succeeded.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_free" (func $free (param i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (data (i32.const 0) "\01\00\00\00")   ;; shape [1]
  (data (i32.const 16) "\00\00\00\00")  ;; concat attributes: axis 0
  ;; 8: the tensor's handle; 24: concat's output handle; 28: its output count;
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
    (loop $again
      (local.set $st (call $op (i32.const 48) (i32.const 1024) (i32.const 4096) (i32.const 16) (i32.const 1)
                               (i32.const 24) (i32.const 1) (i32.const 28)))
      (if (local.get $st) (then (return (local.get $st))))
      (local.set $st (call $free (i32.load (i32.const 24))))
      (if (local.get $st) (then (return (local.get $st))))
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (br $again))
    (i32.const 0))
)
