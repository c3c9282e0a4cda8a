// Package runtime loads, admits and runs Lockstep task modules in a deterministic wazero
// sandbox.
//
// Admission (Load) rejects, with an error naming the problem: modules past the admission
// limits (limits.go; every declared count is checked against its bytes before anything is
// allocated, wasm.go), malformed modules, features the sandbox does not run (threads,
// exceptions, tail calls, relaxed SIMD, table.grow), imports outside the allowlist (a
// documented subset of WASI preview 1 and the "lockstep" host module), missing or mistyped
// exports, and, at instantiation, a wrong ABI version. An admitted module is metered
// (meter.go): it pays fuel for every instruction it runs, for its locals, for the bytes its
// bulk operations touch and the memory it grows, counts its stack in bytes, and canonicalizes every NaN its float
// instructions produce, so runaway code stops at the same point on every machine and no
// NaN payload reaches a root.
//
// The sandbox is deterministic by construction: fake clocks and a random source that are
// functions of the task seed and the call under way (wasi.go), no threads, no filesystem
// (inputs arrive only through the host module, content-addressed), a memory limit, and stdout/stderr routed to the log
// side channel. Both wazero engines are available and compute the same bits; a module
// whose functions would cost the compiler too much (MaxCompilerWork) runs on the
// interpreter, and Module.Engine says which. Compiled code is cached on disk keyed by
// module hash and wazero version.
package runtime
