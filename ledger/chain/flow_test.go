package chain_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/ledger/chain"
	"github.com/lockstep-ml/lockstep/p2p"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestWholeFlow registers four nodes, runs a swarm of them for three rounds with
// commitments and votes, pays the rounds' rewards, and disputes the one member that
// commits another root: two referees sign the ruling, the faulty member's stake is
// slashed and the challenger paid, and the member can commit no more.
func TestWholeFlow(t *testing.T) {
	e, contract := openChain(t)
	wholeFlow(t, e, contract)
}

func wholeFlow(t *testing.T, e *testChain, contract common.Address) {
	ctx := testCtx(t)
	var cs []*chain.Chain
	for range 4 {
		c, key := account(t, e, contract)
		must[any](t)(c.Register(ctx, []string{"/ip4/127.0.0.1/tcp/4001"}, true))
		node := must[chain.NodeInfo](t)(c.Node(ctx, c.Address()))
		pid, err := p2p.PeerID(key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(node.PeerId, []byte(pid)) {
			t.Fatalf("the contract recorded peer ID %x, the node's is %x", node.PeerId, []byte(pid))
		}
		if a, err := p2p.Address(pid); err != nil || a != c.Address() {
			t.Fatalf("peer ID %s gives address %s (%v), the account is %s", pid, a, err, c.Address())
		}
		cs = append(cs, c)
	}
	if nodes := must[[]chain.NodeInfo](t)(cs[0].Nodes(ctx)); len(nodes) != 4 {
		t.Fatalf("%d nodes registered, want 4", len(nodes))
	}
	honest, faulty := cs[:3], cs[3]

	spec := testSpec(ether(1), new(big.Int).Div(ether(1), big.NewInt(10)), 2)
	id, _, err := cs[0].CreateSwarm(ctx, spec, ether(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cs[1].CreateSwarm(ctx, spec, nil); err == nil {
		t.Fatal("a second swarm of the same task and configuration was created")
	}
	refused(t, "join below the stake", func() error { _, err := cs[0].Join(ctx, id, big.NewInt(1)); return err }(), "stake below the swarm's")
	for _, c := range cs {
		must[any](t)(c.Join(ctx, id, ether(1)))
	}
	if sw := must[chain.Swarm](t)(cs[0].Swarm(ctx, id)); sw.Members != 4 || sw.Pool.Cmp(ether(1)) != 0 {
		t.Fatalf("swarm has %d members and a pool of %s, want 4 and 1 ether", sw.Members, sw.Pool)
	}

	good, bad := [32]byte{0xaa}, [32]byte{0xbb}
	for r := uint64(1); r <= 3; r++ {
		good[1], bad[1] = byte(r), byte(r)
		for _, c := range honest {
			must[any](t)(c.Commit(ctx, id, r, good))
		}
		must[any](t)(faulty.Commit(ctx, id, r, bad))
		// Everyone votes for the member after it: honest[1] gets two votes.
		for i, c := range cs {
			winner := cs[(i+1)%len(cs)].Address()
			if i == 1 {
				winner = honest[1].Address()
				refused(t, "a vote for oneself", func() error { _, err := c.Vote(ctx, id, r, winner); return err }(), "a member cannot vote for itself")
				winner = honest[2].Address()
			}
			if i == 2 {
				winner = honest[1].Address()
			}
			must[any](t)(c.Vote(ctx, id, r, winner))
		}
		refused(t, "a second commitment", func() error { _, err := honest[0].Commit(ctx, id, r, good); return err }(), "already committed for this round")
		refused(t, "a second vote", func() error { _, err := honest[0].Vote(ctx, id, r, honest[1].Address()); return err }(), "already voted for this round")
		if got := must[[32]byte](t)(cs[0].RootOf(ctx, id, r, faulty.Address())); got != bad {
			t.Fatalf("round %d: the faulty member's root reads %x", r, got)
		}
	}
	rd := must[chain.Round](t)(cs[0].Round(ctx, id, 1))
	if rd.Commits != 4 || rd.Leader != honest[1].Address() || rd.LeaderVotes != 2 {
		t.Fatalf("round 1: %d commits, leader %s with %d votes; want 4, %s with 2", rd.Commits, rd.Leader, rd.LeaderVotes, honest[1].Address())
	}
	refused(t, "a reward while voting is open", func() error { _, err := cs[0].ClaimReward(ctx, id, 3); return err }(), "voting for the round is still open")
	seal(e, 41)
	for r := uint64(1); r <= 3; r++ {
		must[any](t)(cs[0].ClaimReward(ctx, id, r))
	}
	refused(t, "a reward paid twice", func() error { _, err := cs[0].ClaimReward(ctx, id, 1); return err }(), "already paid")
	want := new(big.Int).Mul(spec.Reward, big.NewInt(3))
	if got := must[*big.Int](t)(cs[0].Credit(ctx, honest[1].Address())); got.Cmp(want) != 0 {
		t.Fatalf("the rounds' leader has %s wei credit, want %s", got, want)
	}
	commits := must[[]chain.Commitment](t)(cs[0].Commitments(ctx, id, 0))
	if len(commits) != 12 {
		t.Fatalf("%d Committed events, want 12", len(commits))
	}

	// honest[0] disputes the faulty member's round-2 commitment.
	bond := ether(1)
	refused(t, "a dispute of an honest root with the same evidence", func() error {
		good[1] = 2
		_, _, err := honest[0].OpenDispute(ctx, id, 2, honest[1].Address(), good, bond)
		return err
	}(), "the evidence is the accused's own root")
	d, _, err := honest[0].OpenDispute(ctx, id, 2, faulty.Address(), good, bond)
	if err != nil {
		t.Fatal(err)
	}
	if got := must[uint64](t)(cs[1].DisputeOf(ctx, id, 2, faulty.Address(), honest[0].Address())); got != d {
		t.Fatalf("DisputeOf finds %d, the dispute is %d", got, d)
	}
	refused(t, "an answer by another", func() error { _, err := honest[1].Answer(ctx, d); return err }(), "only the accused answers")
	must[any](t)(faulty.Answer(ctx, d))
	ruling := [32]byte{0x5e}
	s1 := must[[]byte](t)(honest[1].SignRuling(ctx, d, true, ruling))
	s2 := must[[]byte](t)(honest[2].SignRuling(ctx, d, true, ruling))
	if th := must[uint32](t)(cs[0].RulingThreshold(ctx, d)); th != 2 {
		t.Fatalf("a dispute among 4 members needs %d signatures, want 2 (the 2 others)", th)
	}
	// One referee's signature is counted but does not settle; it counts once.
	must[any](t)(honest[1].Rule(ctx, d, true, ruling, [][]byte{s1}))
	if x := must[chain.Dispute](t)(cs[0].Dispute(ctx, d)); x.State != chain.Answered {
		t.Fatalf("one signature of two settled the dispute: %s", chain.StateName(x.State))
	}
	refused(t, "a referee's signature again", func() error { _, err := faulty.Rule(ctx, d, true, ruling, [][]byte{s1}); return err }(), "a referee has signed this dispute already")
	before := must[*big.Int](t)(honest[0].Balance(ctx))
	// Anyone may submit the signatures, even the accused.
	must[any](t)(faulty.Rule(ctx, d, true, ruling, [][]byte{s2}))
	x := must[chain.Dispute](t)(cs[0].Dispute(ctx, d))
	if x.State != chain.AccusedLost || x.Ruling != ruling {
		t.Fatalf("dispute is %s with ruling %x", chain.StateName(x.State), x.Ruling)
	}
	m := must[chain.Member](t)(cs[0].Member(ctx, id, faulty.Address()))
	if m.Active || m.Stake.Sign() != 0 {
		t.Fatalf("the loser is still a member (%v) with stake %s", m.Active, m.Stake)
	}
	paid := must[*big.Int](t)(cs[0].Credit(ctx, honest[0].Address()))
	if want := new(big.Int).Add(bond, ether(1)); paid.Cmp(want) != 0 {
		t.Fatalf("the challenger's credit is %s, want its bond and the loser's stake, %s", paid, want)
	}
	must[any](t)(honest[0].Withdraw(ctx))
	after := must[*big.Int](t)(honest[0].Balance(ctx))
	if gain := new(big.Int).Sub(after, before); gain.Cmp(ether(1)) <= 0 {
		t.Fatalf("the challenger gained %s wei by withdrawing, want about 2 ether", gain)
	}
	refused(t, "a slashed member's commitment", func() error { _, err := faulty.Commit(ctx, id, 4, bad); return err }(), "not a member of the swarm")
	refused(t, "a second ruling", func() error { _, err := honest[1].Rule(ctx, d, false, ruling, [][]byte{s1, s2}); return err }(), "the dispute is settled")
	if sw := must[chain.Swarm](t)(cs[0].Swarm(ctx, id)); sw.Members != 3 {
		t.Fatalf("%d members after the slashing, want 3", sw.Members)
	}
}
