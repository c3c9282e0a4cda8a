// Package guest is the Go SDK for writing Lockstep training tasks: tensors that live in
// the host, reverse-mode autograd whose every backward step is a traced host operator
// (Concat and Split among the operators), layers (Linear, MLP, Embedding, LayerNorm,
// causal self-attention), losses (CrossEntropy, MSE, BCEWithLogits) and the Accuracy
// metric, optimizers (SGD with momentum, AdamW, gradient clipping), initialisation from
// the RepOps random generator, data loaders with seeded shuffling (Loader for int32
// labels, LoaderF32 for float32 targets), data preparation for Init (HoldOut for a
// seeded train/test split, Rows, Standardizer), and state registration for checkpoints.
//
// A task implements Task (and optionally Evaluator) and registers itself:
//
//	type task struct {
//		mlp *guest.MLP
//		opt *guest.AdamW
//		data *guest.Loader
//	}
//
//	func (t *task) Init(seed uint64) error {
//		r := &guest.RNG{Seed: seed}
//		t.mlp = guest.NewMLP("mlp", []int{64, 128, 10}, guest.Relu, r)
//		t.opt = guest.NewAdamW("adamw", guest.Params(), guest.AdamW{LR: 3e-3})
//		t.data = guest.NewLoader("train", features, labels, 64, seed)
//		return guest.Err()
//	}
//
//	func (t *task) Step(step uint64) error {
//		x, y := t.data.Next()
//		loss := guest.CrossEntropy(t.mlp.Forward(x), y)
//		guest.Backward(loss)
//		t.opt.Step()
//		guest.Metric("loss", float64(loss.Item()))
//		return guest.Err()
//	}
//
//	func init() { guest.Register(&task{}) }
//
// For generation and reinforcement learning there are SampleTokens (Gumbel-max sampling
// from logits), TokenLogProbs and Assign (new values for a state tensor); package
// guest/rl builds RL swarm tasks on them (guest/ABI.md, "RL tasks").
//
// Built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared the package exports the ABI
// functions (guest/ABI.md) and calls the registered task. Built natively, the same task
// runs under guest/native on the same host code, so go test can check it and compare it
// with the Wasm build bit for bit. docs/task-authoring.md walks through both examples.
//
// Errors are sticky: the first failure is kept, later operations do nothing, and Err
// returns it; Step should return guest.Err(). A failed operator names its operands'
// shapes, and an error inside a layer (its constructor, Forward, or a backward step it
// recorded) names the layer, as in `layer "mlp.1": matmul([64 128], [32 10]): ...`.
// Every tensor made during a call is freed when the call ends, except parameters,
// state, and tensors kept with Keep.
//
// While developing, run with a small fuel budget (lockstep run --fuel 1000000000; see
// guest/ABI.md, Fuel), so that a loop that never ends stops in about a second instead of
// minutes.
//
// Keep float arithmetic in operators. A task's own float math (a learning-rate schedule,
// say) is fine in Wasm but may be fused into FMA by a native arm64 build; round every
// product with float32(a*b) as kernels/SPEC.md explains, or compute it in integers.
//
// A step must be a function of the previous checkpoint alone (guest/ABI.md, "What a step
// means"): register every parameter and buffer in Init, each under its own name (State
// refuses a name given twice), keep integers that change between steps in a Counter, not
// in a Go variable, and derive a step's randomness from the step (RNG{Seed: seed,
// Stream: s, ...}), not from an RNG whose Offset advanced in earlier steps. `lockstep run
// --check-restore N` finds what breaks this.
package guest
