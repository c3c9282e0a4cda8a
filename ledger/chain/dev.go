package chain

import (
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// DevChainID is the chain ID of development chains: the embedded chain and geth --dev.
const DevChainID = 1337

// DevKey is the development faucet's key: geth --dev's own developer key, public and
// well known, so the faucet is funded on geth --dev as on the embedded chain. On a
// development chain anyone may spend from it, which is what funds nodes there; on any
// other chain it is worthless.
func DevKey() *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
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
