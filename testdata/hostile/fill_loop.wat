;; Fills its whole 64 MiB memory with memory.fill, again and again: one instruction that
;; does 64 MiB of work. Step n does n fills (the global "done" counts them), so a step
;; given a huge n runs until the host stops it. The meter charges memory.fill one unit per
;; 4 bytes before it runs, so with a fuel budget of F the step must stop with the budget
;; spent after at most F*4/2^26 fills.
(module
  (memory (export "memory") 1024)
  (global $done (export "done") (mut i64) (i64.const 0))
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param $n i64) (result i32)
    (global.set $done (i64.const 0))
    (block $out
      (loop $again
        (br_if $out (i64.ge_u (global.get $done) (local.get $n)))
        (memory.fill (i32.const 0) (i32.wrap_i64 (global.get $done)) (i32.const 0x4000000))
        (global.set $done (i64.add (global.get $done) (i64.const 1)))
        (br $again)))
    (i32.const 0))
)
