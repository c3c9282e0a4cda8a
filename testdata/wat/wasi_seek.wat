;; Commits what fd_seek answers (wasi-libc's stdio imports it; printf never seeks) for each
;; of stdin, stdout, stderr and fd 3, which is not open: the errno as an i32, then the
;; 8-byte result word, which starts as 0xAA bytes and stays so if nothing was written. A
;; test pins the bytes (runtime/task_test.go): they are wazero's pure Go answers, the same
;; on every platform and engine.
(module
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "lockstep" "state_set_blob" (func $blob (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $probe (param $fd i32)
    (local $at i32)
    (local.set $at (i32.mul (local.get $fd) (i32.const 12)))
    (i64.store (i32.add (local.get $at) (i32.const 4)) (i64.const 0xAAAAAAAAAAAAAAAA))
    (i32.store (local.get $at)
      (call $seek (local.get $fd) (i64.const 0) (i32.const 1) (i32.add (local.get $at) (i32.const 4)))))
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32)
    (call $probe (i32.const 0))
    (call $probe (i32.const 1))
    (call $probe (i32.const 2))
    (call $probe (i32.const 3))
    (call $blob (i32.const 0) (i32.const 48)))
  (func (export "lockstep_step") (param i64) (result i32) (i32.const 0))
)
