;; Commits what it reads through WASI: 16 bytes of random_get and both clocks, at init and
;; at every step. If that stream ran on across calls, a run resumed from a checkpoint in a
;; fresh instance would read other values than a continuous run, and its roots would differ.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "lockstep" "state_set_blob" (func $blob (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $commit (result i32)
    (drop (call $random (i32.const 0) (i32.const 16)))
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16)))  ;; realtime
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 24)))  ;; monotonic
    (call $blob (i32.const 0) (i32.const 32)))
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (call $commit))
  (func (export "lockstep_step") (param i64) (result i32) (call $commit))
)
