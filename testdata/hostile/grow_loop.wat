;; Grows its memory one page (64 KiB) at a time until the memory limit refuses, then
;; returns. The meter charges memory.grow 16,384 units per page, the price of filling the
;; page, but the engine grows a memory by reallocating it and copying what it holds, so the
;; host's work per page grown rises with the memory's size. Fuel must still pay for the
;; host's work: at least one unit per byte the host allocates (host/fuel.go's rate).
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (i32.const 0))
)
