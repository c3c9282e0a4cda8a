;; Registers one tensor under twelve names, in no order, and tries to free it (tensor_free,
;; then tensor_free_many), which must fail because it is state; then asks for an input it
;; was not given. It copies the three error messages (last_error) into the blob, so the
;; root commits to their text. A message built by ranging over the host's maps (the names a
;; handle is registered under, the inputs given) would differ from run to run. The host
;; must give every run, on every engine, the same messages and root.
(module
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_free" (func $free (param i32) (result i32)))
  (import "lockstep" "tensor_free_many" (func $free_many (param i32 i32) (result i32)))
  (import "lockstep" "state_register" (func $register (param i32 i32 i32) (result i32)))
  (import "lockstep" "state_set_blob" (func $blob (param i32 i32) (result i32)))
  (import "lockstep" "input_size" (func $input_size (param i32 i32 i32) (result i32)))
  (import "lockstep" "last_error" (func $last_error (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\02\00\00\00")   ;; shape [2]
  (data (i32.const 64) "missing")
  ;; 8: the tensor's handle (also a one-handle list); 16: an input size
  ;; 128: twelve names, 16 bytes apart, each with its length at the start
  (data (i32.const 128) "\04\00\00\00zeta")
  (data (i32.const 144) "\05\00\00\00omega")
  (data (i32.const 160) "\02\00\00\00mu")
  (data (i32.const 176) "\05\00\00\00kappa")
  (data (i32.const 192) "\05\00\00\00alpha")
  (data (i32.const 208) "\03\00\00\00tau")
  (data (i32.const 224) "\05\00\00\00delta")
  (data (i32.const 240) "\04\00\00\00beta")
  (data (i32.const 256) "\05\00\00\00sigma")
  (data (i32.const 272) "\03\00\00\00eta")
  (data (i32.const 288) "\05\00\00\00gamma")
  (data (i32.const 304) "\02\00\00\00pi")
  ;; 1024: the blob, each message as its length (u32) and bytes
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32)
    (local $at i32)
    (if (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (then (return (i32.const 1))))
    (local.set $at (i32.const 128))
    (loop $names
      (if (call $register (i32.add (local.get $at) (i32.const 4)) (i32.load (local.get $at)) (i32.load (i32.const 8)))
        (then (return (i32.const 2))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $names (i32.lt_u (local.get $at) (i32.const 320))))
    (i32.const 0))
  ;; $keep appends the last error at $at (its length, then its text) and returns where the
  ;; next one goes.
  (func $keep (param $at i32) (result i32)
    (if (call $last_error (i32.add (local.get $at) (i32.const 4)) (i32.const 1024) (local.get $at))
      (then unreachable))
    (i32.add (local.get $at) (i32.add (i32.const 4) (i32.load (local.get $at)))))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $at i32)
    (local.set $at (i32.const 1024))
    (if (i32.ne (call $free (i32.load (i32.const 8))) (i32.const -5)) (then (return (i32.const 3))))
    (local.set $at (call $keep (local.get $at)))
    (if (i32.ne (call $free_many (i32.const 8) (i32.const 1)) (i32.const -5)) (then (return (i32.const 4))))
    (local.set $at (call $keep (local.get $at)))
    (if (i32.ne (call $input_size (i32.const 64) (i32.const 7) (i32.const 16)) (i32.const -6)) (then (return (i32.const 5))))
    (local.set $at (call $keep (local.get $at)))
    (call $blob (i32.const 1024) (i32.sub (local.get $at) (i32.const 1024))))
)
