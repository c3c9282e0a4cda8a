;; Declares 16 tables of 2^17 entries: 2^21 entries in all, twice the limit for all tables
;; together (2^20), which no single table passes. Believed, each instance would allocate
;; 16 MiB of table entries. The host must refuse the module at load, before anything is
;; allocated, with an admission-limit error (ErrLimit) that names the total.
(module
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (table 131072 funcref)
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
  (func (export "lockstep_step") (param i64) (result i32) (i32.const 0))
)
