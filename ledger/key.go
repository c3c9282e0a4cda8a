package ledger

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeyFile is the node key's file name in the data directory.
const KeyFile = "node.key"

// LoadOrCreateKey returns the node key in dir, creating it (mode 0600) on first use. The
// same key is the node's Ethereum address and, later, its libp2p identity.
func LoadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := crypto.LoadECDSA(path)
	if err == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("node key %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err = crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	// Write to a temporary file, then rename: a crash never leaves half a key.
	tmp := path + ".tmp"
	if err := crypto.SaveECDSA(tmp, key); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return key, nil
}

// Address is the Ethereum address of a key.
func Address(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }
