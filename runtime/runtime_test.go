package runtime

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
)

func readWasm(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRuntime(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	rt, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// load admits wasm into rt or fails the test.
func load(t testing.TB, rt *Runtime, wasm []byte) *Module {
	t.Helper()
	m, err := rt.Load(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// started instantiates m with seed and runs init, or fails the test.
func started(t testing.TB, m *Module, seed uint64) *Task {
	t.Helper()
	ctx := context.Background()
	task, err := m.Instantiate(ctx, seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.Init(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Close(ctx) })
	return task
}

// trainRoots runs init and n steps and returns the roots of steps 0..n and the losses.
func trainRoots(t testing.TB, rt *Runtime, wasm []byte, seed uint64, n int) ([]string, []float64, *Task) {
	t.Helper()
	ctx := context.Background()
	task := started(t, load(t, rt, wasm), seed)
	cp := task.Session().Checkpoint()
	roots := []string{hex.EncodeToString(cp.Root[:])}
	var losses []float64
	for s := 1; s <= n; s++ {
		cp, err := task.Step(ctx, uint64(s))
		if err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		roots = append(roots, hex.EncodeToString(cp.Root[:]))
		losses = append(losses, task.Session().Metrics()["loss"])
	}
	return roots, losses, task
}

func TestLogRegTrainsIdenticallyOnBothEngines(t *testing.T) {
	wasm := readWasm(t, "tasks/logreg/logreg.wasm")
	const steps = 30
	comp, losses, task := trainRoots(t, newRuntime(t, Config{Engine: EngineCompiler}), wasm, 7, steps)
	if !(losses[steps-1] < 0.5*losses[0]) {
		t.Fatalf("loss did not fall: %v", losses)
	}
	if err := task.Eval(context.Background()); err != nil {
		t.Fatal(err)
	}
	if acc := task.Session().Metrics()["accuracy"]; acc < 0.9 {
		t.Fatalf("accuracy %v after %d steps", acc, steps)
	}
	interp, _, _ := trainRoots(t, newRuntime(t, Config{Engine: EngineInterpreter}), wasm, 7, steps)
	for s := range comp {
		if comp[s] != interp[s] {
			t.Fatalf("step %d: compiler root %s, interpreter root %s", s, comp[s], interp[s])
		}
	}
	other, _, _ := trainRoots(t, newRuntime(t, Config{}), wasm, 8, 2)
	if other[2] == comp[2] {
		t.Fatal("seeds 7 and 8 reached the same root")
	}
}

// A fresh instance restored from the checkpoint of step k continues to the same roots as
// the uninterrupted run.
func TestRestoreContinuesToSameRoots(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "tasks/logreg/logreg.wasm")
	rt := newRuntime(t, Config{})
	full, _, _ := trainRoots(t, rt, wasm, 3, 12)

	m := load(t, rt, wasm)
	first := started(t, m, 3)
	var saved *host.Checkpoint
	var err error
	for s := uint64(1); s <= 5; s++ {
		if saved, err = first.Step(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	first.Close(ctx)

	second := started(t, m, 3)
	if err := second.Restore(ctx, saved); err != nil {
		t.Fatal(err)
	}
	for s := uint64(6); s <= 12; s++ {
		cp, err := second.Step(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(cp.Root[:]); got != full[s] {
			t.Fatalf("step %d after restore: root %s, uninterrupted %s", s, got, full[s])
		}
	}
	// A tampered checkpoint is refused.
	bad := *saved
	bad.Blob = []byte("tampered")
	third := started(t, m, 3)
	if err := third.Restore(ctx, &bad); !errors.Is(err, host.ErrState) {
		t.Fatalf("restoring a tampered checkpoint: %v", err)
	}
}

// Compiled code is cached on disk: a second runtime over the same directory finds it and
// runs the task to the same roots.
func TestCompilationCache(t *testing.T) {
	if !compilerArch {
		t.Skip("the interpreter compiles nothing to cache")
	}
	dir := t.TempDir()
	wasm := readWasm(t, "tasks/logreg/logreg.wasm")
	first, _, _ := trainRoots(t, newRuntime(t, Config{Engine: EngineCompiler, CacheDir: dir}), wasm, 5, 3)
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("cache directory is empty after a load: %v", err)
	}
	second, _, _ := trainRoots(t, newRuntime(t, Config{Engine: EngineCompiler, CacheDir: dir}), wasm, 5, 3)
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("step %d: %s from a fresh compile, %s from the cache", i, first[i], second[i])
		}
	}
}
