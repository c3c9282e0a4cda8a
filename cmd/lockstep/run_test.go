package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const logreg = "../../testdata/tasks/logreg/logreg.wasm"

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func runJSON(t *testing.T, args ...string) runReport {
	t.Helper()
	out, err := runCLI(t, append([]string{"run", "--json", "--data-dir", t.TempDir()}, args...)...)
	if err != nil {
		t.Fatalf("lockstep run %v: %v\n%s", args, err, out)
	}
	rep, err := parseRunJSON(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

// parseRunJSON reads the JSON lines of lockstep run --json: the report that ends them,
// with Roots holding the steps' lines in order. Lines that are not JSON are skipped.
func parseRunJSON[B string | []byte](out B) (runReport, error) {
	var rep runReport
	var roots []stepReport
	ended := false
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		if ended {
			return rep, fmt.Errorf("a line after the run's last: %s", line)
		}
		var ev struct{ Event string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return rep, fmt.Errorf("not a JSON line: %v: %s", err, line)
		}
		switch ev.Event {
		case "step":
			var sr stepReport
			if err := json.Unmarshal([]byte(line), &sr); err != nil {
				return rep, err
			}
			if n := len(roots); n > 0 && sr.Step <= roots[n-1].Step {
				return rep, fmt.Errorf("step %d printed after step %d", sr.Step, roots[n-1].Step)
			}
			roots = append(roots, sr)
		case "done", "error":
			if err := json.Unmarshal([]byte(line), &rep); err != nil {
				return rep, err
			}
			ended = true
		default:
			return rep, fmt.Errorf("unknown event %q", ev.Event)
		}
	}
	if !ended {
		return rep, fmt.Errorf("no line ends the run")
	}
	rep.Roots = roots
	return rep, nil
}

func TestRunJSONAndEngines(t *testing.T) {
	comp := runJSON(t, logreg, "--steps", "12", "--seed", "4", "--engine", "compiler")
	if !hex64.MatchString(comp.FinalRoot) || len(comp.Roots) != 13 || comp.Roots[12].Root != comp.FinalRoot {
		t.Fatalf("report: final %q, %d roots", comp.FinalRoot, len(comp.Roots))
	}
	for i, r := range comp.Roots {
		if r.Step != uint64(i) || !hex64.MatchString(r.Root) {
			t.Fatalf("root entry %d: %+v", i, r)
		}
	}
	if comp.Eval["accuracy"] < 0.9 {
		t.Fatalf("eval accuracy %v", comp.Eval["accuracy"])
	}
	interp := runJSON(t, logreg, "--steps", "12", "--seed", "4", "--engine", "interpreter")
	for i := range comp.Roots {
		if comp.Roots[i].Root != interp.Roots[i].Root || comp.Roots[i].Fuel != interp.Roots[i].Fuel {
			t.Fatalf("step %d: compiler %+v, interpreter %+v", i, comp.Roots[i], interp.Roots[i])
		}
	}
	// Human output ends with a summary naming the same final root.
	out, err := runCLI(t, "run", logreg, "--steps", "12", "--seed", "4", "--data-dir", t.TempDir())
	if err != nil || !strings.Contains(out, "final root "+comp.FinalRoot) {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestRunAndInspectErrors(t *testing.T) {
	t.Setenv("LOCKSTEP_DATA_DIR", t.TempDir())
	for _, args := range [][]string{
		{"run", "missing.wasm"},
		{"run", logreg, "--steps", "0"},
		{"run", logreg, "--engine", "jit"},
		{"run", logreg, "--input", "nope=/does/not/exist"},
		{"run", "../../testdata/hostile/infinite_loop.wasm", "--steps", "1", "--fuel", "1000000"},
		{"run", "../../testdata/hostile/disallowed_import.wasm"},
		{"inspect", "../../testdata/hostile/wrong_abi.wasm"},
		{"run"},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("lockstep %v succeeded:\n%s", args, out)
		}
	}
	out, err := runCLI(t, "inspect", logreg)
	if err != nil || !strings.Contains(out, "lockstep.op") || !strings.Contains(out, "lockstep_step") {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
}

// The lockstep binary built for arm64 and run under qemu (with wazero's arm64 compiler)
// reaches the same roots as this machine.
func TestRunRootsOnArm64(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary; skipped in -short mode")
	}
	emu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Skip("qemu-aarch64-static not found: install qemu-user-static to run lockstep for arm64")
	}
	want := runJSON(t, logreg, "--steps", "8", "--seed", "9")
	bin := filepath.Join(t.TempDir(), "lockstep")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, engine := range []string{"compiler", "interpreter"} {
		out, err := exec.Command(emu, bin, "run", logreg, "--json", "--steps", "8", "--seed", "9", "--engine", engine, "--data-dir", t.TempDir()).Output()
		if err != nil {
			t.Fatalf("arm64 %s: %v\n%s", engine, err, out)
		}
		got, err := parseRunJSON(out)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Roots {
			if got.Roots[i].Root != want.Roots[i].Root {
				t.Fatalf("arm64 %s step %d: root %s, amd64 %s", engine, i, got.Roots[i].Root, want.Roots[i].Root)
			}
		}
	}
}

// A run committed to the ledger re-executes to its roots (whole, a range, a sample, and
// as an exported file), and its steps' traces are recomputed with a binding last entry.
func TestVerifyAndTrace(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "run", logreg, "--steps", "12", "--checkpoint-every", "5", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rep, err := parseRunJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	lsx := filepath.Join(t.TempDir(), "run.lsx")
	for _, args := range [][]string{
		{"verify", rep.Run}, {"verify", rep.Run, "--steps", "6-9"}, {"verify", rep.Run, "--sample", "3"},
		{"ledger", "export", rep.Run, "--out", lsx}, {"verify", lsx},
	} {
		out, err := runCLI(t, append(args, "--data-dir", dir)...)
		if err != nil {
			t.Fatalf("lockstep %v: %v\n%s", args, err, out)
		}
		if args[0] == "verify" && !strings.Contains(out, "every root matches") {
			t.Errorf("lockstep %v says:\n%s", args, out)
		}
	}
	if out, err := runCLI(t, "verify", rep.Run, "--steps", "10-13", "--data-dir", dir); err == nil || !strings.Contains(out+err.Error(), "no committed step 13") {
		t.Errorf("verify past the last step: %v\n%s", err, out)
	}
	out, err = runCLI(t, "trace", rep.Run, "--step", "7", "--json", "--data-dir", dir)
	if err != nil {
		t.Fatalf("trace: %v\n%s", err, out)
	}
	var tr traceJSON
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trace --json: %v\n%s", err, out)
	}
	if tr.Step != 7 || tr.Root != rep.Roots[7].Root || len(tr.Entries) != rep.Roots[7].Ops+1 || tr.Entries[len(tr.Entries)-1].Op != "state_root" {
		t.Errorf("trace of step 7: %d entries, root %s; the run: %d operator calls, root %s", len(tr.Entries), tr.Root, rep.Roots[7].Ops, rep.Roots[7].Root)
	}
}

// With --commit-every K the run reaches the same roots, commits only every K-th, verifies,
// re-executes, and resumes to the same final root.
func TestCommitEvery(t *testing.T) {
	every := runJSON(t, logreg, "--steps", "23", "--seed", "2")
	dir := t.TempDir()
	out, err := runCLI(t, "run", logreg, "--steps", "12", "--seed", "2", "--commit-every", "5", "--checkpoint-every", "10", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	part, err := parseRunJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	var steps []uint64
	for _, r := range part.Roots {
		steps = append(steps, r.Step)
		if r.Root != every.Roots[r.Step].Root {
			t.Errorf("step %d: root %s, every step committed: %s", r.Step, r.Root, every.Roots[r.Step].Root)
		}
	}
	if fmt.Sprint(steps) != "[0 5 10 12]" {
		t.Errorf("committed steps %v, want [0 5 10 12]", steps)
	}
	out, err = runCLI(t, "run", "--resume", part.Run, "--steps", "23", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	rest, err := parseRunJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	if rest.FinalRoot != every.FinalRoot {
		t.Errorf("resumed to %s, every step committed: %s", rest.FinalRoot, every.FinalRoot)
	}
	for _, args := range [][]string{{"ledger", "verify", part.Run}, {"verify", part.Run}, {"trace", part.Run, "--step", "7"}} {
		if out, err := runCLI(t, append(args, "--data-dir", dir)...); err != nil {
			t.Errorf("lockstep %v: %v\n%s", args, err, out)
		}
	}
}

// A run that fails partway still prints, with --json, the roots of the steps it completed
// and why it stopped.
func TestRunJSONOnFailure(t *testing.T) {
	out, err := runCLI(t, "run", "--json", "--no-ledger", "--steps", "5", "--fuel", "2000000", "../../testdata/wat/guest_says.wasm", "--seed", "2")
	if err == nil {
		t.Fatalf("the step that traps passed:\n%s", out)
	}
	rep, jerr := parseRunJSON(out)
	if jerr != nil {
		t.Fatalf("no JSON report on failure: %v\n%s", jerr, out)
	}
	if len(rep.Roots) != 1 || rep.Roots[0].Step != 0 || !strings.Contains(rep.Error, "about to fail") {
		t.Errorf("report: %d roots, error %q", len(rep.Roots), rep.Error)
	}
}

// --check-restore passes an honest task, with the same roots as a run without it, and
// stops a task that keeps state outside its checkpoint before committing the step,
// saying what to look for.
func TestRunCheckRestore(t *testing.T) {
	const escape = "../../testdata/tasks/escape/escape.wasm"
	plain := runJSON(t, escape, "--steps", "12", "--seed", "1")
	checked := runJSON(t, escape, "--steps", "12", "--seed", "1", "--check-restore", "5")
	if checked.FinalRoot != plain.FinalRoot || checked.Checked != 5 { // steps 1, 2, 5, 10, 12
		t.Errorf("checked run: final %s (plain %s), %d checks", checked.FinalRoot, plain.FinalRoot, checked.Checked)
	}
	dir := t.TempDir()
	out, err := runCLI(t, "run", "--json", "--data-dir", dir, escape, "--steps", "12", "--seed", "2", "--check-restore", "5")
	rep, jerr := parseRunJSON(out)
	if err == nil || jerr != nil {
		t.Fatalf("a Go-variable counter passed the check: %v\n%s", err, out)
	}
	if len(rep.Roots) != 2 || rep.Checked != 1 || !strings.Contains(rep.Error, "keeps state outside its checkpoint") {
		t.Errorf("report of the failed check: %d roots, %d checks, error %q", len(rep.Roots), rep.Checked, rep.Error)
	}
	// The failed step was not committed, the one before it was: the run's ledger ends at
	// step 1.
	out, err = runCLI(t, "ledger", "show", rep.Run, "--data-dir", dir)
	if err != nil || !regexp.MustCompile(`(?m)^ +1  [0-9a-f]{64}`).MatchString(out) || regexp.MustCompile(`(?m)^ +2  [0-9a-f]{64}`).MatchString(out) {
		t.Errorf("ledger after the failed check: %v\n%s", err, out)
	}
}

// What a node runner types wrong or does twice gets a clear answer: a flag that cannot
// apply to a resumed run is refused, one that can is applied, a finished run resumes to
// a note, a missing module and a mistyped flag are named, and completion offers runs.
func TestRunFlagsAndMessages(t *testing.T) {
	dir := t.TempDir()
	rep := runJSON(t, logreg, "--steps", "6", "--data-dir", dir)
	for _, tc := range []struct {
		args []string
		want string // in the error, or in the output where ok
		ok   bool
	}{
		{[]string{"run", "--resume", rep.Run, "--seed", "3"}, "--seed cannot apply to a resumed run", false},
		{[]string{"run", "--resume", rep.Run, "--input", "x=" + logreg}, "--input cannot apply", false},
		{[]string{"run", "--resume", rep.Run, "--no-ledger"}, "--no-ledger cannot apply", false},
		{[]string{"run", "--resume", rep.Run, logreg}, "takes the module from the ledger", false},
		{[]string{"run"}, "which task? lockstep run TASK.wasm", false},
		{[]string{"run", logreg, "--stpes", "3"}, "did you mean --steps?", false},
		{[]string{"run", "--resume", rep.Run}, "is complete: it reached step 6", true},
		{[]string{"run", "--resume", rep.Run, "--steps", "9", "--checkpoint-every", "3"}, "task from run " + rep.Run, true},
		{[]string{"ledger", "runs"}, "9 of 9", true},
		{[]string{"__complete", "ledger", "show", "--data-dir", dir, rep.Run[:4]}, rep.Run + "\t", true},
		{[]string{"__complete", "run", "--engine", ""}, "interpreter", true},
		{[]string{"demo", "--help"}, "--data-dir", true},
	} {
		args := tc.args
		if args[0] != "__complete" { // there the word completed comes last
			args = append(args, "--data-dir", dir)
		}
		out, err := runCLI(t, args...)
		got := out
		if err != nil {
			got = err.Error()
		}
		if (err == nil) != tc.ok || !strings.Contains(got, tc.want) {
			t.Errorf("lockstep %v: %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
	// The extension stored checkpoints every 3 steps from then on.
	out, _ := runCLI(t, "ledger", "show", rep.Run, "--json", "--data-dir", dir)
	if !strings.Contains(out, `"step": 9`) {
		t.Errorf("the extended run lacks step 9:\n%s", out)
	}
}

// What a node runner trying things found: --steps below a run's committed steps, a
// mistyped data dir, an export over an existing file, an init failure under --json.
func TestRunnerTrialFindings(t *testing.T) {
	dir := t.TempDir()
	rep := runJSON(t, logreg, "--steps", "20", "--data-dir", dir)
	lsx := filepath.Join(t.TempDir(), "run.lsx")
	nowhere := filepath.Join(t.TempDir(), "mistyped")
	for _, tc := range []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"run", "--resume", rep.Run, "--steps", "10", "--data-dir", dir}, "has committed steps up to 20: --steps 10 is below them", false},
		{[]string{"ledger", "rm", rep.Run, "--data-dir", nowhere}, "no ledger in " + nowhere, false},
		{[]string{"run", "--resume", rep.Run, "--data-dir", nowhere}, "no ledger in " + nowhere, false},
		{[]string{"ledger", "export", rep.Run, "--out", lsx, "--data-dir", dir}, "exported run", true},
		{[]string{"ledger", "export", rep.Run, "--out", lsx, "--data-dir", dir}, "exists: pass --force", false},
		{[]string{"ledger", "export", rep.Run, "--out", lsx, "--force", "--data-dir", dir}, "exported run", true},
		{[]string{"ledger", "import", lsx, "--data-dir", dir}, "nothing added", true},
		{[]string{"ledger", "import", dir, "--data-dir", dir}, "is a directory", false},
		{[]string{"run", "--json", "../../testdata/tasks/escape/escape.wasm", "--seed", "3", "--data-dir", dir}, `{"event":"error"`, false},
	} {
		out, err := runCLI(t, tc.args...)
		got := out
		if err != nil {
			got += err.Error()
		}
		if (err == nil) != tc.ok || !strings.Contains(got, tc.want) {
			t.Errorf("lockstep %v: %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
	if _, err := os.Stat(nowhere); err == nil {
		t.Error("a mistyped --data-dir was created")
	}
}
