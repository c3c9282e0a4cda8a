;; A guest that says why it fails: init writes a line to stderr and returns status 1; step
;; writes to stdout, leaves a line without its newline, and traps. The host must pass what
;; the guest said into the error (runtime/task_test.go).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "my own error: row 7 has 3 columns, want 65\n")
  (data (i32.const 128) "about to fail")
  (func $say (param $fd i32) (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32)
    (if (i64.eq (local.get 0) (i64.const 1))
      (then (call $say (i32.const 2) (i32.const 64) (i32.const 43)) (return (i32.const 1))))
    (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (call $say (i32.const 1) (i32.const 128) (i32.const 13))
    unreachable)
)
