// Package escape is a test fixture: a small linear regression that, chosen by its seed,
// keeps state outside its checkpoint in the ways a task author can by mistake. A step
// must be a function of the checkpoint before it alone; the host refuses what it can see
// at once (a name given twice, state registered in a step) and the restore check
// (lockstep run --check-restore, runtime.Task.CheckRestore) catches the rest.
//
//	seed 1   honest: every step's randomness derived from the step
//	seed 2   a step counter kept in a Go variable instead of guest.Counter
//	seed 3   two layers given the same name
//	seed 4   a tensor kept with Keep() and changed every step, never registered
//	seed 5   an RNG whose offset advances across steps in a Go variable
//	seed 6   a parameter created in a step
//
// Its Wasm build is testdata/tasks/escape/escape.wasm:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o testdata/tasks/escape/escape.wasm ./testdata/tasks/escape/wasm
package escape

import "github.com/lockstep-ml/lockstep/guest"

// The seeds that choose each behaviour.
const (
	Honest = iota + 1
	GoCounter
	SameName
	Unregistered
	GoRNG
	ParamInStep
)

// Task is the fixture.
type Task struct {
	mode  uint64
	lin   *guest.Linear
	opt   *guest.SGD
	x, y  *guest.Tensor
	steps uint64        // GoCounter
	scale *guest.Tensor // Unregistered
	rng   guest.RNG     // GoRNG
}

func init() { guest.Register(&Task{}) }

// Init makes the data (y = x·w* for a random w*) and the model.
func (t *Task) Init(seed uint64) error {
	t.mode, t.steps = seed, 0
	r := &guest.RNG{Seed: 7, Stream: 1}
	t.x = r.Normal(0, 1, 32, 4).Keep()
	t.y = guest.MatMul(t.x, r.Normal(0, 1, 4, 1)).Keep()
	t.lin = guest.NewLinear("lin", 4, 1, r)
	switch seed {
	case SameName:
		guest.NewLinear("lin", 4, 1, r)
	case Unregistered:
		t.scale = guest.FromFloat32s([]float32{1}, 1).Keep()
	}
	t.opt = guest.NewSGD("sgd", guest.Params(), guest.SGD{LR: 0.05})
	t.rng = guest.RNG{Seed: seed, Stream: 2}
	return guest.Err()
}

// Step takes one gradient step on the squared error of noisy inputs.
func (t *Task) Step(step uint64) error {
	rng := guest.RNG{Seed: t.mode, Stream: 2, Offset: step << 20} // honest: from the step
	if t.mode == GoRNG {
		rng = t.rng
	}
	x := guest.Add(t.x, rng.Normal(0, 0.01, 32, 4))
	if t.mode == GoRNG {
		t.rng = rng
	}
	pred := t.lin.Forward(x)
	switch t.mode {
	case GoCounter: // a learning-rate decay driven by a Go variable
		t.steps++
		pred = guest.Scale(pred, 1+1/float32(t.steps))
	case Unregistered:
		pred = guest.Mul(pred, t.scale)
		t.scale = guest.Scale(t.scale, 0.99).Keep() // the old one stays live: a fixture
	case ParamInStep:
		if step == 3 {
			guest.Param("late", guest.Zeros(1))
		}
	}
	d := guest.Sub(pred, t.y)
	loss := guest.Mean(guest.Mean(guest.Square(d), 1), 0)
	guest.Backward(loss)
	t.opt.Step()
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}
