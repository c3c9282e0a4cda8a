;; A memory bomb: grows memory 1 MiB at a time until the limit refuses, then traps.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (loop $grow
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1))
        (then unreachable))
      (br $grow))
    (i32.const 0))
)
