// Package host is the host module a Lockstep task imports (module name "lockstep"): it
// keeps the task's tensors behind handles, runs RepOps kernels on them, records every
// operator call in a hash-chained trace, reads content-addressed inputs, and computes the
// checkpoint root of the task's registered state after each step.
//
// The ABI it implements is specified in guest/ABI.md. Every pointer, length, handle,
// shape, dtype and attribute that comes from the guest is validated; a bad call returns a
// negative status, changes nothing, and leaves a message the guest can read with
// last_error. Quotas (Limits) cap live tensor bytes, live handles, trace entries and
// trace bytes per step, and the state blob, each checked before anything is allocated
// (outputBound bounds an operator's allocations from its shapes). Host work is paid for in
// fuel (SetFuel, fuel.go) before it is done.
//
// Apply is the operator dispatch on its own: a pure function of (opcode, attributes,
// input tensors), which is what a referee replays to settle a dispute.
package host
