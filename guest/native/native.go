// Package native runs a guest task natively, in this process, on the same host session
// code the sandbox uses: the task's operators go through host.Session, so its trace and
// checkpoint roots are exactly those of its Wasm build. Task authors use it to test and
// debug with go test; the tests use it to prove Wasm and native give the same bits.
package native

import (
	"fmt"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/rl"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// backend adapts a host session to the SDK's Backend.
type backend struct{ s *host.Session }

var _ guest.Backend = backend{}

func (b backend) NewTensor(dtype guest.DType, shape []int, data []byte) (uint32, error) {
	return b.s.NewTensor(kernels.DType(dtype), shape, data)
}

func (b backend) Zeros(dtype guest.DType, shape []int) (uint32, error) {
	return b.s.Zeros(kernels.DType(dtype), shape)
}

func (b backend) Read(h uint32, buf []byte) error {
	if err := b.s.ReadTensorInto(h, buf); err != nil {
		return fmt.Errorf("tensor_read: %w", err)
	}
	return nil
}

func (b backend) Info(h uint32) (guest.DType, []int, error) {
	t, err := b.s.Tensor(h)
	if err != nil {
		return 0, nil, err
	}
	return guest.DType(t.DType()), t.Shape(), nil
}

func (b backend) Free(h uint32) error        { return b.s.Free(h) }
func (b backend) FreeMany(hs []uint32) error { return b.s.FreeMany(hs) }

func (b backend) Op(code guest.Opcode, attrs []uint32, in []uint32) ([]uint32, error) {
	return b.s.Op(host.Opcode(code), attrs, in)
}

func (b backend) Register(name string, h uint32) error { return b.s.Register(name, h) }
func (b backend) SetBlob(p []byte) error               { return b.s.SetBlob(p) }
func (b backend) Blob() ([]byte, error)                { return b.s.Blob(), nil }
func (b backend) InputSize(name string) (int64, error) { return b.s.InputSize(name) }
func (b backend) Metric(name string, v float64) error  { return b.s.Metric(name, v) }
func (b backend) Output(p []byte) error                { return b.s.SetOutput(p) }
func (b backend) Log(line string)                      { b.s.Log(line) }

func (b backend) InputRead(name string, offset int64, buf []byte) error {
	data, err := b.s.InputRead(name, offset, len(buf))
	if err != nil {
		return err
	}
	copy(buf, data)
	return nil
}

// Task is a guest task running natively.
type Task struct {
	task    guest.Task
	seed    uint64
	session *host.Session
	b       backend
}

// New starts task natively with a fresh session.
func New(task guest.Task, seed uint64, inputs []host.Input, limits host.Limits, logf func(string)) *Task {
	s := host.NewSession(limits, inputs, logf)
	return &Task{task: task, seed: seed, session: s, b: backend{s}}
}

// Session returns the task's host session.
func (t *Task) Session() *host.Session { return t.session }

// Init runs the task's Init and returns the checkpoint of step 0.
func (t *Task) Init() (*host.Checkpoint, error) {
	t.session.BeginStep(0)
	if err := guest.NativeInit(t.b, t.task, t.seed); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return t.session.Checkpoint(), nil
}

// Step runs step s (from 1) and returns its checkpoint.
func (t *Task) Step(s uint64) (*host.Checkpoint, error) {
	t.session.BeginStep(s)
	if err := guest.NativeStep(t.b, t.task, s); err != nil {
		return nil, fmt.Errorf("step %d: %w", s, err)
	}
	return t.session.Checkpoint(), nil
}

// Eval runs the task's Eval, if any; its metrics are in Session().Metrics().
func (t *Task) Eval() error {
	t.session.BeginStep(host.EvalStep)
	return guest.NativeEval(t.b, t.task)
}

// Restore loads a checkpoint (after Init) and lets the task read its blob back.
func (t *Task) Restore(cp *host.Checkpoint) error {
	if !cp.Verify() {
		return fmt.Errorf("%w: checkpoint of step %d does not match its root", host.ErrState, cp.Step)
	}
	if err := t.session.Restore(cp); err != nil {
		return err
	}
	return guest.NativeRestore(t.b, t.task)
}

// Output returns what the last call handed the host with guest.Output (nil: nothing).
func (t *Task) Output() []byte { return t.session.Output() }

// rlTask returns the task as an RL task, or an error naming the call.
func (t *Task) rlTask(call string) (rl.Task, error) {
	r, ok := t.task.(rl.Task)
	if !ok {
		return nil, fmt.Errorf("%s: the task is not an rl.Task", call)
	}
	return r, nil
}

// Generate runs the RL task's generate call as lockstep_rl_generate(step) would (the host
// calls it with step 1, after Init and Restore, with the rl/round input), and returns the
// checkpoint, whose rl/rollouts holds the rows.
func (t *Task) Generate(step uint64) (*host.Checkpoint, error) {
	r, err := t.rlTask("generate")
	if err != nil {
		return nil, err
	}
	t.session.BeginStep(step)
	if err := rl.NativeGenerate(t.b, r); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return t.session.Checkpoint(), nil
}

// Score runs the RL task's score call as lockstep_rl_score(step) would (with the rl/round
// and rl/batch inputs) and returns the rewards it handed over.
func (t *Task) Score(step uint64) ([]float32, error) {
	r, err := t.rlTask("score")
	if err != nil {
		return nil, err
	}
	t.session.BeginStep(step)
	if err := rl.NativeScore(t.b, r); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return rl.DecodeRewards(t.session.Output())
}

// Train runs the RL task's train call as lockstep_rl_train(step) would (with the rl/round
// and rl/batch inputs) and returns the checkpoint.
func (t *Task) Train(step uint64) (*host.Checkpoint, error) {
	r, err := t.rlTask("train")
	if err != nil {
		return nil, err
	}
	t.session.BeginStep(step)
	if err := rl.NativeTrain(t.b, r); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return t.session.Checkpoint(), nil
}
