// Package runtime loads, admits and runs Lockstep task modules in a deterministic wazero
// sandbox.
//
// Admission (Load) rejects, with an error naming the problem: oversized and malformed
// modules, features the sandbox does not run (threads, exceptions, relaxed SIMD), imports
// outside the allowlist (a documented subset of WASI preview 1 and the "lockstep" host
// module), missing or mistyped exports, and, at instantiation, a wrong ABI version. An
// admitted module is metered: it counts its own progress in fuel (meter.go), and every
// export call runs on a fixed budget, so runaway code stops at the same point on every
// machine.
//
// The sandbox is deterministic by construction: wazero's fake clocks, a random source
// seeded from the task seed, no threads, no filesystem (inputs arrive only through the
// host module, content-addressed), a memory limit, and stdout/stderr routed to the log
// side channel. Both wazero engines are available; compiled code is cached on disk keyed
// by module hash and wazero version.
package runtime
