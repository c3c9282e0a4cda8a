package native

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/internal/crossarch"
	"github.com/lockstep-ml/lockstep/runtime"
	"github.com/lockstep-ml/lockstep/testdata/tasks/charlm"
	"github.com/lockstep-ml/lockstep/testdata/tasks/digits"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_roots.txt from this machine")

// engines lists the wazero engines this platform has.
func engines() []runtime.Engine {
	if runtime.DefaultEngine() == runtime.EngineCompiler {
		return []runtime.Engine{runtime.EngineCompiler, runtime.EngineInterpreter}
	}
	return []runtime.Engine{runtime.EngineInterpreter}
}

// goldenRuns are the native runs whose roots every architecture must reproduce.
func goldenRuns(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, c := range []struct {
		name  string
		task  guest.Task
		in    []host.Input
		steps uint64
	}{
		{"digits", &digits.Task{}, digitsInput(t), 8},
		{"charlm", &charlm.Task{}, opticks(t), 2},
	} {
		roots, _ := runNative(t, c.task, 7, c.in, c.steps)
		for s, r := range roots {
			out[fmt.Sprintf("%s/%d", c.name, s)] = r
		}
	}
	// The RL task's calls: sampling, the checker and a policy-gradient step.
	rc := nativeRLCalls(t, 7, 11)
	out["rl/generate"], out["rl/train"] = hexRoot(rc.gen), hexRoot(rc.trained)
	out["rl/score"] = fmt.Sprintf("%x", sha256.Sum256(rc.rewards))
	return out
}

// The example tasks' native roots are golden: the same on every architecture (see
// TestTasksAcrossArchitectures), and so, by TestDigitsWasmMatchesNative and
// TestCharLMWasmMatchesNative, their Wasm roots too.
func TestGoldenRoots(t *testing.T) {
	const file = "testdata/golden_roots.txt"
	got := goldenRuns(t)
	if *update {
		var sb strings.Builder
		sb.WriteString("# checkpoint roots of the example tasks, seed 7, native build: go test ./guest/native -run GoldenRoots -update\n")
		for _, k := range slices.Sorted(maps.Keys(got)) {
			fmt.Fprintf(&sb, "%s %s\n", k, got[k])
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(k, "#") {
			want[k] = v
		}
	}
	if len(want) != len(got) {
		t.Fatalf("%d golden roots, %d computed", len(want), len(got))
	}
	for k, v := range got {
		if want[k] != v {
			t.Errorf("%s: root %s, golden %s", k, v, want[k])
		}
	}
}

// The example tasks reach the golden roots natively on arm64 and big-endian s390x (under
// qemu), and the digits Wasm build matches native there (arm64 with wazero's compiler).
func TestTasksAcrossArchitectures(t *testing.T) {
	var targets []crossarch.Target
	for _, tg := range crossarch.Targets {
		if tg.Name == "arm64" || tg.Name == "s390x" {
			targets = append(targets, tg)
		}
	}
	crossarch.Run(t, targets, "-test.run", "TestGoldenRoots|TestDigitsWasmMatchesNative")
}
