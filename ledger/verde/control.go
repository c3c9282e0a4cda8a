package verde

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/runtime"
)

// Sandbox is what a referee needs to re-run a step's guest code (cases b and c): the
// task's admitted module, seed and inputs.
type Sandbox struct {
	Module *runtime.Module
	Seed   uint64
	Inputs []host.Input
	Call   string // the export the run's steps call ("": lockstep_step)
}

// Material is what a referee needs from a party to re-run step s up to entry k: the agreed
// trace prefix (entries 0..k-1), the state before the step, and the output tensors of the
// prefix's operator calls. Everything in it is checked against agreed hashes.
type Material struct {
	Prefix  []host.TraceEntry
	State   *host.Checkpoint // after step s-1; nil for s = 0
	Tensors []*kernels.Tensor
}

func materialSize(m Material) int {
	n := 0
	for _, e := range m.Prefix {
		n += len(e.Encode())
	}
	if m.State != nil {
		for _, t := range m.State.Tensors {
			n += 4 * t.Len()
		}
		n += len(m.State.Blob)
	}
	return n + tensorsSize(m.Tensors)
}

var errStop = errors.New("the referee stops the step here")

// control settles entry k of step s where the parties disagree about more than its
// outputs (case b) or about the binding entry (case c): the referee re-runs the guest's
// code for the step in the sandbox, from the agreed state, with every operator call
// before k answered from the agreed prefix instead of computed, and sees which entry the
// guest really makes at k. At most one kernel runs: the call at k, to know its outputs.
func (g *game) control(s uint64, k int, prev [32]byte, entries [2]host.TraceEntry, c Case) (*Ruling, error) {
	ma, mb, bad := ask(g, s, func(p Party) (Material, error) { return p.Material(g.ctx, s, k) }, materialSize)
	if bad != nil {
		bad.Step, bad.Entry = s, k
		return bad, nil
	}
	start := time.Now()
	// Take the first party's material that checks; a party whose material does not lose.
	var mat *Material
	var liars []side
	for x, m := range [2]Material{ma, mb} {
		if err := g.checkMaterial(s, k, prev, m); err != nil {
			liars = append(liars, g.sides()[x])
		} else if mat == nil {
			mat = &m
		}
	}
	if mat == nil {
		return lose(s, k, entries[0].Op, CaseInconsistent, "neither party revealed the agreed prefix and state that match the agreed hashes", liars...), nil
	}
	guest, kernelOps, err := g.rerun(s, k, prev, mat)
	if err != nil {
		return nil, err
	}
	r := &Ruling{Step: s, Entry: k, Op: guest.Op, Case: c, KernelOps: kernelOps}
	want := guest.Encode()
	for x, e := range entries {
		if !bytes.Equal(e.Encode(), want) || slices.Contains(liars, g.sides()[x]) {
			r.Losers = append(r.Losers, g.sides()[x].name)
		}
	}
	r.Reason = fmt.Sprintf("the guest's code, re-run from the agreed state, makes %s at entry %d", guest.Op, k)
	r.RefereeTime = time.Since(start)
	return r, nil
}

// checkMaterial checks a party's material against what both agreed: the prefix chains to
// the agreed head, the state hashes to the agreed root before the step, every tensor is
// keyed by its own hash.
func (g *game) checkMaterial(s uint64, k int, prev [32]byte, m Material) error {
	if len(m.Prefix) != k {
		return fmt.Errorf("a prefix of %d entries, want %d", len(m.Prefix), k)
	}
	h := host.TraceStart(s)
	for i, e := range m.Prefix {
		if e.Seq != uint64(i) {
			return fmt.Errorf("prefix entry %d has seq %d", i, e.Seq)
		}
		h = host.ChainNext(h, e)
	}
	if h != prev {
		return fmt.Errorf("the prefix does not chain to the agreed head")
	}
	if s > 0 {
		if m.State == nil || m.State.Step != s-1 || !m.State.Verify() || m.State.Root != g.agreedRoot {
			return fmt.Errorf("the state before step %d is not the agreed one", s)
		}
	}
	return nil
}

// rerun runs the guest's code for step s in the sandbox up to entry k and returns the
// entry it makes there, with the number of kernels it ran (0 or 1).
func (g *game) rerun(s uint64, k int, prev [32]byte, m *Material) (host.TraceEntry, int, error) {
	ctx, sb := g.ctx, g.sandbox
	tensors := map[[32]byte]*kernels.Tensor{}
	for _, t := range m.Tensors {
		tensors[kernels.Hash(t)] = t
	}
	task, err := sb.Module.Instantiate(ctx, sb.Seed, sb.Inputs)
	if err != nil {
		return host.TraceEntry{}, 0, err
	}
	defer task.Close(ctx)
	sess := task.Session()
	var call *host.Call
	var callInputs []*kernels.Tensor
	var diverged error
	answer := func(c host.Call, inputs []*kernels.Tensor) ([]*kernels.Tensor, error) {
		if c.Seq > k || call != nil {
			return nil, errStop
		}
		if c.Seq == k {
			call, callInputs = &c, inputs
			return nil, errStop
		}
		e := m.Prefix[c.Seq]
		if e.Op != c.Op || !slices.Equal(e.Attrs, c.Attrs) || !slices.Equal(e.Inputs, c.Inputs) {
			diverged = fmt.Errorf("the guest's call %d is %s, the agreed prefix has %s", c.Seq, c.Op, e.Op)
			return nil, errStop
		}
		outs := make([]*kernels.Tensor, len(e.Outputs))
		for i, h := range e.Outputs {
			if outs[i] = tensors[h]; outs[i] == nil {
				diverged = fmt.Errorf("no tensor revealed for output %d of entry %d", i, c.Seq)
				return nil, errStop
			}
		}
		return outs, nil
	}
	var cp *host.Checkpoint
	if s == 0 {
		sess.SetTracing(true)
		sess.SetAnswers(answer)
		cp, _ = task.Init(ctx)
	} else {
		if err := task.SetStepExport(sb.Call); err != nil {
			return host.TraceEntry{}, 0, fmt.Errorf("referee: %w", err)
		}
		if _, err := task.Init(ctx); err != nil {
			return host.TraceEntry{}, 0, fmt.Errorf("referee: init: %w", err)
		}
		if err := task.Restore(ctx, m.State); err != nil {
			return host.TraceEntry{}, 0, fmt.Errorf("referee: restoring the agreed state: %w", err)
		}
		sess.SetTracing(true)
		sess.SetAnswers(answer)
		cp, _ = task.Step(ctx, s)
	}
	tr := sess.Trace()
	switch {
	case diverged != nil:
		return host.TraceEntry{Seq: uint64(k), Op: 0}, 0, nil // both agreed on calls the guest does not make: both lose
	case len(tr.Entries) < k || (k > 0 && tr.Heads[k-1] != prev):
		return host.TraceEntry{Seq: uint64(k), Op: 0}, 0, nil
	case call != nil:
		outs, err := host.Apply(call.Op, call.Attrs, callInputs)
		e := host.TraceEntry{Seq: uint64(k), Op: call.Op, Attrs: call.Attrs, Inputs: call.Inputs}
		if err == nil {
			for _, t := range outs {
				e.Outputs = append(e.Outputs, kernels.Hash(t))
			}
		}
		return e, 1, nil
	case len(tr.Entries) > k:
		return tr.Entries[k], 0, nil
	case cp != nil:
		e := host.BindingEntry(cp.Root, cp.Leaves(), cp.Blob)
		e.Seq = uint64(k)
		return e, 0, nil
	}
	return host.TraceEntry{Seq: uint64(k), Op: 0}, 0, nil // the step failed before entry k
}
