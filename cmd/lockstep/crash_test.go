package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Crash safety: a lockstep run is killed with SIGKILL at random moments, kills times,
// each time resumed; then a last resume may finish. After every kill the ledger opens,
// every committed step is intact and correctly signed (ledger verify), every step the
// process reported as committed (its --json lines) is in the ledger with the root it
// reported, and the finished run reaches the uninterrupted run's final root. (The number of kills is fixed, not the
// time they take, so a slow machine tests as much as a fast one.)
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep and kills it repeatedly; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a POSIX signal")
	}
	bin := buildLockstep(t)
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
	want, err := parseRunJSON(out)
	if err != nil {
		t.Fatal(err)
	}

	const kills = 50
	rng := rand.New(rand.NewPCG(1, 2))
	args := []string{"run", logreg, "--steps", steps, "--seed", "5", "--checkpoint-every", "97", "--json"}
	run := ""
	reported := map[uint64]string{} // step -> root, as the processes reported them committed
	for kill := 1; ; kill++ {
		cmd := lockstep(args...)
		var stderr, stdout strings.Builder
		cmd.Stderr, cmd.Stdout = &stderr, &stdout
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
			if err := json.Unmarshal(out, &runs); err != nil || len(runs) > 1 {
				t.Fatalf("ledger runs: %v %s", err, out)
			}
			if len(runs) == 0 { // killed before its init was committed: no run yet
				if finished {
					t.Fatalf("a finished run is not in the ledger")
				}
				continue
			}
			run = runs[0].ID
			args = []string{"run", "--resume", run, "--json"}
		}
		if out, err := lockstep("ledger", "verify", run).CombinedOutput(); err != nil {
			// A kill before the first checkpoint was committed leaves nothing to verify yet.
			if !strings.Contains(string(out), "no committed steps") {
				t.Fatalf("after kill %d the ledger does not verify: %v\n%s", kill, err, out)
			}
		}
		for _, line := range strings.Split(stdout.String(), "\n") {
			var sr stepReport // a line cut short by the kill does not parse, and was not reported
			if json.Unmarshal([]byte(line), &sr) == nil && sr.Event == "step" && sr.Committed {
				reported[sr.Step] = sr.Root
			}
		}
		inLedger := committedRoots(t, lockstep("ledger", "show", run, "--json"))
		for step, root := range reported {
			if inLedger[step] != root {
				t.Fatalf("after kill %d: step %d was reported committed with root %.16s, the ledger has %q", kill, step, root, inLedger[step])
			}
		}
		if finished {
			t.Logf("the run finished after %d kills", kill-1)
			break
		}
	}
	inLedger := committedRoots(t, lockstep("ledger", "show", run, "--json"))
	// A kill between a commit and its lines loses those lines (never the steps): most
	// steps are still reported.
	if len(inLedger) != 8001 || len(reported) < 4000 {
		t.Fatalf("%d steps committed, %d of them reported; want 8001 (0-8000), most reported", len(inLedger), len(reported))
	}
	if got := inLedger[8000]; got != want.FinalRoot {
		t.Fatalf("after the kills the run ended at root %s, uninterrupted %s", got, want.FinalRoot)
	}
}

// committedRoots runs ledger show --json and returns each committed step's root.
func committedRoots(t *testing.T, show *exec.Cmd) map[uint64]string {
	t.Helper()
	out, err := show.Output()
	if err != nil {
		t.Fatalf("ledger show: %v", err)
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
	roots := map[uint64]string{}
	for _, s := range shown.Steps {
		roots[s.Step] = hex.EncodeToString(s.Root)
	}
	return roots
}

// SIGINT and SIGTERM stop a run cleanly: exit status 130, a message without Go's "context canceled",
// the last step committed with its full checkpoint, and a resume that continues from it
// without recomputing anything.
func TestInterruptStoresTheLastStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT is a POSIX signal")
	}
	bin := buildLockstep(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} { // Ctrl-C; systemctl or docker stop
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "run", logreg, "--steps", "1000000", "--checkpoint-every", "100000", "--json", "--data-dir", dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once it has committed a few hundred steps (not during its start-up).
			var stdout strings.Builder
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				stdout.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), `"step":300,`) {
					cmd.Process.Signal(sig)
				}
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 130 {
				t.Fatalf("exit after SIGINT: %v\n%s", err, stderr.String())
			}
			if msg := stderr.String(); !strings.Contains(msg, "interrupted after step") || strings.Contains(msg, "context canceled") {
				t.Errorf("the message: %s", msg)
			}
			rep, err := parseRunJSON(stdout.String())
			if err != nil || rep.Event != "error" || len(rep.Roots) == 0 {
				t.Fatalf("JSON lines: %v (%d steps)\n%s", err, len(rep.Roots), stdout.String())
			}
			last := rep.Roots[len(rep.Roots)-1].Step
			out, err := exec.Command(bin, "run", "--resume", rep.Run, "--steps", fmt.Sprint(last+3), "--data-dir", dir).CombinedOutput()
			if err != nil || !strings.Contains(string(out), fmt.Sprintf("resumed run %s from step %d\n", rep.Run, last)) {
				t.Errorf("resuming after %s at step %d (want no step recomputed): %v\n%s", sig, last, err, out)
			}
		})
	}
}

// While a run holds the ledger, ledger runs and show answer from that process, with the
// steps committed so far; the commands that need the ledger itself say it is in use.
func TestLedgerReadableWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("stops the run with SIGINT")
	}
	bin := buildLockstep(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "run", logreg, "--steps", "10000000", "--data-dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	var runs []struct{ ID string }
	for deadline := time.Now().Add(time.Minute); len(runs) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the run never appeared in ledger runs")
		}
		out, err := runCLI(t, "ledger", "runs", "--json", "--data-dir", dir)
		if err == nil {
			json.Unmarshal([]byte(out), &runs)
		}
	}
	var seen []int
	for range 2 {
		out, err := runCLI(t, "ledger", "show", runs[0].ID, "--json", "--data-dir", dir)
		if err != nil {
			t.Fatalf("ledger show while running: %v\n%s", err, out)
		}
		var shown struct{ Steps []struct{ Step uint64 } }
		json.Unmarshal([]byte(out), &shown)
		seen = append(seen, len(shown.Steps))
		time.Sleep(500 * time.Millisecond)
	}
	if seen[1] <= seen[0] {
		t.Errorf("ledger show saw %d, then %d steps of a run in progress", seen[0], seen[1])
	}
	if _, err := runCLI(t, "ledger", "show", "nosuchrun", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), `no run "nosuchrun"`) {
		t.Errorf("an unknown run while running: %v", err)
	}
	if _, err := runCLI(t, "ledger", "verify", runs[0].ID, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "ledger runs and show work meanwhile") {
		t.Errorf("verify while running: %v", err)
	}
}
