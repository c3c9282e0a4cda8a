// Package verde settles a disagreement between two nodes that trained the same task from
// the same start, after Gensyn's Verde (arXiv 2502.19405, "refereed delegation";
// DESIGN.md, "Verde"). A referee with little compute bisects over the steps on state roots
// to the first disputed step, then over that step's operator trace to the first disputed
// entry, and rules on that entry by replaying one operator through host.Apply, the code
// path of training.
//
// Phase 3 rules on the first disputed entry: (a) where both agree on its operator,
// attributes and inputs but not its outputs, the referee replays the operator on the
// revealed inputs; (b) where they disagree on more, and (c) on the final binding entry,
// the referee re-runs the guest's code for the step in the sandbox from the agreed state,
// every operator call before the entry answered from the agreed prefix instead of computed
// (host.Session.SetAnswers), and sees what the guest really does there: at most one kernel
// runs. Every party that contradicts its own answers, fails to answer, or reveals data that
// does not hash as agreed loses.
package verde

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// Party is one side of a dispute: it answers questions about its own run. A party may
// lie; the referee checks every answer it can against the party's earlier ones.
type Party interface {
	// Roots returns the party's state roots after the given steps (0 is init).
	Roots(ctx context.Context, steps []uint64) ([][32]byte, error)
	// Commit commits to the party's trace of step s: its head and its number of entries.
	Commit(ctx context.Context, s uint64) (head [32]byte, entries int, err error)
	// Heads returns the trace heads of step s after the given entries.
	Heads(ctx context.Context, s uint64, entries []int) ([][32]byte, error)
	// Entry reveals entry k of step s's trace and, for an operator call, its input
	// tensors.
	Entry(ctx context.Context, s uint64, k int) (Revealed, error)
	// Material reveals what re-running step s up to entry k takes (Material).
	Material(ctx context.Context, s uint64, k int) (Material, error)
}

// Revealed is an entry of a trace, with the input tensors of an operator call.
type Revealed struct {
	Entry  host.TraceEntry
	Inputs []*kernels.Tensor
}

// Case is how the disputed entry was settled.
type Case string

const (
	CaseOutput       Case = "a: same operator and inputs, different outputs: the operator replayed"
	CaseControl      Case = "b: different operator, attributes or inputs (guest control flow or data)"
	CaseBinding      Case = "c: only the final binding entry differs"
	CaseInconsistent Case = "a party contradicted its own answers"
	CaseUnanswered   Case = "a party gave no valid answer"
	CaseLength       Case = "a party's trace goes on after its binding entry"
)

// Ruling is the result of a dispute: the step and entry where the parties diverged, what
// the entry is, and who lost (one party, both, or none where the case is not yet
// decided).
type Ruling struct {
	Step   uint64
	Entry  int // -1 where the dispute ended before an entry was found
	Op     host.Opcode
	Case   Case
	Losers []string // party names
	Reason string
	// Rounds counts the questions the referee asked both parties after their opening
	// claims (their roots after init and after the last step): with binary bisection at
	// most ceil(log2 steps) + ceil(log2 entries) + 2 for case a, and one more (the
	// material for the re-run) for cases b and c.
	Rounds    int
	Bytes     int // bytes the parties sent
	KernelOps int // operators the referee ran (0 or 1)
	// RefereeTime is the referee's own compute: checking the revealed inputs, replaying
	// the operator and hashing its outputs.
	RefereeTime time.Duration
	// Evidence is what the ruling on an entry rests on; nil where the dispute ended
	// before both parties revealed the entry.
	Evidence *Evidence
	Parties  [2]string
	inputs   []*kernels.Tensor // the agreed inputs the referee replayed
}

// Evidence is what a ruling on entry Entry of step Step rests on: the agreed head before
// the entry, each party's head after it and revealed entry, and the agreed input tensors
// of an operator call (case a). With it anyone can check the ruling (Check).
type Evidence struct {
	Prev    [32]byte
	Heads   [2][32]byte
	Entries [2]host.TraceEntry
	Inputs  []*kernels.Tensor
}

// Decided reports whether the ruling names a loser.
func (r *Ruling) Decided() bool { return len(r.Losers) > 0 }

func (r *Ruling) String() string {
	who := "undecided"
	if r.Decided() {
		who = fmt.Sprintf("%v lost", r.Losers)
	}
	return fmt.Sprintf("step %d, entry %d (%s): case %s: %s; %s", r.Step, r.Entry, r.Op, r.Case, r.Reason, who)
}

// ErrNoDispute is returned when the parties agree on the final root.
var ErrNoDispute = errors.New("the parties agree")

// Referee plays the game between two named parties over a run of steps steps.
type Referee struct {
	Degree int // bisection degree: 2 is binary; k-ary asks k-1 points a round
	// Sandbox lets the referee re-run a step's guest code (cases b and c); without it
	// those cases are named but not decided.
	Sandbox *Sandbox
}

type side struct {
	name string
	p    Party
}

// Play runs the dispute between a and b (named na and nb) over steps 0..last.
func (ref Referee) Play(ctx context.Context, na string, a Party, nb string, b Party, last uint64) (*Ruling, error) {
	k := max(ref.Degree, 2)
	g := &game{ctx: ctx, a: side{na, a}, b: side{nb, b}, sandbox: ref.Sandbox}
	r, err := g.play(k, last)
	if r != nil {
		r.Rounds, r.Bytes, r.Parties = g.rounds, g.bytes, [2]string{na, nb}
	}
	return r, err
}

type game struct {
	ctx          context.Context
	a, b         side
	rounds       int
	bytes        int
	rootA, rootB [32]byte // the roots each claimed for the disputed step
	agreedRoot   [32]byte // the root both agree on before the disputed step
	prev         [32]byte // the agreed head before the disputed entry
	sandbox      *Sandbox
}

// lose is a ruling against the given sides.
func lose(step uint64, entry int, op host.Opcode, c Case, reason string, losers ...side) *Ruling {
	r := &Ruling{Step: step, Entry: entry, Op: op, Case: c, Reason: reason}
	for _, s := range losers {
		r.Losers = append(r.Losers, s.name)
	}
	return r
}

// ask puts one question to both parties (one round); a party that fails to answer loses.
func ask[T any](g *game, step uint64, q func(Party) (T, error), size func(T) int) (T, T, *Ruling) {
	g.rounds++
	ra, ea := q(g.a.p)
	rb, eb := q(g.b.p)
	var failed []side
	if ea != nil {
		failed = append(failed, g.a)
	}
	if eb != nil {
		failed = append(failed, g.b)
	}
	if len(failed) > 0 {
		return ra, rb, lose(step, -1, 0, CaseUnanswered, errors.Join(ea, eb).Error(), failed...)
	}
	g.bytes += size(ra) + size(rb)
	return ra, rb, nil
}

func (g *game) play(k int, last uint64) (*Ruling, error) {
	// The opening claims: both parties' roots after init and after the last step.
	ends := []uint64{0, last}
	ra, rb, bad := ask(g, 0, func(p Party) ([][32]byte, error) { return checkedRoots(g.ctx, p, ends) }, hashesSize)
	if bad != nil {
		return bad, nil
	}
	g.rounds-- // the claims open the dispute; they are not a round of it
	// Phase 1: bisection over steps on state roots.
	if ra[1] == rb[1] {
		return nil, ErrNoDispute
	}
	var step uint64
	if ra[0] != rb[0] {
		step = 0 // they disagree about init itself
		g.rootA, g.rootB = ra[0], rb[0]
	} else {
		g.rootA, g.rootB, g.agreedRoot = ra[1], rb[1], ra[0]
		lo, hi := uint64(0), last // root lo agreed, root hi disputed
		for hi-lo > 1 {
			points := splitPoints(lo, hi, k)
			ra, rb, bad := ask(g, hi, func(p Party) ([][32]byte, error) { return checkedRoots(g.ctx, p, points) }, hashesSize)
			if bad != nil {
				return bad, nil
			}
			nlo, nhi := lo, hi
			for i, s := range points {
				if ra[i] != rb[i] {
					nhi = s
					g.rootA, g.rootB = ra[i], rb[i]
					break
				}
				nlo = s
				g.agreedRoot = ra[i]
			}
			lo, hi = nlo, nhi
		}
		step = hi
	}
	return g.stepDispute(k, step)
}

// checkedRoots asks p for roots and checks the answer's shape.
func checkedRoots(ctx context.Context, p Party, steps []uint64) ([][32]byte, error) {
	r, err := p.Roots(ctx, steps)
	if err == nil && len(r) != len(steps) {
		err = fmt.Errorf("%d roots for %d steps", len(r), len(steps))
	}
	return r, err
}

func hashesSize(h [][32]byte) int { return 32 * len(h) }

// splitPoints are up to k-1 points strictly between lo and hi, evenly spread.
func splitPoints(lo, hi uint64, k int) []uint64 {
	var pts []uint64
	for i := 1; i < k; i++ {
		p := lo + (hi-lo)*uint64(i)/uint64(k)
		if p > lo && p < hi && (len(pts) == 0 || p > pts[len(pts)-1]) {
			pts = append(pts, p)
		}
	}
	return pts
}
