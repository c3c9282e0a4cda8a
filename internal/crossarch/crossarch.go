// Package crossarch runs a package's tests on other architectures, for the tests that
// prove results are the same everywhere: it builds the package's test binary for each
// target and runs it natively (amd64 levels) or under qemu-user-static. A child run sees
// ChildEnv set, so the cross-architecture test itself skips there.
package crossarch

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ChildEnv is set in the environment of every cross-architecture run.
const ChildEnv = "LOCKSTEP_CROSSARCH_CHILD"

// Target is one architecture (and amd64 level) to run on.
type Target struct {
	Name, GOARCH string
	Env          []string // extra build environment, e.g. GOAMD64=v3
	Emulator     string   // qemu-user binary; "" runs natively (same GOARCH only)
}

// Targets lists amd64 v1 and v3 and the four qemu architectures.
var Targets = []Target{
	{"amd64-v1", "amd64", []string{"GOAMD64=v1"}, ""},
	{"amd64-v3", "amd64", []string{"GOAMD64=v3"}, ""},
	{"arm64", "arm64", nil, "qemu-aarch64-static"},
	{"riscv64", "riscv64", nil, "qemu-riscv64-static"},
	{"ppc64le", "ppc64le", nil, "qemu-ppc64le-static"},
	{"s390x", "s390x", nil, "qemu-s390x-static"},
}

// GoTool returns the go command, skipping the test inside a child run, in -short mode,
// or without a toolchain.
func GoTool(t *testing.T) string {
	t.Helper()
	if os.Getenv(ChildEnv) != "" {
		t.Skip("inside a cross-architecture child")
	}
	if testing.Short() {
		t.Skip("builds for other architectures; skipped in -short mode")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go toolchain found")
		}
		gobin = p
	}
	return gobin
}

// Run builds the test binary of the package in the current directory for each target
// and runs it there with args (in parallel subtests); a target whose emulator is missing
// skips and says how to install it.
func Run(t *testing.T, targets []Target, args ...string) {
	gobin := GoTool(t)
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			if tg.Emulator == "" && runtime.GOARCH != tg.GOARCH {
				t.Skipf("needs a %s host", tg.GOARCH)
			}
			var emu string
			if tg.Emulator != "" {
				p, err := exec.LookPath(tg.Emulator)
				if err != nil {
					t.Skipf("%s not found: install qemu-user-static (apt-get install qemu-user-static) to run these tests on %s", tg.Emulator, tg.GOARCH)
				}
				emu = p
			}
			bin := filepath.Join(t.TempDir(), "pkg.test")
			build := exec.Command(gobin, "test", "-c", "-o", bin, ".")
			build.Env = append(append(os.Environ(), "GOOS=linux", "GOARCH="+tg.GOARCH, "CGO_ENABLED=0"), tg.Env...)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			cmdArgs := append([]string{"-test.count=1"}, args...)
			var run *exec.Cmd
			if emu != "" {
				run = exec.Command(emu, append([]string{bin}, cmdArgs...)...)
			} else {
				run = exec.Command(bin, cmdArgs...)
			}
			run.Env = append(os.Environ(), ChildEnv+"=1")
			out, err := run.CombinedOutput()
			if strings.Contains(string(out), "microarchitecture support") {
				t.Skipf("this CPU cannot run %s binaries: %s", tg.Name, strings.TrimSpace(string(out)))
			}
			if err != nil || !strings.Contains(string(out), "PASS") {
				t.Fatalf("%s: %v\n%s", tg.Name, err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			t.Logf("%s: %s", tg.Name, lines[len(lines)-1])
		})
	}
}
