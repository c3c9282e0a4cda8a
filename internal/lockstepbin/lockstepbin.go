// Package lockstepbin builds the lockstep binary for the tests that start it as a process
// (cmd/lockstep/nodetest, cmd/lockstep/demotest).
package lockstepbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Build builds cmd/lockstep into a temporary directory and returns its path. It is called
// from a package one level below cmd/lockstep.
func Build(t testing.TB) string {
	t.Helper()
	// The binary is built in another process, so go test's cache does not see its
	// sources: reading them here makes a change to any of them run these tests again.
	filepath.WalkDir("../../..", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".wasm") || path == "../../../go.mod") {
			os.ReadFile(path)
		}
		return nil
	})
	bin := filepath.Join(t.TempDir(), "lockstep")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
