package verde

import (
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

type commitment struct {
	head    [32]byte
	entries int
}

// stepDispute plays phases 2 and 3 on step s, whose start both parties agree on and whose
// root they dispute.
func (g *game) stepDispute(k int, s uint64) (*Ruling, error) {
	ca, cb, bad := ask(g, s, func(p Party) (commitment, error) {
		h, n, err := p.Commit(g.ctx, s)
		if err == nil && n < 1 {
			err = fmt.Errorf("a trace of %d entries (every trace ends with its binding entry)", n)
		}
		return commitment{h, n}, err
	}, func(commitment) int { return 36 })
	if bad != nil {
		bad.Step = s
		return bad, nil
	}
	// heads[side][i] is what the side said the head after entry i is.
	heads := [2]map[int][32]byte{{ca.entries - 1: ca.head}, {cb.entries - 1: cb.head}}
	askHeads := func(idx []int) ([][32]byte, [][32]byte, *Ruling) {
		q := func(p Party) ([][32]byte, error) {
			h, err := p.Heads(g.ctx, s, idx)
			if err == nil && len(h) != len(idx) {
				err = fmt.Errorf("%d heads for %d entries", len(h), len(idx))
			}
			return h, err
		}
		ha, hb, bad := ask(g, s, q, hashesSize)
		if bad != nil {
			bad.Step = s
			return nil, nil, bad
		}
		var liars []side
		for x, hs := range [2][][32]byte{ha, hb} {
			for i, e := range idx {
				if prev, said := heads[x][e]; said && prev != hs[i] {
					liars = append(liars, g.sides()[x])
					break
				}
				heads[x][e] = hs[i]
			}
		}
		if len(liars) > 0 {
			return nil, nil, lose(s, -1, 0, CaseInconsistent, "a head differs from the one committed before", liars...)
		}
		return ha, hb, nil
	}

	m := min(ca.entries, cb.entries)
	if ca.entries != cb.entries {
		ha, hb, bad := askHeads([]int{m - 1})
		if bad != nil {
			return bad, nil
		}
		if ha[0] == hb[0] {
			// The traces agree up to the end of the shorter: entry m-1 must be its binding
			// entry, and then the longer trace goes on past it.
			longer, shorter := g.a, g.b
			if cb.entries > ca.entries {
				longer, shorter = g.b, g.a
			}
			return g.pastBinding(s, m-1, &longer, &shorter)
		}
	}
	// Bisection: the head before entry lo+1 is agreed, the head after entry hi disputed.
	lo, hi := -1, m-1
	if ca.entries == cb.entries && ca.head == cb.head {
		// The same trace, so the same binding entry and root: a party's claimed root is not
		// the one its own trace binds.
		return g.pastBinding(s, m-1, nil, nil)
	}
	for hi-lo > 1 {
		var points []int
		for _, p := range splitPoints(uint64(lo+1), uint64(hi+1), k) {
			points = append(points, int(p)-1)
		}
		ha, hb, bad := askHeads(points)
		if bad != nil {
			return bad, nil
		}
		nlo, nhi := lo, hi
		for i, p := range points {
			if ha[i] != hb[i] {
				nhi = p
				break
			}
			nlo = p
		}
		lo, hi = nlo, nhi
	}
	prev := host.TraceStart(s)
	if lo >= 0 {
		prev = heads[0][lo]
	}
	return g.entryDispute(s, hi, prev, [2][32]byte{heads[0][hi], heads[1][hi]})
}

func (g *game) sides() [2]side { return [2]side{g.a, g.b} }

// reveal asks both parties for entry e of step s and checks each against the agreed head
// before it and the party's own head after it; it returns the entries and the parties
// whose entry does not chain.
func (g *game) reveal(s uint64, e int, prev [32]byte, after [2][32]byte) ([2]host.TraceEntry, [2][]*kernels.Tensor, []side, *Ruling) {
	ra, rb, bad := ask(g, s, func(p Party) (Revealed, error) { return p.Entry(g.ctx, s, e) },
		func(r Revealed) int { return len(r.Entry.Encode()) + tensorsSize(r.Inputs) })
	if bad != nil {
		bad.Step, bad.Entry = s, e
		return [2]host.TraceEntry{}, [2][]*kernels.Tensor{}, nil, bad
	}
	entries := [2]host.TraceEntry{ra.Entry, rb.Entry}
	var liars []side
	for x, en := range entries {
		if en.Seq != uint64(e) || host.ChainNext(prev, en) != after[x] {
			liars = append(liars, g.sides()[x])
		}
	}
	return entries, [2][]*kernels.Tensor{ra.Inputs, rb.Inputs}, liars, nil
}

// pastBinding settles a dispute whose traces agree up to entry e: the end of the shorter
// trace, or of both where longer and shorter are nil.
func (g *game) pastBinding(s uint64, e int, longer, shorter *side) (*Ruling, error) {
	var prev [32]byte
	if e == 0 {
		prev = host.TraceStart(s)
	} else {
		ha, hb, bad := ask(g, s, func(p Party) ([][32]byte, error) { return p.Heads(g.ctx, s, []int{e - 1}) }, hashesSize)
		if bad != nil {
			bad.Step = s
			return bad, nil
		}
		if ha[0] != hb[0] {
			return lose(s, e, 0, CaseInconsistent, "the heads before an agreed head differ"), nil // cannot happen with SHA-256
		}
		prev = ha[0]
	}
	ha, hb, bad := ask(g, s, func(p Party) ([][32]byte, error) { return p.Heads(g.ctx, s, []int{e}) }, hashesSize)
	if bad != nil {
		bad.Step = s
		return bad, nil
	}
	g.prev = prev
	entries, _, liars, bad := g.reveal(s, e, prev, [2][32]byte{ha[0], hb[0]})
	if bad != nil {
		return bad, nil
	}
	if len(liars) > 0 {
		return lose(s, e, entries[0].Op, CaseInconsistent, "a revealed entry does not chain to the committed heads", liars...), nil
	}
	en := entries[0]
	switch {
	case longer == nil:
		return g.bindingClaims(s, e, entries)
	case en.Op != host.OpStateRoot:
		return lose(s, e, en.Op, CaseLength, "the shorter trace does not end with its binding entry", *shorter), nil
	default:
		return lose(s, e, en.Op, CaseLength, "the trace goes on after its binding entry", *longer), nil
	}
}

// bindingClaims holds each party to the root its own binding entry gives: a party whose
// phase-1 root differs from it contradicted itself.
func (g *game) bindingClaims(s uint64, e int, entries [2]host.TraceEntry) (*Ruling, error) {
	var liars []side
	for x, en := range entries {
		claimed := [2][32]byte{g.rootA, g.rootB}[x]
		root, err := host.RootFromBinding(s, en)
		if err != nil || root != claimed || len(en.Outputs) != 1 || en.Outputs[0] != root {
			liars = append(liars, g.sides()[x])
		}
	}
	if len(liars) > 0 {
		return lose(s, e, host.OpStateRoot, CaseInconsistent, "the claimed root is not the one its trace binds", liars...), nil
	}
	if g.sandbox != nil {
		return g.control(s, e, g.prev, entries, CaseBinding)
	}
	return lose(s, e, host.OpStateRoot, CaseBinding, "both binding entries give the roots claimed; the leaves differ (not decided without a sandbox)"), nil
}

// entryDispute is phase 3: entry e, after the agreed head prev, whose heads after differ.
func (g *game) entryDispute(s uint64, e int, prev [32]byte, after [2][32]byte) (*Ruling, error) {
	entries, inputs, liars, bad := g.reveal(s, e, prev, after)
	if bad != nil {
		return bad, nil
	}
	g.prev = prev
	r, err := g.ruleEntry(s, e, entries, inputs, liars)
	if r != nil {
		r.Evidence = &Evidence{Prev: prev, Heads: after, Entries: entries}
		if r.Case == CaseOutput {
			r.Evidence.Inputs = r.inputs
		}
	}
	return r, err
}

// ruleEntry rules on revealed entries e of step s.
func (g *game) ruleEntry(s uint64, e int, entries [2]host.TraceEntry, inputs [2][]*kernels.Tensor, liars []side) (*Ruling, error) {
	if len(liars) > 0 {
		return lose(s, e, entries[0].Op, CaseInconsistent, "a revealed entry does not chain to its committed heads", liars...), nil
	}
	ea, eb := entries[0], entries[1]
	if ea.Op == host.OpStateRoot && eb.Op == host.OpStateRoot {
		return g.bindingClaims(s, e, entries)
	}
	same := ea.Op == eb.Op && slices.Equal(ea.Attrs, eb.Attrs) && slices.Equal(ea.Inputs, eb.Inputs)
	if !same || !host.IsOperator(ea.Op) {
		if g.sandbox != nil {
			return g.control(s, e, g.prev, entries, CaseControl)
		}
		return lose(s, e, ea.Op, CaseControl, fmt.Sprintf("%s against %s: the guest's control flow or data decides (not decided without a sandbox)", ea.Op, eb.Op)), nil
	}
	return g.replay(s, e, ea, eb, inputs)
}

// replay is case a: the referee checks the revealed inputs against the agreed hashes and
// runs the one operator through host.Apply, the code path of training.
func (g *game) replay(s uint64, e int, ea, eb host.TraceEntry, revealed [2][]*kernels.Tensor) (*Ruling, error) {
	start := time.Now()
	var inputs []*kernels.Tensor
	var liars []side
	for x, in := range revealed {
		if !matches(in, ea.Inputs) {
			liars = append(liars, g.sides()[x])
		} else if inputs == nil {
			inputs = in
		}
	}
	if inputs == nil {
		return lose(s, e, ea.Op, CaseInconsistent, "neither party revealed inputs that hash to the agreed input hashes", liars...), nil
	}
	outs, err := host.Apply(ea.Op, ea.Attrs, inputs)
	r := &Ruling{Step: s, Entry: e, Op: ea.Op, Case: CaseOutput, KernelOps: 1, inputs: inputs}
	want := make([][32]byte, len(outs))
	for i, t := range outs {
		want[i] = kernels.Hash(t)
	}
	for x, en := range [2]host.TraceEntry{ea, eb} {
		if err != nil || !slices.Equal(en.Outputs, want) || slices.Contains(liars, g.sides()[x]) {
			r.Losers = append(r.Losers, g.sides()[x].name)
		}
	}
	r.RefereeTime = time.Since(start)
	r.Reason = fmt.Sprintf("%s replayed on the agreed inputs", ea.Op)
	if err != nil {
		r.Reason = fmt.Sprintf("%s on the agreed inputs fails (%v): neither output can be right", ea.Op, err)
	}
	return r, nil
}

func matches(ts []*kernels.Tensor, hashes [][32]byte) bool {
	if len(ts) != len(hashes) {
		return false
	}
	for i, t := range ts {
		if t == nil || kernels.Hash(t) != hashes[i] {
			return false
		}
	}
	return true
}

func tensorsSize(ts []*kernels.Tensor) int {
	n := 0
	for _, t := range ts {
		if t != nil {
			n += 4*t.Len() + 8*len(t.Shape())
		}
	}
	return n
}
