;; Makes host calls that must fail, each of which would change something if it ran even in
;; part: clip_grad_norm of a registered tensor with no room for its output (out_cap 0),
;; tensor_info with a shape pointer outside memory, a matmul the kernel rejects, a concat
;; past the tensor quota, an unknown opcode, an sgd that names one handle twice, a
;; tensor_free_many of one handle twice, a tensor_new whose data is short, a tensor_zeros
;; past the quota, registering a dead handle, a blob outside memory, a missing input and
;; freeing a registered tensor. The guest checks every status and that nothing it can see
;; changed (the clipped tensor's values, the output words, dtype_out and rank_out, that the
;; tensor freed twice is still live) and returns 100 + the number of the first check that
;; fails. Then it makes one tensor and commits its handle number in the blob, so that the
;; root also shows whether a failed call used up a handle.
;;
;; An odd seed makes the failing calls, an even seed does not: the host must give both the
;; same root after every step (the trace, the state, the blob and the handles unchanged).
(module
  (import "lockstep" "tensor_new" (func $new (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_zeros" (func $zeros (param i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_read" (func $read (param i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_info" (func $info (param i32 i32 i32 i32 i32) (result i32)))
  (import "lockstep" "tensor_free" (func $free (param i32) (result i32)))
  (import "lockstep" "tensor_free_many" (func $free_many (param i32 i32) (result i32)))
  (import "lockstep" "op" (func $op (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "lockstep" "state_register" (func $register (param i32 i32 i32) (result i32)))
  (import "lockstep" "state_set_blob" (func $blob (param i32 i32) (result i32)))
  (import "lockstep" "input_read" (func $input_read (param i32 i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $noisy (mut i32) (i32.const 0))
  (data (i32.const 0) "\04\00\00\00")                 ;; shape [4]
  (data (i32.const 4) "\02\00\00\00")                 ;; shape [2]
  (data (i32.const 8) "\00\00\10\00")                 ;; shape [1048576]: 4 MiB
  (data (i32.const 12) "\00\00\00\10")                ;; shape [268435456]: 1 GiB
  (data (i32.const 16) "\00\00\40\40\00\00\80\40\00\00\00\00\00\00\00\00")  ;; p = [3, 4, 0, 0]
  (data (i32.const 32) "\00\00\80\3f")                ;; max_norm 1.0 (p's norm is 5)
  (data (i32.const 36) "\00\00\00\40")                ;; scale 2.0
  ;; 40: sgd attributes, 48: matmul attributes, 56: concat axis: all zero words
  (data (i32.const 64) "p")
  (data (i32.const 72) "q")
  (data (i32.const 80) "big")
  (data (i32.const 96) "ghost")
  (data (i32.const 104) "nope")
  ;; 128: p, 132: q, 136: big, 140: t (live, never registered)
  ;; 144: an output handle, 148: an output count, 176: dtype_out, 180: rank_out,
  ;; 160: a 16-byte read buffer, 184: a shape buffer, 240: the blob
  ;; 200: [p], 208: [p, q], 216: [p, q, p], 232: [t, t], 1024: 4,096 x [big]
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param $seed i64) (result i32)
    (local $i i32)
    (global.set $noisy (i32.wrap_i64 (i64.and (local.get $seed) (i64.const 1))))
    (if (call $new (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 16) (i32.const 128))
      (then (return (i32.const 1))))
    (if (call $zeros (i32.const 1) (i32.const 4) (i32.const 1) (i32.const 132)) (then (return (i32.const 2))))
    (if (call $zeros (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 136)) (then (return (i32.const 3))))
    (if (call $zeros (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 140)) (then (return (i32.const 4))))
    (if (call $register (i32.const 64) (i32.const 1) (i32.load (i32.const 128))) (then (return (i32.const 5))))
    (if (call $register (i32.const 72) (i32.const 1) (i32.load (i32.const 132))) (then (return (i32.const 6))))
    (if (call $register (i32.const 80) (i32.const 3) (i32.load (i32.const 136))) (then (return (i32.const 7))))
    (i32.store (i32.const 200) (i32.load (i32.const 128)))
    (i32.store (i32.const 208) (i32.load (i32.const 128)))
    (i32.store (i32.const 212) (i32.load (i32.const 132)))
    (i32.store (i32.const 216) (i32.load (i32.const 128)))
    (i32.store (i32.const 220) (i32.load (i32.const 132)))
    (i32.store (i32.const 224) (i32.load (i32.const 128)))
    (i32.store (i32.const 232) (i32.load (i32.const 140)))
    (i32.store (i32.const 236) (i32.load (i32.const 140)))
    (loop $fill
      (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2))) (i32.load (i32.const 136)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 4096))))
    (i32.const 0))
  ;; $untouched checks that no call wrote the output words at 144 and 148.
  (func $untouched (result i32)
    (i32.and (i32.eq (i32.load (i32.const 144)) (i32.const 0xDEADBEEF))
             (i32.eq (i32.load (i32.const 148)) (i32.const 0xDEADBEEF))))
  (func $fail (result i32)
    (i32.store (i32.const 144) (i32.const 0xDEADBEEF))
    (i32.store (i32.const 148) (i32.const 0xDEADBEEF))
    (i32.store (i32.const 176) (i32.const 0xDEADBEEF))
    (i32.store (i32.const 180) (i32.const 0xDEADBEEF))
    ;; 1: clip_grad_norm with no room for the norm: refused before it clips
    (if (i32.ne (call $op (i32.const 58) (i32.const 200) (i32.const 1) (i32.const 32) (i32.const 1)
                          (i32.const 144) (i32.const 0) (i32.const 148)) (i32.const -1))
      (then (return (i32.const 101))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 102))))
    (if (call $read (i32.load (i32.const 128)) (i32.const 160) (i32.const 16)) (then (return (i32.const 103))))
    (if (i32.or (i64.ne (i64.load (i32.const 160)) (i64.load (i32.const 16)))
                (i64.ne (i64.load (i32.const 168)) (i64.load (i32.const 24))))
      (then (return (i32.const 104))))  ;; p was clipped
    ;; 2: tensor_info with the shape outside memory: dtype_out and rank_out unwritten
    (if (i32.ne (call $info (i32.load (i32.const 128)) (i32.const 176) (i32.const 0xFFFFFFF0) (i32.const 8) (i32.const 180))
                (i32.const -1))
      (then (return (i32.const 105))))
    (if (i32.or (i32.ne (i32.load (i32.const 176)) (i32.const 0xDEADBEEF))
                (i32.ne (i32.load (i32.const 180)) (i32.const 0xDEADBEEF)))
      (then (return (i32.const 106))))
    ;; 3: matmul of [4] by [2]: the kernel rejects vectors, after the host reserved and paid
    (if (i32.ne (call $op (i32.const 1) (i32.const 208) (i32.const 2) (i32.const 48) (i32.const 2)
                          (i32.const 144) (i32.const 1) (i32.const 148)) (i32.const -4))
      (then (return (i32.const 107))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 108))))
    ;; 4: concat of 4,096 copies of 4 MiB: past the tensor quota
    (if (i32.ne (call $op (i32.const 48) (i32.const 1024) (i32.const 4096) (i32.const 56) (i32.const 1)
                          (i32.const 144) (i32.const 1) (i32.const 148)) (i32.const -3))
      (then (return (i32.const 109))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 110))))
    ;; 5: an opcode no operator has
    (if (i32.ne (call $op (i32.const 999) (i32.const 200) (i32.const 1) (i32.const 32) (i32.const 1)
                          (i32.const 144) (i32.const 1) (i32.const 148)) (i32.const -1))
      (then (return (i32.const 111))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 112))))
    ;; 6: sgd with p and v the same handle
    (if (i32.ne (call $op (i32.const 56) (i32.const 216) (i32.const 3) (i32.const 40) (i32.const 3)
                          (i32.const 144) (i32.const 0) (i32.const 148)) (i32.const -1))
      (then (return (i32.const 113))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 114))))
    ;; 7: tensor_free_many of t twice: frees neither
    (if (i32.ne (call $free_many (i32.const 232) (i32.const 2)) (i32.const -1)) (then (return (i32.const 115))))
    (if (call $info (i32.load (i32.const 140)) (i32.const 176) (i32.const 184) (i32.const 8) (i32.const 180))
      (then (return (i32.const 116))))  ;; t is gone
    ;; 8: tensor_new of [4] with 12 bytes of data
    (if (i32.ne (call $new (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 12) (i32.const 144))
                (i32.const -1))
      (then (return (i32.const 117))))
    ;; 9: tensor_zeros of 1 GiB with 4 MiB live
    (if (i32.ne (call $zeros (i32.const 1) (i32.const 12) (i32.const 1) (i32.const 144)) (i32.const -3))
      (then (return (i32.const 118))))
    (if (i32.eqz (call $untouched)) (then (return (i32.const 119))))
    ;; 10: register a handle that was never given out
    (if (i32.ne (call $register (i32.const 96) (i32.const 5) (i32.const 999999)) (i32.const -2))
      (then (return (i32.const 120))))
    ;; 11: a blob outside memory
    (if (i32.ne (call $blob (i32.const 0xFFFFFF00) (i32.const 4096)) (i32.const -1))
      (then (return (i32.const 121))))
    ;; 12: an input the task was not given
    (if (i32.ne (call $input_read (i32.const 104) (i32.const 4) (i64.const 0) (i32.const 160) (i32.const 4))
                (i32.const -6))
      (then (return (i32.const 122))))
    ;; 13: free a registered tensor
    (if (i32.ne (call $free (i32.load (i32.const 128))) (i32.const -5)) (then (return (i32.const 123))))
    (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (local $st i32)
    (if (global.get $noisy)
      (then
        (local.set $st (call $fail))
        (if (local.get $st) (then (return (local.get $st))))))
    ;; scaled = 2p; its handle number goes into the blob (state is registered in init only)
    (if (call $op (i32.const 12) (i32.const 200) (i32.const 1) (i32.const 36) (i32.const 1)
                  (i32.const 144) (i32.const 1) (i32.const 148))
      (then (return (i32.const 1))))
    (i32.store (i32.const 240) (i32.load (i32.const 144)))
    (call $blob (i32.const 240) (i32.const 4)))
)
