package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var rootLine = regexp.MustCompile(`state root ([0-9a-f]{64})`)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestDemoTrainsAndReplays(t *testing.T) {
	out, err := runCLI(t, "demo", "--steps", "150")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if !strings.Contains(out, "identical root") || !rootLine.MatchString(out) || !strings.Contains(out, "both engines reached the same root") {
		t.Fatalf("demo output lacks the replay check or the root:\n%s", out)
	}
	var acc float64
	if m := regexp.MustCompile(`held-out accuracy ([0-9.]+)%`).FindStringSubmatch(out); m == nil {
		t.Fatalf("no held-out accuracy in:\n%s", out)
	} else if _, err := fmt.Sscan(m[1], &acc); err != nil || acc < 90 {
		t.Fatalf("held-out accuracy %s%%, want >= 90%%", m[1])
	}
	// Different seeds train different models.
	other, err := runCLI(t, "demo", "--steps", "150", "--seed", "2")
	if err != nil {
		t.Fatal(err)
	}
	if rootLine.FindString(other) == rootLine.FindString(out) {
		t.Fatal("seeds 1 and 2 reached the same root")
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--steps", "0"},
		{"demo", "--steps", "x"},
		{"demo", "extra"},
		{"nonsense"},
		{"version", "extra"},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("lockstep %v succeeded:\n%s", args, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	if err != nil || !strings.Contains(out, "lockstep/R0") || !strings.Contains(out, runtime.GOARCH) {
		t.Fatalf("version: %v\n%s", err, out)
	}
}

// The lockstep binary built for other architectures (run under qemu-user-static) trains
// the demo to the same state root as this one.
func TestDemoRootAcrossArchitectures(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary; skipped in -short mode")
	}
	native, err := runCLI(t, "demo", "--steps", "40")
	if err != nil {
		t.Fatal(err)
	}
	want := rootLine.FindStringSubmatch(native)[1]
	for _, tg := range []struct{ goarch, qemu string }{{"arm64", "qemu-aarch64-static"}, {"s390x", "qemu-s390x-static"}} {
		t.Run(tg.goarch, func(t *testing.T) {
			emu, err := exec.LookPath(tg.qemu)
			if err != nil {
				t.Skipf("%s not found: install qemu-user-static to run lockstep for %s", tg.qemu, tg.goarch)
			}
			bin := filepath.Join(t.TempDir(), "lockstep")
			build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
			build.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+tg.goarch, "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			out, err := exec.Command(emu, bin, "demo", "--steps", "40").CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			m := rootLine.FindStringSubmatch(string(out))
			if m == nil || m[1] != want {
				t.Fatalf("%s reached %v, native reached %s\n%s", tg.goarch, m, want, out)
			}
		})
	}
}

// The one binary cross-compiles without cgo for every release target.
func TestCrossCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary; skipped in -short mode")
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(t.TempDir(), "lockstep"), ".")
			build.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s GOARCH=%s CGO_ENABLED=0: %v\n%s", goos, goarch, err, out)
			}
		}
	}
}

// The demo embeds a copy of the logreg task; it must be the committed build.
func TestEmbeddedTaskIsCurrent(t *testing.T) {
	orig, err := os.ReadFile("../../testdata/tasks/logreg/logreg.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, logregWasm) {
		t.Fatal("cmd/lockstep/tasks/logreg.wasm differs from testdata/tasks/logreg/logreg.wasm: copy it again")
	}
}
