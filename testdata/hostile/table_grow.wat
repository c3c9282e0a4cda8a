;; Grows its table by 2^20 entries at every step: tables would have no size fixed at load.
;; The host must refuse the module at load (table.grow is not admitted), with an error that
;; names the instruction.
(module
  (table 1 funcref)
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32)
    (drop (table.grow 0 (ref.null func) (i32.const 0x100000)))
    (i32.const 0))
)
