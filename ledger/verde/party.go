package verde

import (
	"context"
	"fmt"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger/runner"
)

// RunParty answers for a run in a node's ledger, recomputing what it was not asked to
// keep: roots between committed steps, a step's trace, an entry's input tensors. It
// answers truthfully about the run its node computed.
type RunParty struct {
	r      *runner.Replayer
	traces map[uint64]*host.Trace
	// Recomputed counts the steps the party ran to answer (its cost of the dispute).
	Recomputed uint64
	// Fault, if set, changes operator calls in every step the party recomputes: for tests
	// of the game, a party that computes something else and answers consistently about it.
	// No flag or input reaches it.
	Fault func(*host.OpEvent)
	// StepFault and InputFault, if set, are the session's step and input hooks in every
	// instance the party starts (host.Session.SetStepHook, SetInputHook): tests only.
	StepFault  func(sess *host.Session, step uint64)
	InputFault func(name string, offset int64, b []byte) []byte
	capture    func(*host.OpEvent)
}

// NewRunParty returns a party answering from r; it watches the operator calls of every
// instance r starts.
func NewRunParty(r *runner.Replayer) *RunParty {
	p := &RunParty{r: r, traces: map[uint64]*host.Trace{}}
	r.OnSession(func(sess *host.Session) {
		sess.SetOpHook(p.onOp)
		if p.StepFault != nil {
			sess.SetStepHook(func(step uint64) { p.StepFault(sess, step) })
		}
		sess.SetInputHook(p.InputFault)
	})
	return p
}

func (p *RunParty) onOp(ev *host.OpEvent) {
	if p.Fault != nil {
		p.Fault(ev)
	}
	if p.capture != nil {
		p.capture(ev)
	}
}

func (p *RunParty) Roots(ctx context.Context, steps []uint64) ([][32]byte, error) {
	out := make([][32]byte, len(steps))
	for i, s := range steps {
		if rec, ok := p.r.Record(s); ok {
			out[i] = rec.Root
			continue
		}
		cp, _, ran, err := p.r.Step(ctx, s, false)
		if err != nil {
			return nil, err
		}
		p.Recomputed += ran
		out[i] = cp.Root
	}
	return out, nil
}

func (p *RunParty) trace(ctx context.Context, s uint64) (*host.Trace, error) {
	if tr, ok := p.traces[s]; ok {
		return tr, nil
	}
	_, tr, ran, err := p.r.Step(ctx, s, true)
	if err != nil {
		return nil, err
	}
	p.Recomputed += ran
	p.traces[s] = tr
	return tr, nil
}

func (p *RunParty) Commit(ctx context.Context, s uint64) ([32]byte, int, error) {
	tr, err := p.trace(ctx, s)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return tr.Head, len(tr.Entries), nil
}

func (p *RunParty) Heads(ctx context.Context, s uint64, entries []int) ([][32]byte, error) {
	tr, err := p.trace(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([][32]byte, len(entries))
	for i, e := range entries {
		if e < 0 || e >= len(tr.Heads) {
			return nil, fmt.Errorf("step %d has no entry %d", s, e)
		}
		out[i] = tr.Heads[e]
	}
	return out, nil
}

func (p *RunParty) Entry(ctx context.Context, s uint64, e int) (Revealed, error) {
	tr, err := p.trace(ctx, s)
	if err != nil {
		return Revealed{}, err
	}
	if e < 0 || e >= len(tr.Entries) {
		return Revealed{}, fmt.Errorf("step %d has no entry %d", s, e)
	}
	r := Revealed{Entry: tr.Entries[e]}
	if host.IsOperator(r.Entry.Op) {
		if r.Inputs, err = p.inputs(ctx, s, e); err != nil {
			return Revealed{}, err
		}
	}
	return r, nil
}

// inputs recomputes step s once more, keeping the input tensors of entry e.
func (p *RunParty) inputs(ctx context.Context, s uint64, e int) ([]*kernels.Tensor, error) {
	var inputs []*kernels.Tensor
	p.capture = func(ev *host.OpEvent) {
		if ev.Step == s && ev.Seq == e {
			inputs = ev.Inputs
		}
	}
	defer func() { p.capture = nil }()
	_, _, ran, err := p.r.Step(ctx, s, false)
	p.Recomputed += ran
	if err != nil {
		return nil, err
	}
	if inputs == nil {
		return nil, fmt.Errorf("step %d has no operator call at entry %d", s, e)
	}
	return inputs, nil
}

// Material recomputes step s once more, keeping the output tensors of its operator calls
// before entry k, with the state before the step.
func (p *RunParty) Material(ctx context.Context, s uint64, k int) (Material, error) {
	tr, err := p.trace(ctx, s)
	if err != nil {
		return Material{}, err
	}
	if k > len(tr.Entries) {
		return Material{}, fmt.Errorf("step %d has %d entries, not %d", s, len(tr.Entries), k)
	}
	m := Material{Prefix: tr.Entries[:k]}
	if s > 0 {
		cp, _, ran, err := p.r.Step(ctx, s-1, false)
		if err != nil {
			return Material{}, err
		}
		p.Recomputed += ran
		m.State = cp
	}
	p.capture = func(ev *host.OpEvent) {
		if ev.Step == s && ev.Seq < k {
			m.Tensors = append(m.Tensors, ev.Outputs...)
		}
	}
	defer func() { p.capture = nil }()
	_, _, ran, err := p.r.Step(ctx, s, false)
	p.Recomputed += ran
	if err != nil {
		return Material{}, err
	}
	return m, nil
}
