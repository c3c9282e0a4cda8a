package chain_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// TestEmbeddedChainPersists: a restarted embedded chain has its blocks, its coordinator
// and what was registered there; a second process cannot open it at the same time.
func TestEmbeddedChainPersists(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	e, err := chain.OpenEmbedded(dir, chain.EmbeddedOptions{Idle: -1})
	if err != nil {
		t.Fatal(err)
	}
	tc, contract := deployed(t, &testChain{b: e.Client(), seal: e.Seal})
	c, key := account(t, tc, contract)
	must[any](t)(c.Register(ctx, []string{"/ip4/127.0.0.1/tcp/1"}, true))
	head := must[uint64](t)(e.BlockNumber(ctx))
	if _, err := chain.OpenEmbedded(dir, chain.EmbeddedOptions{Idle: -1}); err == nil || !strings.Contains(err.Error(), "already used by another process") {
		t.Fatalf("a second open of a chain in use: %v, want it refused", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e2, err := chain.OpenEmbedded(dir, chain.EmbeddedOptions{Idle: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got := must[uint64](t)(e2.BlockNumber(ctx)); got != head {
		t.Fatalf("reopened at block %d, closed at %d", got, head)
	}
	if addr, err := chain.EnsureDev(ctx, e2.Client()); err != nil || addr != contract {
		t.Fatalf("coordinator after reopening: %s, %v; want %s", addr, err, contract)
	}
	c2, err := chain.New(ctx, e2.Client(), key, contract)
	if err != nil {
		t.Fatal(err)
	}
	n := must[chain.NodeInfo](t)(c2.Node(ctx, crypto.PubkeyToAddress(key.PublicKey)))
	if n.Registered == 0 || len(n.Addrs) != 1 || !n.Bootnode {
		t.Fatalf("the registration after reopening: %+v", n)
	}
	// And it goes on: a transaction after the restart is mined.
	must[any](t)(c2.Register(ctx, nil, false))
}
