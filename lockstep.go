// Package lockstep is the root of the Lockstep module: a WebAssembly-sandboxed compute
// runtime for verifiable, decentralized machine-learning training. It holds no code of its
// own, only the tests that keep the packages in their places (layout_test.go).
//
// The packages, bottom up:
//
//	kernels       RepOps profile R0: reproducible float32 operators (SPEC.md)
//	host          the host module tasks import: handles, operators, trace, checkpoints
//	runtime       the wazero sandbox: admission, fuel and depth meter, tasks
//	cmd/lockstep  the command-line node
//
// guest/ABI.md specifies the task ABI. Planned, per DESIGN.md: guest (the Go SDK),
// ledger (Badger store), verde (the dispute game), p2p (libp2p swarm).
package lockstep
