;; Makes NaNs whose bits Wasm leaves to the CPU and engine (amd64 gives 0xFFC00000 where
;; arm64 gives 0x7FC00000; wazero's engines propagate payloads differently) and lets them
;; reach everything that is committed: an int32 tensor of the bits, the state blob, a
;; branch on the sign bit, and an operator's float attribute word. After the meter's NaN
;; canonicalization every root is the same on every engine and CPU. The probes run in init,
;; where state is registered; the step changes nothing, so step 1's root commits to them.
(module
  (import "lockstep" "tensor_new" (func $new (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "lockstep" "state_register" (func $register (param i32 i32 i32) (result i32)))
  (import "lockstep" "state_set_blob" (func $blob (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00")   ;; shape [16]
  (data (i32.const 4) "\01\00\00\00")   ;; shape [1]
  (data (i32.const 8) "\00\00\80\3f")   ;; 1.0f
  (data (i32.const 16) "nan")
  (data (i32.const 20) "branch")
  (data (i32.const 28) "scaled")
  (global $zero (mut f32) (f32.const 0))  ;; a global, so no compiler folds the constants
  (func $f32bits (param $at i32) (param $v f32)
    (i32.store (local.get $at) (i32.reinterpret_f32 (local.get $v))))
  (func $f64bits (param $at i32) (param $v f64)
    (i64.store (local.get $at) (i64.reinterpret_f64 (local.get $v))))
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (call $probe))
  (func (export "lockstep_step") (param i64) (result i32) (i32.const 0))
  (func $probe (result i32)
    (local $z f32) (local $h i32)
    (local.set $z (global.get $zero))
    ;; scalar f32: 0/0, sqrt(-1), inf*0, and the sum of two NaNs with different payloads
    (call $f32bits (i32.const 256) (f32.div (local.get $z) (local.get $z)))
    (call $f32bits (i32.const 260) (f32.sqrt (f32.sub (local.get $z) (f32.const 1))))
    (call $f32bits (i32.const 264) (f32.mul (f32.div (f32.const 1) (local.get $z)) (local.get $z)))
    (call $f32bits (i32.const 268) (f32.add (f32.reinterpret_i32 (i32.const 0x7fc00001))
                                            (f32.reinterpret_i32 (i32.const 0xffc00002))))
    ;; f64: 0/0 and a signalling NaN demoted and promoted
    (call $f64bits (i32.const 272) (f64.div (f64.promote_f32 (local.get $z)) (f64.promote_f32 (local.get $z))))
    (call $f32bits (i32.const 280) (f32.demote_f64 (f64.reinterpret_i64 (i64.const 0x7ff0000000000001))))
    (call $f64bits (i32.const 284) (f64.promote_f32 (f32.reinterpret_i32 (i32.const 0xff800001))))
    ;; SIMD: f32x4 0/0 and f64x2 sqrt(-1), and f32.min with a NaN
    (v128.store (i32.const 292)
      (f32x4.div (f32x4.splat (local.get $z)) (f32x4.splat (local.get $z))))
    (call $f64bits (i32.const 308) (f64x2.extract_lane 1
      (f64x2.sqrt (f64x2.splat (f64.sub (f64.promote_f32 (local.get $z)) (f64.const 1))))))
    (call $f32bits (i32.const 316) (f32.min (f32.const 1) (f32.load (i32.const 256))))
    ;; 16 int32 values from 256: the bits, committed as a tensor and as the blob
    (drop (call $new (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 256) (i32.const 64) (i32.const 512)))
    (drop (call $register (i32.const 16) (i32.const 3) (i32.load (i32.const 512))))
    (drop (call $blob (i32.const 256) (i32.const 64)))
    ;; a branch on the sign bit of 0/0 picks the shape of a committed tensor
    (if (i32.lt_s (i32.load (i32.const 256)) (i32.const 0))
      (then (i32.store (i32.const 4) (i32.const 2)))
      (else (i32.store (i32.const 4) (i32.const 3))))
    (drop (call $zeros (i32.const 1) (i32.const 4) (i32.const 1) (i32.const 516)))
    (drop (call $register (i32.const 20) (i32.const 6) (i32.load (i32.const 516))))
    ;; an attribute word: scale [1.0] by 0/0
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $new (i32.const 1) (i32.const 4) (i32.const 1) (i32.const 8) (i32.const 4) (i32.const 520)))
    (i32.store (i32.const 524) (i32.reinterpret_f32 (f32.div (local.get $z) (local.get $z))))
    (drop (call $op (i32.const 12) (i32.const 520) (i32.const 1) (i32.const 524) (i32.const 1)
                    (i32.const 528) (i32.const 1) (i32.const 532)))
    (call $register (i32.const 28) (i32.const 6) (i32.load (i32.const 528))))
)
