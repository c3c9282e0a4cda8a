package chain

import (
	"crypto/ecdsa"
	"crypto/sha256"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// DevChainID is the chain ID of development chains: the embedded chain and geth --dev.
const DevChainID = 1337

// DevKey is the development faucet's key. It is public (derived from a fixed phrase):
// on a development chain anyone may spend from the faucet, which is what funds nodes
// there; on any other chain it is worthless.
func DevKey() *ecdsa.PrivateKey {
	seed := sha256.Sum256([]byte("lockstep development faucet v1"))
	k, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic(err) // a fixed, valid scalar
	}
	return k
}

// DevAddress is the faucet's address.
func DevAddress() common.Address { return crypto.PubkeyToAddress(DevKey().PublicKey) }

// DevContract is where the faucet's first transaction deploys the coordinator: the
// embedded chain's contract, found without configuration.
func DevContract() common.Address { return crypto.CreateAddress(DevAddress(), 0) }
