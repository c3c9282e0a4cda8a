package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The steps docs/task-authoring.md gives for a task in its own module, run as written
// from an empty directory, make a module whose native test passes and whose Wasm build
// trains under lockstep run with the restore check.
func TestTaskInItsOwnModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and the lockstep binary; skipped in -short mode")
	}
	doc, err := os.ReadFile("../../docs/task-authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "<!-- TestTaskInItsOwnModule")
	if !ok {
		t.Fatal("docs/task-authoring.md lost the marked block of steps")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var script []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		if strings.HasPrefix(line, "export LOCKSTEP_SDK=") {
			continue // the test sets it to the checkout under test
		}
		script = append(script, line)
	}
	bin := t.TempDir()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goBin, "build", "-o", filepath.Join(bin, "lockstep"), ".").CombinedOutput(); err != nil {
		t.Fatalf("building lockstep: %v\n%s", err, out)
	}
	sdk, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	sh := exec.Command("sh", "-ex", "-c", strings.Join(script, "\n"))
	sh.Dir = work
	sh.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"LOCKSTEP_SDK="+sdk, "LOCKSTEP_DATA_DIR="+t.TempDir())
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the documented steps failed: %v\n%s", err, out)
	}
	for _, want := range []string{"ok  \tmytask", "admitted    yes", "restore checks: 5 steps", "eval: accuracy 0.9"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// lockstep new refuses what would go wrong later, saying what to do.
func TestNewTaskRefusals(t *testing.T) {
	full := filepath.Join(t.TempDir(), "mytask")
	os.Mkdir(full, 0o755)
	os.WriteFile(filepath.Join(full, "task.go"), nil, 0o644)
	sdk, _ := filepath.Abs("../..")
	t.Setenv("LOCKSTEP_SDK", "")
	t.Chdir(t.TempDir()) // outside any checkout
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"new", filepath.Join(t.TempDir(), "my-task"), "--sdk", "../.."}, "lower-case Go identifier"},
		{[]string{"new", filepath.Join(t.TempDir(), "mytask")}, "pass --sdk DIR or set LOCKSTEP_SDK"},
		{[]string{"new", filepath.Join(t.TempDir(), "mytask"), "--sdk", t.TempDir()}, "is not a checkout of github.com/lockstep-ml/lockstep"},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lockstep %v: %v, want %q", tc.args, err, tc.want)
		}
	}
	t.Chdir(sdk)
	if _, err := runCLI(t, "new", full); err == nil || !strings.Contains(err.Error(), "exists and is not empty") {
		t.Errorf("into a directory with files: %v", err)
	}
}
