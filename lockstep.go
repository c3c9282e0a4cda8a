// Package lockstep is the root of the Lockstep module: a WebAssembly-sandboxed compute
// runtime for verifiable, decentralized machine-learning training. It holds no code of its
// own, only the tests that keep the packages in their places (layout_test.go).
//
// The packages, bottom up:
//
//	kernels       RepOps profile R0: reproducible float32 operators (SPEC.md)
//	host          the host module tasks import: handles, operators, trace, checkpoints
//	runtime       the wazero sandbox: admission, fuel and depth meter, tasks
//	guest         the Go SDK task authors write against (guest/ABI.md is the ABI)
//	guest/native  runs a task natively on the same host code
//	ledger        signed commitments and checkpoints in Badger; resume, export
//	ledger/runner the loop that runs a task and commits its steps; replays them
//	ledger/verde  the dispute game and its rulings
//	ledger/chain  the coordinator contract, an embedded chain, the outbox to a chain
//	p2p           libp2p: identity, host, gossip, blobs, discovery
//	p2p/codec     compressed model updates (top-k, int8 blocks, zstd), the same everywhere
//	p2p/diloco    a member's DiLoCo rounds; the outer step as a sandboxed task (outer/)
//	p2p/rl        a member's RL rounds: rollouts, scores, the batch, a GRPO step
//	p2p/swarm     members that train together over the network and dispute each other
//	cmd/lockstep  the command-line node
package lockstep
