;; Has a start function: it would run during instantiation, before the host sets a fuel
;; budget, so the sandbox refuses it.
(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (start $spin)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32) (i32.const 0))
)
