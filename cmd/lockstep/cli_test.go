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

	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

var rootLine = regexp.MustCompile(`final checkpoint root ([0-9a-f]{64})`)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestDemoTrainsAndReplays(t *testing.T) {
	t.Setenv("LOCKSTEP_DATA_DIR", t.TempDir()) // not the user's ~/.lockstep
	// The swarm act's rounds: p2p/swarm tests the rest. The RL act is nodetest's
	// (TestDemoRLAct), which has a test binary, and so a time limit, of its own.
	out, err := runCLI(t, "demo", "--rounds", "2", "--rl", "0")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if !rootLine.MatchString(out) || !strings.Contains(out, "same root") || !strings.Contains(out, "checkpoints stored and verified") {
		t.Fatalf("demo output lacks the root or the replay check:\n%s", out)
	}
	var acc float64
	if m := regexp.MustCompile(`held-out accuracy ([0-9.]+)%`).FindStringSubmatch(out); m == nil {
		t.Fatalf("no held-out accuracy in:\n%s", out)
	} else if _, err := fmt.Sscan(m[1], &acc); err != nil || acc < 95 {
		t.Fatalf("held-out accuracy %s%%, want >= 95%%", m[1])
	}
	if !strings.Contains(out, "[node B] lost") || !strings.Contains(out, "case a") {
		t.Errorf("the demo's dispute did not rule against the faulty node by a replay:\n%s", out)
	}
	// Act 3: the honest members agree on every round's root, the faulty one does not, and
	// it loses its dispute and is ignored.
	rounds := regexp.MustCompile(`(?m)^round \d+:  node 1 (\w+)  node 2 (\w+)  node 3 (\w+)  node 4 (\w+)$`).FindAllStringSubmatch(out, -1)
	if len(rounds) != 2 {
		t.Fatalf("the swarm act shows %d rounds with all four members, not 2:\n%s", len(rounds), out)
	}
	for _, r := range rounds {
		if r[1] != r[2] || r[2] != r[3] || r[4] == r[1] {
			t.Errorf("swarm act: %s", r[0])
		}
	}
	if !strings.Contains(out, "ruled against [node 4]") || !strings.Contains(out, "node 1 ignores 1 member(s)") {
		t.Errorf("the swarm act did not rule against the faulty member:\n%s", out)
	}
	other, err := runCLI(t, "demo", "--steps", "20", "--seed", "2", "--replay", "0", "--dispute", "0", "--swarm", "0", "--rl", "0")
	if err != nil {
		t.Fatal(err)
	}
	if rootLine.FindString(other) == rootLine.FindString(out) {
		t.Fatal("different runs reached the same root")
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
// the demo to the same checkpoint root as this one.
func TestDemoRootAcrossArchitectures(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary; skipped in -short mode")
	}
	// The training act alone: its root is what is compared, and the emulated s390x is too
	// slow to spend minutes on acts whose output is not.
	args := []string{"demo", "--steps", "20", "--replay", "0", "--dispute", "0", "--swarm", "0", "--rl", "0"}
	t.Setenv("LOCKSTEP_DATA_DIR", t.TempDir())
	native, err := runCLI(t, args...)
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
			cmd := exec.Command(emu, append([]string{bin}, args...)...)
			cmd.Env = append(os.Environ(), "LOCKSTEP_DATA_DIR="+t.TempDir())
			out, err := cmd.CombinedOutput()
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

// The demo embeds copies of the digits and RL tasks and data; they must be the committed
// ones, and the RL task's default warm-up its own.
func TestEmbeddedFilesAreCurrent(t *testing.T) {
	if rlWarmup != addition.Warmup {
		t.Errorf("lockstep node's --warmup default is %d, the RL task's Warmup %d", rlWarmup, addition.Warmup)
	}
	for orig, embedded := range map[string][]byte{
		"../../testdata/tasks/digits/digits.wasm": digitsWasm,
		"../../testdata/data/digits.csv.gz":       digitsData,
		"../../testdata/tasks/rl/rl.wasm":         rlWasm,
	} {
		b, err := os.ReadFile(orig)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, embedded) {
			t.Errorf("the embedded copy of %s differs: copy it into cmd/lockstep/tasks/ again", orig)
		}
	}
}

// buildLockstep builds the lockstep binary for the tests that run it as a process.
func buildLockstep(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lockstep")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
