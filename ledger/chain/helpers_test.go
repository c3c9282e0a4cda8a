package chain_test

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testChain is a chain the tests run on: the embedded chain, or geth --dev.
type testChain struct {
	b    chain.Backend
	seal func() // a block more (sealed now, or waited for)
}

func (c *testChain) Client() chain.Backend { return c.b }
func (c *testChain) Seal()                 { c.seal() }

// openChain opens an embedded chain in a temporary directory that seals only on demand
// (a block per waiting transaction, or Seal), with the coordinator deployed.
func openChain(t testing.TB) (*testChain, common.Address) {
	t.Helper()
	e, err := chain.OpenEmbedded(t.TempDir(), chain.EmbeddedOptions{Idle: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return deployed(t, &testChain{b: e.Client(), seal: e.Seal})
}

func deployed(t testing.TB, tc *testChain) (*testChain, common.Address) {
	t.Helper()
	addr, err := chain.EnsureDev(testCtx(t), tc.b)
	if err != nil {
		t.Fatal(err)
	}
	return tc, addr
}

// account makes a funded account's client.
func account(t testing.TB, e *testChain, contract common.Address) (*chain.Chain, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := chain.Fund(ctx, e.b, crypto.PubkeyToAddress(key.PublicKey), ether(100)); err != nil {
		t.Fatal(err)
	}
	c, err := chain.New(ctx, e.b, key, contract)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// refused checks that err is the contract's refusal with the given reason.
func refused(t testing.TB, what string, err error, reason string) {
	t.Helper()
	var r *chain.Reverted
	if err == nil {
		t.Fatalf("%s: accepted, want refused (%q)", what, reason)
	}
	if !chain.IsReverted(err) {
		t.Fatalf("%s: %v, want the coordinator's refusal %q", what, err, reason)
	}
	if errorsAs(err, &r); r.Reason != reason {
		t.Fatalf("%s: refused with %q, want %q", what, r.Reason, reason)
	}
}

// seal seals n empty blocks.
func seal(e *testChain, n int) {
	for range n {
		e.Seal()
	}
}

func testSpec(stake, reward *big.Int, quorum uint8) chain.Spec {
	return chain.Spec{
		Module: [32]byte{1}, Data: [32]byte{2}, Config: [32]byte{3},
		Stake: stake, Reward: reward, VoteBlocks: 40, AnswerBlocks: 5, RuleBlocks: 5, Quorum: quorum,
	}
}
