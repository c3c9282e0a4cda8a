;; Asks the host for an outer product: [40000, 1] x [1, 40000] is 1.6e9 elements (6.4 GB)
;; from two 160 KB inputs, under the kernels' element limit but far over the byte quota.
;; The host must refuse before allocating.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\40\9c\00\00\01\00\00\00")   ;; shape [40000, 1]
  (data (i32.const 8) "\01\00\00\00\40\9c\00\00")   ;; shape [1, 40000]
  (data (i32.const 32) "\00\00\00\00\00\00\00\00")  ;; matmul attributes: no transposes
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (drop (call $zeros (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))  ;; a -> 16
    (drop (call $zeros (i32.const 1) (i32.const 8) (i32.const 2) (i32.const 20)))  ;; b -> 20
    (call $op (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 32) (i32.const 2)
              (i32.const 48) (i32.const 1) (i32.const 56)))
)
