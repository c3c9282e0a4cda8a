package crosstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The binary cross-compiles without cgo for every release target.
func TestCrossCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary; skipped in -short mode")
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(t.TempDir(), "lockstep"), "..")
			build.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s GOARCH=%s CGO_ENABLED=0: %v\n%s", goos, goarch, err, out)
			}
		}
	}
}
