package main

import (
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Crash safety: a lockstep run is killed with SIGKILL at random moments, kills times,
// each time resumed; then a last resume may finish. After every kill the ledger opens,
// every committed step is intact and correctly signed (ledger verify), and the finished
// run reaches the uninterrupted run's final root. (The number of kills is fixed, not the
// time they take, so a slow machine tests as much as a fast one.)
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep and kills it repeatedly; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a POSIX signal")
	}
	bin := filepath.Join(t.TempDir(), "lockstep")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const steps = "8000"
	dir := t.TempDir()
	lockstep := func(args ...string) *exec.Cmd {
		return exec.Command(bin, append(args, "--data-dir", dir)...)
	}
	// The uninterrupted run, for its final root.
	out, err := lockstep("run", logreg, "--steps", steps, "--seed", "5", "--json", "--no-ledger").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want runReport
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}

	const kills = 12
	rng := rand.New(rand.NewPCG(1, 2))
	args := []string{"run", logreg, "--steps", steps, "--seed", "5", "--checkpoint-every", "97"}
	run := ""
	for kill := 1; ; kill++ {
		cmd := lockstep(args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var finished bool
		deadline := time.After(time.Duration(150+rng.IntN(400)) * time.Millisecond)
		if kill > kills {
			deadline = nil // the last resume runs to the end
		}
		select {
		case err := <-done: // finished before we killed it
			if err != nil {
				t.Fatalf("run %d failed: %v\n%s", kill, err, stderr.String())
			}
			finished = true
		case <-deadline:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
		if run == "" {
			out, err := lockstep("ledger", "runs", "--json").Output()
			if err != nil {
				t.Fatalf("ledger runs after kill %d: %v", kill, err)
			}
			var runs []struct{ ID string }
			if err := json.Unmarshal(out, &runs); err != nil || len(runs) != 1 {
				if finished || len(runs) == 0 {
					t.Skipf("the run ended before it could be killed (%s)", out)
				}
				t.Fatalf("ledger runs: %v %s", err, out)
			}
			run = runs[0].ID
			args = []string{"run", "--resume", run}
		}
		if out, err := lockstep("ledger", "verify", run).CombinedOutput(); err != nil {
			// A kill before the first checkpoint was committed leaves nothing to verify yet.
			if !strings.Contains(string(out), "no committed steps") {
				t.Fatalf("after kill %d the ledger does not verify: %v\n%s", kill, err, out)
			}
		}
		if finished {
			t.Logf("the run finished after %d kills", kill-1)
			break
		}
	}
	out, err = lockstep("ledger", "show", run, "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Steps []struct {
			Step uint64
			Root []byte
		}
	}
	if err := json.Unmarshal(out, &shown); err != nil {
		t.Fatal(err)
	}
	last := shown.Steps[len(shown.Steps)-1]
	if last.Step != 8000 {
		t.Fatalf("last committed step %d, want 8000", last.Step)
	}
	if got := hex.EncodeToString(last.Root); got != want.FinalRoot {
		t.Fatalf("after the kills the run ended at root %s, uninterrupted %s", got, want.FinalRoot)
	}
}
