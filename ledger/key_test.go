package ledger

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestNodeKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil || Address(k1) != Address(k2) {
		t.Fatalf("reloading gave another key: %v", err)
	}
	if runtime.GOOS == "windows" {
		return // no Unix permission bits to check
	}
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := LoadOrCreateKey(dir); err == nil {
		t.Fatal("a world-readable key was accepted")
	}
}

// noHardLinks is os.Link on a file system without hard links (FAT, some network shares).
func noHardLinks(oldname, newname string) error {
	return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errors.ErrUnsupported}
}

// TestKeyCreationIsExclusive starts goroutines at once on a fresh data dir: all must get
// the key that is on disk, and nothing but the key file may be left behind.
func TestKeyCreationIsExclusive(t *testing.T) {
	for _, tc := range []struct {
		name string
		link func(oldname, newname string) error
	}{
		{"hard link", os.Link},
		{"no hard links", noHardLinks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const rounds, workers = 20, 8
			for round := range rounds {
				dir := filepath.Join(t.TempDir(), "data")
				keys := make([]*ecdsa.PrivateKey, workers)
				errs := make([]error, workers)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						keys[i], errs[i] = loadOrCreateKey(dir, tc.link)
					}()
				}
				close(start)
				wg.Wait()
				onDisk, err := LoadOrCreateKey(dir)
				if err != nil {
					t.Fatal(err)
				}
				for i := range workers {
					if errs[i] != nil {
						t.Fatalf("round %d, goroutine %d: %v", round, i, errs[i])
					}
					if Address(keys[i]) != Address(onDisk) {
						t.Fatalf("round %d: goroutine %d got key %s, but %s is on disk", round, i, Address(keys[i]).Hex(), Address(onDisk).Hex())
					}
				}
				if names := dirNames(t, dir); len(names) != 1 || names[0] != KeyFile {
					t.Fatalf("round %d: the data dir holds %v, want only %s", round, names, KeyFile)
				}
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// keyHelperEnv makes the test binary a key-creating process for
// TestKeyCreationAcrossProcesses: it says "ready", waits for a byte on stdin, loads or
// creates the key in the named dir and prints its address.
const keyHelperEnv = "LOCKSTEP_TEST_KEY_HELPER_DIR"

func TestKeyHelperProcess(t *testing.T) {
	dir := os.Getenv(keyHelperEnv)
	if dir == "" {
		t.Skip("a helper process for TestKeyCreationAcrossProcesses")
	}
	fmt.Println("ready")
	if _, err := io.ReadFull(os.Stdin, make([]byte, 1)); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("address", Address(key).Hex())
	os.Exit(0)
}

// TestKeyCreationAcrossProcesses starts processes (this test binary again) that create the
// key of a fresh data dir at the same moment: all must print the address that is on disk.
func TestKeyCreationAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const rounds, procs = 6, 4
	for round := range rounds {
		dir := filepath.Join(t.TempDir(), "data")
		type proc struct {
			cmd   *exec.Cmd
			stdin io.WriteCloser
			out   *bufio.Reader
		}
		ps := make([]proc, procs)
		for i := range ps {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKeyHelperProcess$")
			cmd.Env = append(os.Environ(), keyHelperEnv+"="+dir)
			cmd.Stderr = os.Stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			ps[i] = proc{cmd, stdin, bufio.NewReader(stdout)}
			if line, err := ps[i].out.ReadString('\n'); line != "ready\n" {
				t.Fatalf("helper process said %q, %v", line, err)
			}
		}
		for _, p := range ps { // all are waiting: let them go at once
			p.stdin.Write([]byte{1})
		}
		onDisk := ""
		var got []string
		for i, p := range ps {
			rest, _ := io.ReadAll(p.out)
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("round %d, process %d: %v\n%s", round, i, err, rest)
			}
			addr, ok := strings.CutPrefix(strings.TrimSpace(string(rest)), "address ")
			if !ok {
				t.Fatalf("round %d, process %d printed %q", round, i, rest)
			}
			got = append(got, addr)
		}
		key, err := LoadOrCreateKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		onDisk = Address(key).Hex()
		for i, addr := range got {
			if addr != onDisk {
				t.Fatalf("round %d: the processes got keys %v, but %s is on disk (process %d)", round, got, onDisk, i)
			}
		}
	}
}

// writeKeyFile puts data in dir's key file, mode 0600.
func writeKeyFile(t *testing.T, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, KeyFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// mustRefuse checks that loading dir's damaged key file is an ErrKeyDamaged that names the
// file and says to restore it, and that the file was left as it was.
func mustRefuse(t *testing.T, dir, what string) {
	t.Helper()
	path := filepath.Join(dir, KeyFile)
	before, _ := os.ReadFile(path)
	key, err := LoadOrCreateKey(dir)
	if err == nil {
		t.Fatalf("%s: accepted as key %s", what, Address(key).Hex())
	}
	if !errors.Is(err, ErrKeyDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("%s: the error does not say the key file %s is damaged and to restore it: %v", what, path, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatalf("%s: the damaged key file was changed", what)
	}
}

// keyFileWith encodes key with fields changed by edit and a checksum of the result, as a
// careful forger (or a corrupting program that keeps the checksum right) would.
func keyFileWith(key *ecdsa.PrivateKey, edit func(*keyFile)) []byte {
	f := keyFile{Format: keyFormat, Address: Address(key).Hex(), Key: hex.EncodeToString(crypto.FromECDSA(key))}
	edit(&f)
	f.Checksum = keyChecksum(f)
	js, _ := json.MarshalIndent(f, "", "  ")
	return append(js, '\n')
}

// TestDamagedKeyIsRefused: every single-bit flip and every truncation of a key file, a
// seeded sample of random damage, and named hand-made cases are refused, never read as
// a key and never replaced by a new one.
func TestDamagedKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := crypto.GenerateKey()
	legacy := []byte(hex.EncodeToString(crypto.FromECDSA(key)))

	t.Run("bit flips", func(t *testing.T) {
		for i := range 8 * len(good) {
			b := bytes.Clone(good)
			b[i/8] ^= 1 << (i % 8)
			writeKeyFile(t, dir, b)
			mustRefuse(t, dir, fmt.Sprintf("bit %d of byte %d (%q) flipped", i%8, i/8, good[i/8]))
		}
	})
	t.Run("truncations", func(t *testing.T) {
		for n := range len(good) {
			writeKeyFile(t, dir, good[:n])
			mustRefuse(t, dir, fmt.Sprintf("cut to %d bytes", n))
		}
	})
	t.Run("random damage", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 4))
		for i := range 1000 {
			b := bytes.Clone(good)
			for range 1 + rng.IntN(8) {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			if bytes.Equal(b, good) {
				continue
			}
			writeKeyFile(t, dir, b)
			mustRefuse(t, dir, fmt.Sprintf("random damage %d: %q", i, b))
		}
	})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"a line end", []byte("\n")},
		{"trailing bytes", append(bytes.Clone(good), "x"...)},
		{"two key files", append(bytes.Clone(good), good...)},
		{"a longer file", bytes.Repeat([]byte(" "), 1<<20)},
		{"address of another key", keyFileWith(key, func(f *keyFile) { f.Address = Address(other).Hex() })},
		{"address not in EIP-55 case", keyFileWith(key, func(f *keyFile) { f.Address = strings.ToLower(f.Address) })},
		{"key in capitals", keyFileWith(key, func(f *keyFile) { f.Key = strings.ToUpper(f.Key) })},
		{"another format", keyFileWith(key, func(f *keyFile) { f.Format = "lockstep/node-key/v2" })},
		{"wrong checksum", bytes.Replace(good, []byte(keyChecksum(keyFile{Format: keyFormat, Address: Address(key).Hex(), Key: string(legacy)})), bytes.Repeat([]byte("0"), 64), 1)},
		{"a field name in capitals", bytes.Replace(good, []byte(`"key"`), []byte(`"KEY"`), 1)},
		{"an unknown field", bytes.Replace(good, []byte(`{`), []byte(`{"note": "x",`), 1)},
		{"a repeated field", bytes.Replace(good, []byte(`"checksum"`), []byte(`"key": "00", "checksum"`), 1)},
		{"old format, a character not hex", append(bytes.Clone(legacy[:63]), 'g')},
		{"old format, too short", legacy[:62]},
		{"old format, too long", append(bytes.Clone(legacy), "00"...)},
		{"old format, three line ends", append(bytes.Clone(legacy), "\n\n\n"...)},
		{"old format, a trailing space", append(bytes.Clone(legacy), ' ')},
		{"old format, zero", bytes.Repeat([]byte("0"), 64)},
		{"old format, not below the group order", bytes.Repeat([]byte("f"), 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeKeyFile(t, dir, tc.data)
			mustRefuse(t, dir, tc.name)
		})
	}
}

// TestReadableKeyFiles: key files of the previous format (crypto.SaveECDSA's 64 hex
// digits, as crypto.LoadECDSA read them) still load, and are upgraded to the checksummed
// format in place; a current file copied with CRLF line ends loads too.
func TestReadableKeyFiles(t *testing.T) {
	key, _ := crypto.GenerateKey()
	hx := hex.EncodeToString(crypto.FromECDSA(key))
	for _, tc := range []struct {
		name     string
		data     string
		upgraded bool
	}{
		{"old format", hx, true},
		{"old format, a line end", hx + "\n", true},
		{"old format, CRLF", hx + "\r\n", true},
		{"old format, upper case", strings.ToUpper(hx), true},
		{"current format", string(encodeKey(key)), false},
		{"current format, CRLF", strings.ReplaceAll(string(encodeKey(key)), "\n", "\r\n"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeKeyFile(t, dir, []byte(tc.data))
			got, err := LoadOrCreateKey(dir)
			if err != nil {
				t.Fatal(err)
			}
			if Address(got) != Address(key) {
				t.Fatalf("loaded %s, want %s", Address(got).Hex(), Address(key).Hex())
			}
			data, _ := os.ReadFile(filepath.Join(dir, KeyFile))
			want := tc.data
			if tc.upgraded {
				want = string(encodeKey(key))
			}
			if string(data) != want {
				t.Fatalf("the key file is now\n%s\nwant\n%s", data, want)
			}
			if again, err := LoadOrCreateKey(dir); err != nil || Address(again) != Address(key) {
				t.Fatalf("loading again: %v", err)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Fatalf("the data dir holds %v, want only %s", names, KeyFile)
			}
		})
	}
}

// TestUnreadableKeyIsNotReplaced: a key file that cannot be read is an error naming it,
// and no new key is made in its place.
func TestUnreadableKeyIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFile)
	if err := os.Mkdir(path, 0o700); err != nil { // a directory where the key should be
		t.Fatal(err)
	}
	_, err := LoadOrCreateKey(dir)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("got %v, want an error naming %s that says to restore it", err, path)
	}
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		t.Fatalf("the unreadable key file was replaced: %v", err)
	}
}

// TestRunIsSignedByOneKey: after node.key is replaced, the ledger refuses to sign more
// steps of a run the old key started, instead of mixing two signers in one run.
func TestRunIsSignedByOneKey(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	meta, err := l.CreateRun(RunMeta{Seed: 1, Created: time.Unix(1, 0)}, []byte("module"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(meta.ID, fakeCheckpoint(t, 0), true, time.Unix(2, 0)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	other, _ := crypto.GenerateKey()
	writeKeyFile(t, dir, encodeKey(other))
	l = openTest(t, dir)
	defer l.Close()
	if _, err := l.Commit(meta.ID, fakeCheckpoint(t, 1), false, time.Unix(3, 0)); !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), meta.Node) {
		t.Fatalf("committing to another key's run: %v", err)
	}
	if _, err := l.Commit("nope", fakeCheckpoint(t, 0), false, time.Unix(3, 0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("committing to no run: %v", err)
	}
	if recs, err := l.Steps(meta.ID); err != nil || len(recs) != 1 {
		t.Fatalf("the run has %d records (%v), want the one its own key signed", len(recs), err)
	}
}
