;; Multiplies two 512 x 512 matrices (opcode 1) again and again, freeing each product: one
;; host call of 134 million multiply-adds per iteration for a handful of guest instructions.
;; Step n does n products (the global "done" counts them), so a step given a huge n runs
;; until the host stops it. The host charges an operator for its work before it runs it (at
;; least one unit per 32 multiply-adds, guest/ABI.md), so with a fuel budget of F the step
;; must stop with the budget spent after at most F*32/512^3 products.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_free" (func $free (param i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $done (export "done") (mut i64) (i64.const 0))
  (data (i32.const 0) "\00\02\00\00\00\02\00\00")   ;; shape [512, 512]
  (data (i32.const 32) "\00\00\00\00\00\00\00\00")  ;; matmul attributes: no transposes
  ;; 16, 20: the operands' handles; 48: the product's handle; 52: the output count
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param $n i64) (result i32)
    (local $st i32)
    (global.set $done (i64.const 0))
    (local.set $st (call $zeros (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))
    (if (local.get $st) (then (return (local.get $st))))
    (local.set $st (call $zeros (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 20)))
    (if (local.get $st) (then (return (local.get $st))))
    (block $out
      (loop $again
        (br_if $out (i64.ge_u (global.get $done) (local.get $n)))
        (local.set $st (call $op (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 32) (i32.const 2)
                                 (i32.const 48) (i32.const 1) (i32.const 52)))
        (if (local.get $st) (then (return (local.get $st))))
        (local.set $st (call $free (i32.load (i32.const 48))))
        (if (local.get $st) (then (return (local.get $st))))
        (global.set $done (i64.add (global.get $done) (i64.const 1)))
        (br $again)))
    (i32.const 0))
)
