package chain_test

import (
	"fmt"
	"math/big"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// BenchmarkGas measures the gas of each operation on the embedded chain (geth --dev's
// rules), and of one round of commitments by a swarm of 100 members, beside the block
// gas limit it must fit in:
//
//	go test ./ledger/chain -run '^$' -bench Gas -benchtime 1x
func BenchmarkGas(b *testing.B) {
	for range b.N {
		measureGas(b)
	}
}

func measureGas(b *testing.B) {
	e, contract := openChain(b)
	ctx := testCtx(b)
	const n = 100
	cs := make([]*chain.Chain, n)
	gas := map[string]uint64{}
	note := func(op string, rec *types.Receipt, err error) {
		b.Helper()
		if err != nil {
			b.Fatalf("%s: %v", op, err)
		}
		gas[op] = rec.GasUsed
	}
	for i := range cs {
		cs[i], _ = account(b, e, contract)
		if bal, _ := cs[i].Balance(ctx); bal.Sign() == 0 {
			b.Fatalf("account %d unfunded", i)
		}
		rec, err := cs[i].Register(ctx, []string{"/ip4/203.0.113.7/tcp/4001", "/ip4/203.0.113.7/udp/4001/quic-v1"}, true)
		if err != nil {
			bal, _ := cs[i].Balance(ctx)
			b.Logf("account %d %s balance %s", i, cs[i].Address(), bal)
		}
		note("register (2 addresses)", rec, err)
	}
	spec := testSpec(ether(1), big.NewInt(1e15), 2)
	spec.VoteBlocks = 1000
	id, rec, err := cs[0].CreateSwarm(ctx, spec, ether(1))
	note("create swarm", rec, err)
	for _, c := range cs {
		rec, err := c.Join(ctx, id, ether(1))
		note("join", rec, err)
	}
	var round uint64
	for i, c := range cs {
		rec, err := c.Commit(ctx, id, 1, [32]byte{1, byte(i)})
		note("commit", rec, err)
		round += rec.GasUsed
	}
	var votes uint64
	for i, c := range cs {
		rec, err := c.Vote(ctx, id, 1, cs[(i+1)%n].Address())
		note("vote", rec, err)
		votes += rec.GasUsed
	}
	seal(e, int(spec.VoteBlocks)+1)
	rec, err = cs[0].ClaimReward(ctx, id, 1)
	note("claim reward", rec, err)
	// The dispute in a swarm of four (of the same members): its ruling needs the two
	// members who are not parties.
	small := spec
	small.Config = [32]byte{4}
	sid, rec, err := cs[0].CreateSwarm(ctx, small, nil)
	note("create swarm", rec, err)
	for i, c := range cs[:4] {
		_, err := c.Join(ctx, sid, ether(1))
		if err == nil {
			_, err = c.Commit(ctx, sid, 1, [32]byte{2, byte(i)})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	d, rec, err := cs[0].OpenDispute(ctx, sid, 1, cs[1].Address(), [32]byte{9}, ether(1))
	note("open dispute", rec, err)
	rec, err = cs[1].Answer(ctx, d)
	note("answer", rec, err)
	var sigs [][]byte
	for _, c := range cs[2:4] {
		s, err := c.SignRuling(ctx, d, true, [32]byte{7})
		if err != nil {
			b.Fatal(err)
		}
		sigs = append(sigs, s)
	}
	rec, err = cs[2].Rule(ctx, d, true, [32]byte{7}, sigs[:1])
	note("rule (a referee's signature, counted)", rec, err)
	rec, err = cs[3].Rule(ctx, d, true, [32]byte{7}, sigs[1:])
	note("rule (the signature that settles it)", rec, err)
	rec, err = cs[0].Withdraw(ctx)
	note("withdraw", rec, err)

	out := os.Stdout
	fmt.Fprintln(out, "\n| operation | gas |\n| --- | ---: |")
	for _, op := range []string{"register (2 addresses)", "create swarm", "join", "commit", "vote", "claim reward", "open dispute", "answer", "rule (a referee's signature, counted)", "rule (the signature that settles it)", "withdraw"} {
		fmt.Fprintf(out, "| %s | %d |\n", op, gas[op])
	}
	fmt.Fprintf(out, "\none round of commitments, %d members: %d gas; block gas limit %d: %.1f%% of one block\n", n, round, chain.DevGasLimit, 100*float64(round)/chain.DevGasLimit)
	fmt.Fprintf(out, "with a vote each: %d gas a round, %.1f%% of one block\n", round+votes, 100*float64(round+votes)/chain.DevGasLimit)
	b.ReportMetric(float64(gas["commit"]), "gas/commit")
	b.ReportMetric(float64(round), "gas/round-of-100")
}
