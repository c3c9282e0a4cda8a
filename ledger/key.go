package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeyFile is the node key's file name in the data directory.
const KeyFile = "node.key"

// keyFormat names the key file's format (RATIONALE.md: why a checksummed plain file and
// not an encrypted keystore). The checksum covers it.
const keyFormat = "lockstep/node-key/v1"

// maxKeyFile bounds what is read: a key file is about 250 bytes.
const maxKeyFile = 4 << 10

// keyLockWait is how long a process waits for another one to finish creating the key,
// where the file system has no hard links and creation goes through a lock file.
const keyLockWait = 10 * time.Second

// keyFile is the key file's content, in this order, as JSON with two-space indents and a
// final newline. Address is derived from Key and Checksum covers the other three, so a
// changed bit anywhere is found; the file must also be byte for byte what encodeKey writes.
type keyFile struct {
	Format   string `json:"format"`
	Address  string `json:"address"`
	Key      string `json:"key"`
	Checksum string `json:"checksum"`
}

func keyChecksum(f keyFile) string {
	h := sha256.Sum256([]byte(f.Format + "\n" + f.Address + "\n" + f.Key + "\n"))
	return hex.EncodeToString(h[:])
}

func encodeKey(key *ecdsa.PrivateKey) []byte {
	f := keyFile{Format: keyFormat, Address: Address(key).Hex(), Key: hex.EncodeToString(crypto.FromECDSA(key))}
	f.Checksum = keyChecksum(f)
	js, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		panic("BUG: encoding a key file: " + err.Error())
	}
	return append(js, '\n')
}

// LoadOrCreateKey returns the node key in dir, creating it (mode 0600) on first use. The
// same key is the node's Ethereum address and, later, its libp2p identity.
//
// Every process of a data dir gets the same key: creation never replaces a key file, and a
// process that loses the race to create it reads the winner's. A key file that is damaged
// or cannot be read is an error (ErrKeyDamaged for damage), never a reason to make a new
// key, since the node's runs are signed by it. A key file of the previous format (64 hex
// digits) is read and rewritten in the current one.
func LoadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	return loadOrCreateKey(dir, os.Link)
}

// LoadKey returns the node key in dir, which must exist.
func LoadKey(dir string) (*ecdsa.PrivateKey, error) { return loadKey(filepath.Join(dir, KeyFile)) }

// loadOrCreateKey is LoadOrCreateKey with the hard-link call passed in, so tests can take
// the path for file systems without hard links.
func loadOrCreateKey(dir string, link func(oldname, newname string) error) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, err = crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	created, err := createKeyFile(path, encodeKey(key), link)
	if err != nil {
		return nil, fmt.Errorf("creating node key %s: %w", path, err)
	}
	if created {
		return key, nil
	}
	// Another process created the key first: its key is this node's.
	return loadKey(path)
}

// createKeyFile puts data at path unless a file is there already, and says whether it did.
// The data is written and synced under a temporary name first and then hard-linked to
// path, which fails if path exists, so nobody ever sees half a key and no key is ever
// replaced. Where the file system has no hard links, a lock file created exclusively
// serialises the creators instead.
func createKeyFile(path string, data []byte, link func(oldname, newname string) error) (bool, error) {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err = link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err == nil {
		syncDir(dir)
		return true, nil
	}
	return createKeyFileLocked(path, tmp)
}

// createKeyFileLocked moves tmp to path while holding path+".lock", unless path exists.
func createKeyFileLocked(path, tmp string) (bool, error) {
	lock := path + ".lock"
	for deadline := time.Now().Add(keyLockWait); ; {
		f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		// Another process is creating the key: wait for it.
		if _, err := os.Lstat(path); err == nil {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("another process has been creating it for %v (lock file %s); if no lockstep process is starting, delete the lock file", keyLockWait, lock)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer os.Remove(lock)
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, err
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

// writeTemp writes data to a new file (mode 0600) in dir, synced, and returns its name.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, KeyFile+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes a new name in dir durable. It is best effort: Windows cannot sync a
// directory (NTFS journals names itself), and some file systems refuse to, and the key is
// in place either way.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// loadKey reads the key file at path. A missing file is an error that wraps
// fs.ErrNotExist; a damaged one wraps ErrKeyDamaged.
func loadKey(path string) (*ecdsa.PrivateKey, error) {
	data, mode, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("node key %s cannot be read (%v): fix its permissions or restore it from a backup of the data dir; lockstep does not make a new key while one is there", path, err)
	}
	key, legacy, err := decodeKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s; restore it from a backup of the data dir. The runs in this node's ledger are signed by this key, so lockstep never makes a new one over it; delete the file only to start again as a new node", ErrKeyDamaged, path, err)
	}
	// Windows has no Unix permission bits: Go reports 0666 for every writable file.
	if runtime.GOOS != "windows" && mode.Perm()&0o077 != 0 {
		return nil, fmt.Errorf("node key %s is readable by others (mode %v): chmod 600 it", path, mode.Perm())
	}
	if legacy {
		upgradeKeyFile(path, key)
	}
	return key, nil
}

// readKeyFile returns the file's first maxKeyFile+1 bytes and its mode, and closes it
// (Windows cannot rename over an open file, as upgradeKeyFile does).
func readKeyFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	return data, st.Mode(), err
}

// upgradeKeyFile rewrites a key file of the previous format in the current one, so that
// damage to it is found from now on. It is best effort: where it fails (a read-only data
// dir, say) the old file keeps working. Concurrent upgraders write the same bytes.
func upgradeKeyFile(path string, key *ecdsa.PrivateKey) {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, encodeKey(key))
	if err != nil {
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return
	}
	syncDir(dir)
}

// decodeKey parses a key file, current or previous format, and says whether it was the
// previous one. Its errors complete the sentence "node key PATH ...".
func decodeKey(data []byte) (key *ecdsa.PrivateKey, legacy bool, err error) {
	switch {
	case len(data) == 0:
		return nil, false, errors.New("is empty")
	case len(data) > maxKeyFile:
		return nil, false, fmt.Errorf("is longer than %d bytes", maxKeyFile)
	case data[0] != '{':
		key, err := decodeLegacyKey(data)
		return key, true, err
	}
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, false, fmt.Errorf("is not a valid key file (%v)", err)
	}
	if f.Format != keyFormat {
		return nil, false, fmt.Errorf("has format %q, not %q (damaged, or written by a newer lockstep)", f.Format, keyFormat)
	}
	if keyChecksum(f) != f.Checksum {
		return nil, false, errors.New("does not match its checksum")
	}
	d, err := hex.DecodeString(f.Key)
	if err != nil {
		return nil, false, fmt.Errorf("has a key that is not hex (%v)", err)
	}
	key, err = crypto.ToECDSA(d)
	if err != nil {
		return nil, false, fmt.Errorf("has an invalid key (%v)", err)
	}
	if a := Address(key).Hex(); a != f.Address {
		return nil, false, fmt.Errorf("holds a key whose address %s is not the recorded %s", a, f.Address)
	}
	// The parsed fields are right, so anything else that differs (letter case, spacing,
	// a repeated field) is damage too. CRLF line ends, from a copy through Windows, are not.
	want := encodeKey(key)
	if !bytes.Equal(data, want) && !bytes.Equal(data, bytes.ReplaceAll(want, []byte("\n"), []byte("\r\n"))) {
		return nil, false, errors.New("is not byte for byte as lockstep wrote it")
	}
	return key, false, nil
}

// decodeLegacyKey reads the previous format, crypto.SaveECDSA's: 64 hex digits, which
// crypto.LoadECDSA allows up to two line ends after. It has no checksum, so only the
// length, the digits and the key's range can be checked.
func decodeLegacyKey(data []byte) (*ecdsa.PrivateKey, error) {
	hx := bytes.TrimRight(data, "\r\n")
	if len(hx) != 64 || len(data)-len(hx) > 2 {
		return nil, fmt.Errorf("is neither a key file nor an old-format one (64 hex digits): it holds %d bytes", len(data))
	}
	d, err := hex.DecodeString(string(hx))
	if err != nil {
		return nil, fmt.Errorf("is an old-format key file with a character that is not hex (%v)", err)
	}
	key, err := crypto.ToECDSA(d)
	if err != nil {
		return nil, fmt.Errorf("is an old-format key file with an invalid key (%v)", err)
	}
	return key, nil
}

// Address is the Ethereum address of a key.
func Address(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }
