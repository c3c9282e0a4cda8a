package chain_test

import (
	"context"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// TestSubmitterSurvivesOutagesAndRestarts: submissions go from the ledger's outbox to a
// chain served over JSON-RPC; while the chain is down they wait (the submitter says it
// is failing, and keeps going); a node restarted meanwhile finds them in its ledger and
// sends them once the chain is back; a submission already on chain is not an error.
func TestSubmitterSurvivesOutagesAndRestarts(t *testing.T) {
	chainDir, nodeDir := t.TempDir(), t.TempDir()
	serve := "127.0.0.1:" + freePort(t)
	ctx := testCtx(t)
	e, err := chain.OpenEmbedded(chainDir, chain.EmbeddedOptions{Serve: serve, Idle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, contract := deployed(t, &testChain{b: e.Client(), seal: e.Seal})
	key, err := ledger.LoadOrCreateKey(nodeDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Fund(ctx, e.Client(), ledger.Address(key), ether(10)); err != nil {
		t.Fatal(err)
	}
	rpc, err := ethclient.Dial("http://" + serve)
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()

	start := func() (*ledger.Ledger, *chain.Submitter, func()) {
		led, err := ledger.Open(nodeDir, ledger.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		c, err := chain.New(ctx, rpc, key, contract)
		if err != nil {
			// The chain may be down: a client needs it only to start.
			t.Fatal(err)
		}
		var mu sync.Mutex
		var lines []string
		s := chain.NewSubmitter(c, led, func(kind, text string) {
			mu.Lock()
			lines = append(lines, kind+": "+text)
			mu.Unlock()
		})
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.Run(rctx); close(done) }()
		return led, s, func() {
			cancel()
			<-done
			led.Close()
			mu.Lock()
			t.Logf("submitter said:\n%s", strings.Join(lines, "\n"))
			mu.Unlock()
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("waited a minute for %s", what)
			}
		}
	}
	spec := testSpec(ether(1), big.NewInt(0), 1)
	id := chain.SwarmID(spec)
	view := must[*chain.Chain](t)(chain.New(ctx, e.Client(), key, contract))
	rootOn := func(c *chain.Chain, r uint64) [32]byte { v, _ := c.RootOf(ctx, id, r, ledger.Address(key)); return v }

	led, s, stop := start()
	for _, sub := range []struct {
		kind string
		body any
	}{
		{"register", chain.RegisterSub{Addrs: []string{"/ip4/127.0.0.1/tcp/1"}}},
		{"create", chain.CreateSub{Spec: chain.AsJSON(spec), Pool: "0"}},
		{"join", chain.JoinSub{Swarm: id, Stake: ether(1).String()}},
		{"commit", chain.CommitSub{Swarm: id, Round: 1, Root: [32]byte{1}}},
		{"commit", chain.CommitSub{Swarm: id, Round: 1, Root: [32]byte{1}}}, // twice: already on chain
	} {
		if err := s.Submit(sub.kind, sub.body); err != nil {
			t.Fatal(err)
		}
	}
	waitFor("round 1's commitment", func() bool { return rootOn(view, 1) == [32]byte{1} })
	waitFor("an empty outbox", func() bool { q, _ := led.Outbox(); return len(q) == 0 })
	if st := s.Status(); st.Submitted != 4 || st.LastGas["commit"] == 0 || st.Failing != "" {
		t.Fatalf("status after 4 transactions: %+v", st)
	}

	// The chain goes down; the node commits two more rounds and is restarted.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	s.Submit("commit", chain.CommitSub{Swarm: id, Round: 2, Root: [32]byte{2}})
	s.Submit("commit", chain.CommitSub{Swarm: id, Round: 3, Root: [32]byte{3}})
	waitFor("the submitter to say the chain is down", func() bool { return s.Status().Failing != "" })
	stop()
	led2, err := ledger.Open(nodeDir, ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := led2.Outbox(); len(q) != 2 {
		t.Fatalf("the outbox kept %d submissions over the restart, want 2", len(q))
	}
	led2.Close()

	e2, err := chain.OpenEmbedded(chainDir, chain.EmbeddedOptions{Serve: serve, Idle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	led, _, stop = start()
	defer stop()
	view2 := must[*chain.Chain](t)(chain.New(ctx, e2.Client(), key, contract))
	waitFor("rounds 2 and 3 after the restart", func() bool { return rootOn(view2, 2) == [32]byte{2} && rootOn(view2, 3) == [32]byte{3} })
	waitFor("an empty outbox", func() bool { q, _ := led.Outbox(); return len(q) == 0 })
}

// TestOneBadSubmissionDoesNotHoldUpTheRest: a submission that cannot be sent (a bond
// beyond the account's balance) is tried a few times and dropped, while the ones behind
// it go through; and submissions queued at once from many goroutines are all kept.
func TestOneBadSubmissionDoesNotHoldUpTheRest(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	c, _ := account(t, e, contract)
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	s := chain.NewSubmitter(c, led, nil)
	s.MaxRefusals = 2
	spec := testSpec(ether(1), big.NewInt(0), 1)
	id := chain.SwarmID(spec)
	var wg sync.WaitGroup
	for _, sub := range []struct {
		kind string
		body any
	}{
		{"register", chain.RegisterSub{}},
		{"create", chain.CreateSub{Spec: chain.AsJSON(spec), Pool: "0"}},
		{"join", chain.JoinSub{Swarm: id, Stake: ether(1).String()}},
	} {
		if err := s.Submit(sub.kind, sub.body); err != nil {
			t.Fatal(err)
		}
	}
	// A bond of 1,000 ether: the account has 100.
	if err := s.Submit("dispute", chain.DisputeSub{Swarm: id, Round: 1, Accused: c.Address(), Bond: ether(1000).String()}); err != nil {
		t.Fatal(err)
	}
	for r := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Submit("commit", chain.CommitSub{Swarm: id, Round: 1, Root: [32]byte{byte(r + 1)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if q, _ := led.Outbox(); len(q) != 24 {
		t.Fatalf("the outbox holds %d of 24 submissions queued", len(q))
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(rctx)
	for end := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if root, _ := c.RootOf(ctx, id, 1, c.Address()); root != ([32]byte{}) && s.Status().Dropped >= 1 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after 90 s: status %+v", s.Status())
		}
	}
}
