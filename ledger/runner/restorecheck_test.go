package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/runtime"
	"github.com/lockstep-ml/lockstep/testdata/tasks/escape"
)

// runChecked runs a module for steps steps without a ledger, with a restore check at steps
// 1, 2, every `every` and the last, and returns the checks passed and the first error.
func runChecked(t *testing.T, engine runtime.Engine, wasm []byte, seed uint64, inputs []host.Input, steps, every, commitEvery uint64) (int, error) {
	t.Helper()
	ctx := context.Background()
	task := instance(t, engine, wasm, seed, inputs)
	r := New(nil, ledger.RunMeta{}, task, Options{CheckRestore: every, CommitEvery: commitEvery, CheckpointEvery: commitEvery})
	if _, err := r.Init(ctx); err != nil {
		return 0, err
	}
	for s := uint64(1); s <= steps; s++ {
		if _, err := r.Step(ctx, s, s == steps); err != nil {
			return r.Checked(), err
		}
	}
	return r.Checked(), nil
}

// The example tasks are restore-safe: at every checked step a fresh instance restored
// from the checkpoint before it reaches the same root.
func TestExampleTasksPassRestoreCheck(t *testing.T) {
	digits := []host.Input{host.NewInput("digits.csv.gz", readFile(t, "../../testdata/data/digits.csv.gz"))}
	opticks := []host.Input{host.NewInput("opticks.txt", readFile(t, "../../testdata/data/opticks.txt"))}
	for _, tc := range []struct {
		name               string
		inputs             []host.Input
		steps, every, want uint64
		commitEvery        uint64
	}{
		{"logreg", nil, 60, 20, 5, 1},
		{"cmlp", nil, 60, 20, 5, 1},       // in C     // 1, 2, 20, 40, 60
		{"digits", digits, 30, 10, 5, 1},  // 1, 2, 10, 20, 30
		{"digits", digits, 25, 10, 5, 4},  // between committed roots too: 1, 2, 10, 20, 25
		{"charlm", opticks, 4, 100, 3, 1}, // 1, 2, 4
	} {
		t.Run(tc.name, func(t *testing.T) {
			wasm := readFile(t, "../../testdata/tasks/"+tc.name+"/"+tc.name+".wasm")
			n, err := runChecked(t, runtime.EngineCompiler, wasm, 3, tc.inputs, tc.steps, tc.every, tc.commitEvery)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(n) != tc.want {
				t.Errorf("%d restore checks passed, want %d", n, tc.want)
			}
		})
	}
}

// Each way of keeping state outside the checkpoint is caught on both engines: at once by
// the host and the SDK where they can see it, by the restore check otherwise.
func TestStateEscapesAreCaught(t *testing.T) {
	wasm := readFile(t, "../../testdata/tasks/escape/escape.wasm")
	for _, engine := range []runtime.Engine{runtime.EngineCompiler, runtime.EngineInterpreter} {
		for _, tc := range []struct {
			name   string
			seed   uint64
			check  func(error) bool
			checks int // passed before the failure
		}{
			{"honest", escape.Honest, func(err error) bool { return err == nil }, 8},
			{"counter in a Go variable", escape.GoCounter, notRestorable(2), 1},
			{"two layers with one name", escape.SameName, contains(`state name "lin.w" registered twice`), 0},
			{"kept tensor never registered", escape.Unregistered, notRestorable(2), 1},
			{"RNG advanced in a Go variable", escape.GoRNG, notRestorable(2), 1},
			{"parameter created in a step", escape.ParamInStep, contains(`state "late" registered after init`), 2},
		} {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				n, err := runChecked(t, engine, wasm, tc.seed, nil, 30, 5, 1)
				if !tc.check(err) {
					t.Errorf("got %v", err)
				}
				if n != tc.checks {
					t.Errorf("%d checks passed, want %d", n, tc.checks)
				}
			})
		}
	}
	// Without the check, the escapes the host cannot see run to the end unnoticed: the
	// check is what finds them.
	for _, seed := range []uint64{escape.GoCounter, escape.Unregistered, escape.GoRNG} {
		if _, err := runChecked(t, runtime.EngineCompiler, wasm, seed, nil, 30, 0, 1); err != nil {
			t.Errorf("seed %d without the check: %v", seed, err)
		}
	}
}

func notRestorable(step int) func(error) bool {
	return func(err error) bool {
		return errors.Is(err, runtime.ErrNotRestorable) && strings.Contains(err.Error(), fmt.Sprintf("step %d computes root", step))
	}
}

func contains(s string) func(error) bool {
	return func(err error) bool { return err != nil && strings.Contains(err.Error(), s) }
}

// instance starts an instance of wasm on engine with seed and inputs, closed (with its
// runtime) when the test ends.
func instance(t *testing.T, engine runtime.Engine, wasm []byte, seed uint64, inputs []host.Input) *runtime.Task {
	t.Helper()
	ctx := context.Background()
	rt, err := runtime.New(ctx, runtime.Config{Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.Load(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	task, err := m.Instantiate(ctx, seed, inputs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Close(ctx) })
	return task
}
