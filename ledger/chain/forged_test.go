package chain_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// TestRegistrationIsBoundToTheKey: a node cannot register under a peer ID that is not
// its own key's, whether it claims the other key or only the other peer ID.
func TestRegistrationIsBoundToTheKey(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	mallory, malloryKey := account(t, e, contract)
	_, victim := account(t, e, contract)
	victimPub := crypto.FromECDSAPub(&victim.PublicKey)[1:]
	victimPeer := chain.PeerIDBytes(&victim.PublicKey)
	refused(t, "registering the victim's key and peer ID", func() error {
		_, err := mallory.RegisterAs(ctx, victimPeer, victimPub, nil, true)
		return err
	}(), "public key is not the sender's")
	refused(t, "registering the victim's peer ID with one's own key", func() error {
		_, err := mallory.RegisterAs(ctx, victimPeer, crypto.FromECDSAPub(&malloryKey.PublicKey)[1:], nil, true)
		return err
	}(), "peer ID is not the sender's key")
	if n := must[chain.NodeInfo](t)(mallory.Node(ctx, mallory.Address())); n.Registered != 0 {
		t.Fatal("a refused registration was recorded")
	}
	must[any](t)(mallory.Register(ctx, nil, false))
	if n := must[chain.NodeInfo](t)(mallory.Node(ctx, mallory.Address())); string(n.PeerId) == string(victimPeer) {
		t.Fatal("mallory holds the victim's peer ID")
	}
}

// TestForgedAndReplayedTransactions: a signed transaction sent twice is refused the
// second time; one signed for another chain is refused; one whose data was changed after
// signing comes from another (unfunded) account and is refused.
func TestForgedAndReplayedTransactions(t *testing.T) {
	e, contract := openChain(t)
	ctx := testCtx(t)
	c, key := account(t, e, contract)
	b := e.Client()
	coord := chain.NewCoordinator()
	sign := func(chainID int64, nonce uint64, data []byte) *types.Transaction {
		tx, err := types.SignNewTx(key, types.LatestSignerForChainID(big.NewInt(chainID)), &types.DynamicFeeTx{
			ChainID: big.NewInt(chainID), Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 5_000_000, To: &contract, Data: data,
		})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	nonce := must[uint64](t)(b.PendingNonceAt(ctx, c.Address()))
	reg := coord.PackRegister(chain.PeerIDBytes(&key.PublicKey), crypto.FromECDSAPub(&key.PublicKey)[1:], nil, false)
	tx := sign(chain.DevChainID, nonce, reg)
	if err := b.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for {
		if rec, err := b.TransactionReceipt(ctx, tx.Hash()); err == nil {
			if rec.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("the registration failed: gas used %d", rec.GasUsed)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := must[chain.NodeInfo](t)(c.Node(ctx, c.Address())); n.Registered == 0 {
		t.Fatal("the registration did not take")
	}
	if err := b.SendTransaction(ctx, tx); err == nil || !strings.Contains(err.Error(), "nonce too low") && !strings.Contains(err.Error(), "already known") {
		t.Fatalf("a replayed transaction: %v, want it refused", err)
	}
	if err := b.SendTransaction(ctx, sign(1, nonce+1, reg)); err == nil {
		t.Fatal("a transaction signed for chain 1 was accepted by the development chain")
	} else if !strings.Contains(err.Error(), "chain") && !strings.Contains(err.Error(), "sender") {
		t.Logf("refused: %v", err)
	}
	// Change the data of a signed transaction: the signature now recovers another
	// account, which has no ether and no registration.
	good := sign(chain.DevChainID, nonce+1, coord.PackCommit([32]byte{1}, 1, [32]byte{2}))
	v, r, s := good.RawSignatureValues()
	forged := types.NewTx(&types.DynamicFeeTx{
		ChainID: big.NewInt(chain.DevChainID), Nonce: nonce + 1, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 5_000_000, To: &contract,
		Data: coord.PackCommit([32]byte{1}, 1, [32]byte{3}), V: v, R: r, S: s,
	})
	from, err := types.Sender(types.LatestSignerForChainID(big.NewInt(chain.DevChainID)), forged)
	if err == nil && from == c.Address() {
		t.Fatal("a changed transaction still recovers its signer")
	}
	if err := b.SendTransaction(ctx, forged); err == nil {
		t.Fatal("a forged transaction was accepted")
	}
}
