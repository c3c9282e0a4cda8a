package chain_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// TestSimulatedBackend runs the whole flow and the deadlines on
// go-ethereum's simulated backend itself (in memory, blocks sealed by Commit), as well as
// on the embedded chain built from its parts.
func TestSimulatedBackend(t *testing.T) {
	faucet := new(big.Int).Lsh(big.NewInt(1), 200)
	sim := simulated.NewBackend(types.GenesisAlloc{chain.DevAddress(): {Balance: faucet}})
	defer sim.Close()
	b := &sealing{sim.Client().(chain.Backend), sim} // an ethclient underneath
	if id, err := b.ChainID(testCtx(t)); err != nil || id.Uint64() != chain.DevChainID {
		t.Fatalf("the simulated backend's chain ID is %v (%v), want %d", id, err, chain.DevChainID)
	}
	tc, contract := deployed(t, &testChain{b: b, seal: func() { sim.Commit() }})
	t.Run("flow", func(t *testing.T) { wholeFlow(t, tc, contract) })
	t.Run("deadlines", func(t *testing.T) { disputeDeadlines(t, tc, contract) })
}

// sealing seals a block after each transaction sent, as the embedded chain does when one
// waits.
type sealing struct {
	chain.Backend
	sim *simulated.Backend
}

func (s *sealing) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := s.Backend.SendTransaction(ctx, tx); err != nil {
		return err
	}
	s.sim.Commit()
	return nil
}
