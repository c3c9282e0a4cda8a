package chain_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// TestGethDev runs the whole flow, and the dispute deadlines, against a real geth --dev
// node: geth built from the go-ethereum module at the version go.mod requires (go.mod
// names it as a tool). $LOCKSTEP_GETH may name a geth already built (.ci/run builds one
// before the tests, so the build does not compete with them); otherwise the test builds it
// into the user cache directory, once. It skips, saying why, where it cannot build geth.
func TestGethDev(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: geth --dev is not built and started")
	}
	bin := gethBinary(t)
	dir := t.TempDir()
	httpPort, authPort := freePort(t), freePort(t)
	logf, err := os.Create(filepath.Join(dir, "geth.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// --dev.period 0: a block as soon as a transaction waits, as on the embedded chain.
	cmd := exec.Command(bin, "--dev", "--dev.period", "0", "--datadir", filepath.Join(dir, "data"),
		"--http", "--http.addr", "127.0.0.1", "--http.port", httpPort, "--http.api", "eth,net,web3",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", authPort,
		"--port", "0", "--nodiscover", "--maxpeers", "0", "--ipcdisable", "--verbosity", "2")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("geth's log:\n%s", tail(b, 4000))
		}
	}()
	url := "http://127.0.0.1:" + httpPort
	var client *ethclient.Client
	deadline := time.Now().Add(60 * time.Second)
	for {
		client, err = ethclient.Dial(url)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = client.ChainID(ctx)
			cancel()
			if err == nil {
				break
			}
			client.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("geth --dev did not answer on %s within a minute: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer client.Close()
	ctx := testCtx(t)
	id, err := client.ChainID(ctx)
	if err != nil || id.Uint64() != chain.DevChainID {
		t.Fatalf("geth --dev has chain ID %v (%v), want %d", id, err, chain.DevChainID)
	}
	// A block more: a transaction (geth --dev seals one per waiting transaction).
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sink := crypto.PubkeyToAddress(key.PublicKey)
	tc, contract := deployed(t, &testChain{b: client, seal: func() {
		if err := chain.Fund(ctx, client, sink, big.NewInt(1)); err != nil {
			t.Fatal(err)
		}
	}})
	t.Run("flow", func(t *testing.T) { wholeFlow(t, tc, contract) })
	t.Run("deadlines", func(t *testing.T) { disputeDeadlines(t, tc, contract) })
}

// gethBinary returns a geth built from go.mod's go-ethereum.
func gethBinary(t *testing.T) string {
	if p := os.Getenv("LOCKSTEP_GETH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$LOCKSTEP_GETH: %v", err)
		}
		return p
	}
	ver, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/ethereum/go-ethereum").Output()
	if err != nil {
		t.Skipf("cannot find go-ethereum's version with go list (%v): geth --dev not tested", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	path := filepath.Join(cache, "lockstep", "geth-"+strings.TrimSpace(string(ver))+exe)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	t.Logf("building geth %s into %s (a few minutes, once)", strings.TrimSpace(string(ver)), path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Skipf("cannot build geth: %v", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	build := exec.Command("go", "build", "-o", tmp, "github.com/ethereum/go-ethereum/cmd/geth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Skipf("cannot build geth (%v): geth --dev not tested\n%s", err, tail(out, 2000))
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
