package chain_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// swarmOf registers and joins n funded members of a swarm of the test spec (quorum 1).
func swarmOf(t *testing.T, e *testChain, contract [20]byte, n int) ([32]byte, []*chain.Chain) {
	t.Helper()
	ctx := testCtx(t)
	var cs []*chain.Chain
	for range n {
		c, _ := account(t, e, contract)
		must[any](t)(c.Register(ctx, nil, false))
		cs = append(cs, c)
	}
	spec := testSpec(ether(1), big.NewInt(0), 1)
	spec.Config = common.BytesToHash(cs[0].Address().Bytes()) // a swarm of its own on a shared chain
	id, _, err := cs[0].CreateSwarm(ctx, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		must[any](t)(c.Join(ctx, id, ether(1)))
	}
	for i, c := range cs {
		must[any](t)(c.Commit(ctx, id, 1, [32]byte{byte(i + 1)}))
	}
	return id, cs
}

// TestDisputeDeadlines: an accused that does not answer within answerBlocks loses (and
// not before); an answered dispute with no ruling by its deadline is void, the bond
// returned and nothing slashed; a ruling after the deadline is refused.
func TestDisputeDeadlines(t *testing.T) {
	e, contract := openChain(t)
	disputeDeadlines(t, e, contract)
}

func disputeDeadlines(t *testing.T, e *testChain, contract [20]byte) {
	ctx := testCtx(t)
	id, cs := swarmOf(t, e, contract, 3)
	a, b, ref := cs[0], cs[1], cs[2]

	d := must[uint64](t)(func() (uint64, error) {
		d, _, err := a.OpenDispute(ctx, id, 1, b.Address(), [32]byte{9}, ether(1))
		return d, err
	}())
	x := must[chain.Dispute](t)(a.Dispute(ctx, d))
	refused(t, "expiring before the answer deadline", func() error { _, err := a.Expire(ctx, d); return err }(), "the answer deadline has not passed")
	for n, _ := must[uint64](t)(a.BlockNumber(ctx)), 0; n <= x.AnswerBy; n, _ = must[uint64](t)(a.BlockNumber(ctx)), 0 {
		e.Seal()
	}
	refused(t, "an answer after the deadline", func() error { _, err := b.Answer(ctx, d); return err }(), "the answer deadline has passed")
	must[any](t)(ref.Expire(ctx, d))
	if x := must[chain.Dispute](t)(a.Dispute(ctx, d)); x.State != chain.AccusedLost {
		t.Fatalf("an unanswered dispute past its deadline is %s", chain.StateName(x.State))
	}
	if m := must[chain.Member](t)(a.Member(ctx, id, b.Address())); m.Active || m.Stake.Sign() != 0 {
		t.Fatal("the accused who did not answer kept its stake")
	}

	// An answered dispute with no ruling: void.
	d2 := must[uint64](t)(func() (uint64, error) {
		d, _, err := ref.OpenDispute(ctx, id, 1, a.Address(), [32]byte{9}, ether(1))
		return d, err
	}())
	must[any](t)(a.Answer(ctx, d2))
	x2 := must[chain.Dispute](t)(a.Dispute(ctx, d2))
	refused(t, "voiding before the ruling deadline", func() error { _, err := ref.Expire(ctx, d2); return err }(), "the ruling deadline has not passed")
	for n, _ := must[uint64](t)(a.BlockNumber(ctx)), 0; n <= x2.RuleBy; n, _ = must[uint64](t)(a.BlockNumber(ctx)), 0 {
		e.Seal()
	}
	sig := must[[]byte](t)(b.SignRuling(ctx, d2, true, [32]byte{1}))
	refused(t, "a ruling after its deadline", func() error { _, err := ref.Rule(ctx, d2, true, [32]byte{1}, [][]byte{sig}); return err }(), "the ruling deadline has passed")
	credit := must[*big.Int](t)(a.Credit(ctx, ref.Address()))
	must[any](t)(ref.Expire(ctx, d2))
	if x := must[chain.Dispute](t)(a.Dispute(ctx, d2)); x.State != chain.Void {
		t.Fatalf("an answered dispute with no ruling is %s, want void", chain.StateName(x.State))
	}
	if got := must[*big.Int](t)(a.Credit(ctx, ref.Address())); new(big.Int).Sub(got, credit).Cmp(ether(1)) != 0 {
		t.Fatalf("a void dispute credited the challenger %s, want its bond back", new(big.Int).Sub(got, credit))
	}
	if m := must[chain.Member](t)(a.Member(ctx, id, a.Address())); !m.Active || m.Stake.Cmp(ether(1)) != 0 || m.Open != 0 {
		t.Fatalf("after a void dispute the accused is %+v, want an active member with its stake", m)
	}
}

// TestChallengerLoses: a ruling for the accused pays it the challenger's bond.
func TestChallengerLoses(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	id, cs := swarmOf(t, e, contract, 3)
	a, b, ref := cs[0], cs[1], cs[2]
	d := must[uint64](t)(func() (uint64, error) {
		d, _, err := a.OpenDispute(ctx, id, 1, b.Address(), [32]byte{9}, ether(2))
		return d, err
	}())
	refused(t, "a second dispute of the same commitment", func() error {
		_, _, err := a.OpenDispute(ctx, id, 1, b.Address(), [32]byte{9}, ether(2))
		return err
	}(), "already disputed")
	sig := must[[]byte](t)(ref.SignRuling(ctx, d, false, [32]byte{7}))
	must[any](t)(a.Rule(ctx, d, false, [32]byte{7}, [][]byte{sig}))
	if got := must[*big.Int](t)(a.Credit(ctx, b.Address())); got.Cmp(ether(2)) != 0 {
		t.Fatalf("the accused who won has %s credit, want the challenger's bond of 2 ether", got)
	}
	if m := must[chain.Member](t)(a.Member(ctx, id, b.Address())); !m.Active || m.Stake.Cmp(ether(1)) != 0 {
		t.Fatal("the accused who won lost its membership or stake")
	}
}

// TestRulingSignatures: signatures are bound to the dispute, the outcome, the chain and
// the contract; parties, outsiders and repeated referees do not count.
func TestRulingSignatures(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	id, cs := swarmOf(t, e, contract, 4)
	a, b, ref, ref2 := cs[0], cs[1], cs[2], cs[3]
	d1 := must[uint64](t)(func() (uint64, error) {
		d, _, err := a.OpenDispute(ctx, id, 1, b.Address(), [32]byte{9}, ether(1))
		return d, err
	}())
	d2 := must[uint64](t)(func() (uint64, error) {
		d, _, err := ref2.OpenDispute(ctx, id, 1, b.Address(), [32]byte{9}, ether(1))
		return d, err
	}())

	// The Go digest is the contract's.
	raw, err := chain.NewCoordinator().Instance(e.Client(), contract).CallRaw(nil, chain.NewCoordinator().PackRulingDigest(new(big.Int).SetUint64(d1), true, [32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.RulingDigest(must[chain.Dispute](t)(a.Dispute(ctx, d1)), true, [32]byte{1}); [32]byte(raw) != got {
		t.Fatalf("Go's ruling digest %x, the contract's %x", got, raw)
	}

	good := must[[]byte](t)(ref.SignRuling(ctx, d1, true, [32]byte{1}))
	refused(t, "a signature of dispute 1 on dispute 2", func() error { _, err := a.Rule(ctx, d2, true, [32]byte{1}, [][]byte{good}); return err }(), "a signer is not a member of the swarm")
	refused(t, "a signature for the other outcome", func() error { _, err := a.Rule(ctx, d1, false, [32]byte{1}, [][]byte{good}); return err }(), "a signer is not a member of the swarm")
	refused(t, "a signature of another ruling file", func() error { _, err := a.Rule(ctx, d1, true, [32]byte{2}, [][]byte{good}); return err }(), "a signer is not a member of the swarm")
	party := must[[]byte](t)(a.SignRuling(ctx, d1, true, [32]byte{1}))
	refused(t, "the challenger's own signature", func() error { _, err := ref.Rule(ctx, d1, true, [32]byte{1}, [][]byte{party}); return err }(), "a party cannot referee its dispute")
	outsider, _ := account(t, e, contract)
	must[any](t)(outsider.Register(ctx, nil, false))
	out := must[[]byte](t)(outsider.SignRuling(ctx, d1, true, [32]byte{1}))
	refused(t, "a non-member's signature", func() error { _, err := a.Rule(ctx, d1, true, [32]byte{1}, [][]byte{out}); return err }(), "a signer is not a member of the swarm")

	refused(t, "one referee's signature twice", func() error { _, err := a.Rule(ctx, d1, true, [32]byte{1}, [][]byte{good, good}); return err }(), "signatures must be of distinct referees, in increasing address order")
	// Two referees of four members: the two together settle it.
	other := must[[]byte](t)(ref2.SignRuling(ctx, d1, true, [32]byte{1}))
	must[any](t)(a.Rule(ctx, d1, true, [32]byte{1}, [][]byte{good, other}))
	if x := must[chain.Dispute](t)(a.Dispute(ctx, d1)); x.State != chain.AccusedLost {
		t.Fatalf("two referees' signatures left the dispute %s", chain.StateName(x.State))
	}
}

// TestLateSybilsCannotRule: accounts that join after a round, or did not commit for it,
// cannot sign its dispute's ruling; and commitments far ahead of the swarm are refused.
func TestLateSybilsCannotRule(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	id, cs := swarmOf(t, e, contract, 3)
	challenger, honest := cs[0], cs[1]
	refused(t, "a commitment far ahead", func() error { _, err := challenger.Commit(ctx, id, 1_000_000, [32]byte{1}); return err }(), "the round is ahead of the swarm")
	d := must[uint64](t)(func() (uint64, error) {
		d, _, err := challenger.OpenDispute(ctx, id, 1, honest.Address(), [32]byte{0xee}, ether(1))
		return d, err
	}())
	sybil, _ := account(t, e, contract)
	must[any](t)(sybil.Register(ctx, nil, false))
	must[any](t)(sybil.Join(ctx, id, ether(1)))
	sig := must[[]byte](t)(sybil.SignRuling(ctx, d, true, [32]byte{1}))
	refused(t, "a sybil's signature", func() error { _, err := challenger.Rule(ctx, d, true, [32]byte{1}, [][]byte{sig}); return err }(), "a signer did not commit for the disputed round")
	// Committing for the round now makes it one more member of the round: the ruling
	// then needs a majority of the two others, the honest third member among them.
	must[any](t)(sybil.Commit(ctx, id, 1, [32]byte{5}))
	must[any](t)(challenger.Rule(ctx, d, true, [32]byte{1}, [][]byte{sig}))
	if x := must[chain.Dispute](t)(challenger.Dispute(ctx, d)); x.State != chain.Open {
		t.Fatalf("one sybil's signature settled the dispute: %s", chain.StateName(x.State))
	}
}

// TestSlashedWinnerIsNotPaid: a round's most-voted member that is slashed before the
// reward is claimed gets nothing; the reward stays in the pool. And the Go swarm ID is
// the contract's.
func TestSlashedWinnerIsNotPaid(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	var cs []*chain.Chain
	for range 3 {
		c, _ := account(t, e, contract)
		must[any](t)(c.Register(ctx, nil, false))
		cs = append(cs, c)
	}
	spec := testSpec(ether(1), ether(1), 1)
	id, _, err := cs[0].CreateSwarm(ctx, spec, ether(5))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := chain.NewCoordinator().Instance(e.Client(), contract).CallRaw(nil, chain.NewCoordinator().PackSwarmId(spec))
	if err != nil || [32]byte(raw) != id {
		t.Fatalf("the contract's swarm ID %x (%v), Go's %x", raw, err, id)
	}
	for _, c := range cs {
		must[any](t)(c.Join(ctx, id, ether(1)))
		must[any](t)(c.Commit(ctx, id, 1, [32]byte{1}))
	}
	winner := cs[1]
	must[any](t)(cs[0].Vote(ctx, id, 1, winner.Address()))
	must[any](t)(cs[2].Vote(ctx, id, 1, winner.Address()))
	d := must[uint64](t)(func() (uint64, error) {
		d, _, err := cs[0].OpenDispute(ctx, id, 1, winner.Address(), [32]byte{2}, ether(1))
		return d, err
	}())
	sig := must[[]byte](t)(cs[2].SignRuling(ctx, d, true, [32]byte{3}))
	must[any](t)(cs[0].Rule(ctx, d, true, [32]byte{3}, [][]byte{sig}))
	seal(e, int(spec.VoteBlocks)+1)
	must[any](t)(cs[2].ClaimReward(ctx, id, 1))
	if got := must[*big.Int](t)(cs[0].Credit(ctx, winner.Address())); got.Sign() != 0 {
		t.Fatalf("the slashed winner was credited %s", got)
	}
	if sw := must[chain.Swarm](t)(cs[0].Swarm(ctx, id)); sw.Pool.Cmp(ether(5)) != 0 {
		t.Fatalf("the pool holds %s after a slashed winner's round, want all 5 ether", sw.Pool)
	}
}
