package chain

import (
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func newType(t string) (abi.Type, error) { return abi.NewType(t, "", nil) }

func abiArgs(ts ...abi.Type) abi.Arguments {
	out := make(abi.Arguments, len(ts))
	for i, t := range ts {
		out[i] = abi.Argument{Type: t}
	}
	return out
}

// disputeKey is the contract's key of a dispute: keccak256(abi.encode(swarm, round,
// accused, challenger)).
func disputeKey(id [32]byte, round uint64, accused, challenger common.Address) ([32]byte, error) {
	b32, _ := newType("bytes32")
	u64, _ := newType("uint64")
	addr, _ := newType("address")
	packed, err := abiArgs(b32, u64, addr, addr).Pack(id, round, accused, challenger)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(keccak(packed)), nil
}

func keccak(b []byte) common.Hash { return common.BytesToHash(crypto.Keccak256(b)) }
