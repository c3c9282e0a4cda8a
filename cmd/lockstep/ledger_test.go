package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
	lsruntime "github.com/lockstep-ml/lockstep/runtime"
)

// The ledger commands as a node runner and a verifier use them: run with retention, list,
// show (the stored checkpoints are every K-th and the last few), verify, export, import
// into another node's data dir, verify there.
func TestLedgerCommands(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	out, err := runCLI(t, "id", "--data-dir", dir)
	m := regexp.MustCompile(`address (0x[0-9a-fA-F]{40})\npeer id (\w+)\n`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("id: %v\n%s", err, out)
	}
	// One key: the peer ID carries the key whose address is printed.
	if id, err := peer.Decode(m[2]); err != nil {
		t.Errorf("peer id %s: %v", m[2], err)
	} else if addr, err := p2p.Address(id); err != nil || addr.Hex() != m[1] {
		t.Errorf("peer id %s has address %s (%v), id printed %s", m[2], addr.Hex(), err, m[1])
	}
	rep := runJSON(t, logreg, "--steps", "35", "--keep-last", "3", "--data-dir", dir)
	if rep.Run == "" {
		t.Fatal("the run report has no run ID")
	}
	stored := storedCheckpoints(t, dir, rep.Run)
	if got := fmt.Sprint(stored); got != "[0 10 20 30 33 34 35]" {
		t.Fatalf("stored checkpoints %v, want every 10th and the last 3", stored)
	}
	for _, args := range [][]string{
		{"ledger", "runs", "--data-dir", dir},
		{"ledger", "verify", rep.Run, "--data-dir", dir},
		{"ledger", "export", rep.Run, "--out", filepath.Join(other, "run.lsx"), "--data-dir", dir},
		{"ledger", "import", filepath.Join(other, "run.lsx"), "--data-dir", other},
		{"ledger", "verify", rep.Run, "--data-dir", other},
	} {
		if out, err := runCLI(t, args...); err != nil {
			t.Fatalf("lockstep %v: %v\n%s", args, err, out)
		}
	}
	// Another node's run is verified, never continued: its steps are all signed by the
	// node that started it, so the ledger stays verifiable.
	out, err = runCLI(t, "run", "--resume", rep.Run, "--steps", "40", "--data-dir", other)
	if err == nil || !strings.Contains(err.Error(), "was started by node") {
		t.Errorf("resuming another node's run: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "ledger", "verify", rep.Run, "--data-dir", other); err != nil {
		t.Errorf("verify after the refused resume: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"ledger", "show", "nosuchrun", "--data-dir", dir},
		{"ledger", "export", rep.Run, "--data-dir", dir},
		{"ledger", "import", filepath.Join(other, "missing.lsx"), "--data-dir", other},
		{"run", "--resume", "nosuchrun", "--data-dir", dir},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("lockstep %v succeeded:\n%s", args, out)
		}
	}
}

// No run is left that nothing can resume or delete: a task whose init fails creates no
// run, a run whose step 0 was never committed (a crash right after it was created)
// resumes from init, and ledger rm removes a run for good.
func TestNoUnresumableRuns(t *testing.T) {
	dir := t.TempDir()
	if out, err := runCLI(t, "run", "../../testdata/tasks/digits/digits.wasm", "--input", "wrong="+logreg, "--data-dir", dir); err == nil {
		t.Fatalf("digits with the wrong input ran:\n%s", out)
	}
	l, err := ledger.Open(dir, ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if runs, _ := l.Runs(); len(runs) != 0 {
		t.Errorf("a failed init left %d runs", len(runs))
	}
	// The crash: the run is created, step 0 is not committed.
	wasm, _ := os.ReadFile(logreg)
	meta, err := l.CreateRun(ledger.RunMeta{Seed: 4, Engine: "compiler", Fuel: lsruntime.DefaultConfig().Fuel, Every: 10, Steps: 12, Created: time.Now()}, wasm, nil)
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "run", "--resume", meta.ID, "--json", "--data-dir", dir)
	if err != nil {
		t.Fatalf("resuming a run with no committed step: %v\n%s", err, out)
	}
	resumed, _ := parseRunJSON(out)
	want := runJSON(t, logreg, "--steps", "12", "--seed", "4")
	if resumed.FinalRoot != want.FinalRoot {
		t.Errorf("the resumed run ends at %s, a fresh one at %s", resumed.FinalRoot, want.FinalRoot)
	}
	if out, err := runCLI(t, "ledger", "verify", meta.ID, "--data-dir", dir); err != nil {
		t.Errorf("verify: %v\n%s", err, out)
	}
	out, err = runCLI(t, "ledger", "rm", meta.ID, "--data-dir", dir)
	if err != nil || !strings.Contains(out, "removed run "+meta.ID+": 13 step records") {
		t.Errorf("ledger rm: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"ledger", "show", meta.ID}, {"run", "--resume", meta.ID}, {"ledger", "rm", meta.ID}} {
		if out, err := runCLI(t, append(args, "--data-dir", dir)...); err == nil || !strings.Contains(err.Error(), "no run") {
			t.Errorf("lockstep %v after rm: %v\n%s", args, err, out)
		}
	}
}

// TestDamagedNodeKey: the commands that open the data dir refuse a damaged key file with
// an error that names it and says to restore it, and leave it as it was.
func TestDamagedNodeKey(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "id", "--data-dir", dir)
	if err != nil {
		t.Fatalf("id: %v\n%s", err, out)
	}
	again, err := runCLI(t, "id", "--data-dir", dir)
	if err != nil || again != out {
		t.Fatalf("a second id printed %q (%v), the first %q", again, err, out)
	}
	path := filepath.Join(dir, ledger.KeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"key": "`)) + len(`"key": "`) + 5
	data[i] ^= 1 // a flipped bit in the key's hex digits
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"id", "--data-dir", dir},
		{"ledger", "runs", "--data-dir", dir},
	} {
		out, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore it from a backup") {
			t.Errorf("lockstep %v: %v\n%s", args, err, out)
		}
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
		t.Error("the damaged key file was changed")
	}
}

// A realistic run exports and imports whole: issue 11 found every logreg run of 1,300
// steps and more refused on import (Badger's "Txn is too big"). The imported run
// verifies, and replays (lockstep verify re-executes sampled steps against the records).
func TestImportOfALongRun(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	rep := runJSON(t, logreg, "--steps", "2000", "--checkpoint-every", "100", "--data-dir", dir)
	file := filepath.Join(other, "run.lsx")
	for _, args := range [][]string{
		{"ledger", "export", rep.Run, "--out", file, "--data-dir", dir},
		{"ledger", "import", file, "--data-dir", other},
		{"ledger", "verify", rep.Run, "--data-dir", other},
		{"verify", rep.Run, "--sample", "3", "--data-dir", other},
	} {
		if out, err := runCLI(t, args...); err != nil {
			t.Fatalf("lockstep %v: %v\n%s", args, err, out)
		}
	}
	out, err := runCLI(t, "ledger", "show", rep.Run, "--json", "--data-dir", other)
	if err != nil {
		t.Fatal(err)
	}
	var shown struct{ Steps []struct{ Step uint64 } }
	if err := json.Unmarshal([]byte(out), &shown); err != nil || len(shown.Steps) != 2001 {
		t.Fatalf("the imported run has %d step records, want 2001 (%v)", len(shown.Steps), err)
	}
}

// --keep-last counts committed steps, whatever --commit-every is, and ledger runs shows
// the last committed step, not how many records there are.
func TestKeepLastWithCommitEvery(t *testing.T) {
	dir := t.TempDir()
	rep := runJSON(t, logreg, "--steps", "200", "--keep-last", "3", "--commit-every", "5", "--checkpoint-every", "50", "--data-dir", dir)
	stored := storedCheckpoints(t, dir, rep.Run)
	if got := fmt.Sprint(stored); got != "[0 50 100 150 190 195 200]" {
		t.Errorf("stored checkpoints %v, want every 50th and the last 3 committed", stored)
	}
	if out, _ := runCLI(t, "ledger", "runs", "--data-dir", dir); !strings.Contains(out, "200 of 200") {
		t.Errorf("ledger runs:\n%s", out)
	}
}

// storedCheckpoints lists the steps of run whose full checkpoints the ledger in dir holds.
func storedCheckpoints(t *testing.T, dir, run string) []uint64 {
	t.Helper()
	out, err := runCLI(t, "ledger", "show", run, "--json", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Steps []struct {
			Step       uint64
			Checkpoint bool
		}
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	var stored []uint64
	for _, s := range shown.Steps {
		if s.Checkpoint {
			stored = append(stored, s.Step)
		}
	}
	return stored
}
