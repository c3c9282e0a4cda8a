package native

import (
	"context"
	"encoding/hex"
	"os"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/runtime"
	"github.com/lockstep-ml/lockstep/testdata/tasks/digits"
)

func digitsInput(t testing.TB) []host.Input {
	t.Helper()
	data, err := os.ReadFile("../../testdata/data/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	return []host.Input{host.NewInput(digits.Input, data)}
}

func hexRoot(cp *host.Checkpoint) string { return hex.EncodeToString(cp.Root[:]) }

// runNative runs task natively for steps steps and returns the roots of steps 0..steps.
func runNative(t testing.TB, task guest.Task, seed uint64, in []host.Input, steps uint64) ([]string, *Task) {
	t.Helper()
	nt := New(task, seed, in, host.DefaultLimits(), nil)
	cp, err := nt.Init()
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{hexRoot(cp)}
	for s := uint64(1); s <= steps; s++ {
		if cp, err = nt.Step(s); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, hexRoot(cp))
	}
	return roots, nt
}

// nativeRoots trains the digits task natively for steps steps.
func nativeRoots(t testing.TB, seed, steps uint64) ([]string, *Task) {
	return runNative(t, &digits.Task{}, seed, digitsInput(t), steps)
}

// assertWasmMatchesNative runs the Wasm module at path on every engine here and checks
// its roots against the native roots want (steps 0..len(want)-1).
func assertWasmMatchesNative(t *testing.T, path string, seed uint64, in []host.Input, want []string) {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, engine := range engines() {
		rt, err := runtime.New(ctx, runtime.Config{Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		m, err := rt.Load(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		task, err := m.Instantiate(ctx, seed, in)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := task.Init(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for s := range want {
			if s > 0 {
				if cp, err = task.Step(ctx, uint64(s)); err != nil {
					t.Fatal(err)
				}
			}
			if got := hexRoot(cp); got != want[s] {
				t.Fatalf("%s step %d: wasm root %s, native %s", engine, s, got, want[s])
			}
		}
	}
}

func TestDigitsReachesHeldOutAccuracy(t *testing.T) {
	_, task := nativeRoots(t, 1, 600)
	if err := task.Eval(); err != nil {
		t.Fatal(err)
	}
	acc := task.Session().Metrics()["accuracy"]
	t.Logf("held-out accuracy %.4f after 600 steps", acc)
	if acc < 0.95 {
		t.Fatalf("held-out accuracy %.4f, want >= 0.95", acc)
	}
}

// The Wasm build, on both engines, reaches the native build's roots at every step.
func TestDigitsWasmMatchesNative(t *testing.T) {
	want, _ := nativeRoots(t, 3, 25)
	assertWasmMatchesNative(t, "../../testdata/tasks/digits/digits.wasm", 3, digitsInput(t), want)
}

// Native restore from a checkpoint continues to the uninterrupted roots (the loader
// position and optimizer step come back from the blob).
func TestDigitsRestoreNatively(t *testing.T) {
	want, _ := nativeRoots(t, 5, 30)
	first := New(&digits.Task{}, 5, digitsInput(t), host.DefaultLimits(), nil)
	if _, err := first.Init(); err != nil {
		t.Fatal(err)
	}
	var cp *host.Checkpoint
	var err error
	for s := uint64(1); s <= 17; s++ {
		if cp, err = first.Step(s); err != nil {
			t.Fatal(err)
		}
	}
	second := New(&digits.Task{}, 5, digitsInput(t), host.DefaultLimits(), nil)
	if _, err := second.Init(); err != nil {
		t.Fatal(err)
	}
	if err := second.Restore(cp); err != nil {
		t.Fatal(err)
	}
	for s := uint64(18); s <= 30; s++ {
		if cp, err = second.Step(s); err != nil {
			t.Fatal(err)
		}
		if got := hexRoot(cp); got != want[s] {
			t.Fatalf("step %d after restore: %s, want %s", s, got, want[s])
		}
	}
}

// A traced step gives the same trace natively as in Wasm on each engine: the same
// operators on the same tensors, entry for entry, ending with the same binding entry.
func TestTracesMatchWasm(t *testing.T) {
	const seed, steps = 5, 3
	ctx := context.Background()
	wasm, err := os.ReadFile("../../testdata/tasks/digits/digits.wasm")
	if err != nil {
		t.Fatal(err)
	}
	nt := New(&digits.Task{}, seed, digitsInput(t), host.DefaultLimits(), nil)
	nt.Session().SetTracing(true)
	var want [][32]byte
	for s := uint64(0); s <= steps; s++ {
		var cp *host.Checkpoint
		if s == 0 {
			cp, err = nt.Init()
		} else {
			cp, err = nt.Step(s)
		}
		if err != nil {
			t.Fatal(err)
		}
		tr, err := nt.Session().StepTrace(cp)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tr.Head)
	}
	for _, engine := range engines() {
		rt, err := runtime.New(ctx, runtime.Config{Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		m, err := rt.Load(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		task, err := m.Instantiate(ctx, seed, digitsInput(t))
		if err != nil {
			t.Fatal(err)
		}
		task.Session().SetTracing(true)
		for s := uint64(0); s <= steps; s++ {
			var cp *host.Checkpoint
			if s == 0 {
				cp, err = task.Init(ctx)
			} else {
				cp, err = task.Step(ctx, s)
			}
			if err != nil {
				t.Fatal(err)
			}
			tr, err := task.Session().StepTrace(cp)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Head != want[s] {
				t.Errorf("%s step %d: trace head %x in Wasm, %x natively", engine, s, tr.Head[:8], want[s][:8])
			}
		}
	}
}
