package p2p

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PrivKey is the node key as a libp2p key: the same secp256k1 scalar.
func PrivKey(key *ecdsa.PrivateKey) (crypto.PrivKey, error) {
	return crypto.UnmarshalSecp256k1PrivateKey(ethcrypto.FromECDSA(key))
}

// PeerID is the libp2p peer ID of the node key. A secp256k1 public key is small enough
// to be inlined in its peer ID, so the ID carries the key itself.
func PeerID(key *ecdsa.PrivateKey) (peer.ID, error) {
	pk, err := PrivKey(key)
	if err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(pk)
}

// Address is the Ethereum address of a peer, read from the public key its ID carries.
// Only secp256k1 peers have one: Lockstep nodes refuse any other.
func Address(id peer.ID) (common.Address, error) {
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return common.Address{}, fmt.Errorf("peer %s: no public key in its ID: %w", id, err)
	}
	secp, ok := pub.(*crypto.Secp256k1PublicKey)
	if !ok {
		return common.Address{}, fmt.Errorf("peer %s has a %s key, not secp256k1: it has no Ethereum address", id, pub.Type())
	}
	raw, err := secp.Raw()
	if err != nil {
		return common.Address{}, err
	}
	ecdsaPub, err := ethcrypto.DecompressPubkey(raw)
	if err != nil {
		return common.Address{}, fmt.Errorf("peer %s: %w", id, err)
	}
	return ethcrypto.PubkeyToAddress(*ecdsaPub), nil
}
