package runner

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/runtime"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// train runs the digits task for steps steps on engine with the trace recorded all along
// (what training did before traces were made on demand), commits every step to a fresh
// ledger with a full checkpoint every 4, and returns the ledger, the run and each step's
// recorded trace.
func train(t *testing.T, engine runtime.Engine, steps uint64) (*ledger.Ledger, string, []*host.Trace) {
	t.Helper()
	ctx := context.Background()
	wasm := readFile(t, "../../testdata/tasks/digits/digits.wasm")
	inputs := []host.Input{host.NewInput("digits.csv.gz", readFile(t, "../../testdata/data/digits.csv.gz"))}
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	meta, err := led.CreateRun(ledger.RunMeta{Seed: 3, Engine: string(engine), Fuel: runtime.DefaultConfig().Fuel, Every: 4, Steps: steps, Created: time.Now()}, wasm, inputs)
	if err != nil {
		t.Fatal(err)
	}
	task := instance(t, engine, wasm, 3, inputs)
	task.Session().SetTracing(true)
	var traces []*host.Trace
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
		traces = append(traces, tr)
		if _, err := led.Commit(meta.ID, cp, s%4 == 0, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return led, meta.ID, traces
}

// The trace of a step made on demand, from the nearest stored checkpoint, is the trace
// recorded while training, entry for entry, on both engines; it ends with the binding
// entry, from which the step's root follows.
func TestTraceOnDemandEqualsRecorded(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []runtime.Engine{runtime.EngineCompiler, runtime.EngineInterpreter} {
		if engine == runtime.EngineCompiler && runtime.DefaultEngine() != runtime.EngineCompiler {
			continue
		}
		led, run, recorded := train(t, engine, 6)
		r, err := OpenReplay(ctx, led, run, runtime.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(ctx)
		for s := uint64(0); s <= 6; s++ {
			cp, tr, ran, err := r.Step(ctx, s, true)
			if err != nil {
				t.Fatalf("%s: step %d: %v", engine, s, err)
			}
			want := recorded[s]
			if tr.Head != want.Head || len(tr.Entries) != len(want.Entries) || !slices.Equal(tr.Heads, want.Heads) {
				t.Errorf("%s: step %d: trace of %d entries, head %x; recorded %d entries, head %x", engine, s, len(tr.Entries), tr.Head[:8], len(want.Entries), want.Head[:8])
			}
			last := tr.Entries[len(tr.Entries)-1]
			if root, err := host.RootFromBinding(s, last); err != nil || root != cp.Root {
				t.Errorf("%s: step %d: the last entry gives root %x (%v), the step %x", engine, s, root[:8], err, cp.Root[:8])
			}
			if s > 0 && ran != s-(s-1)/4*4 {
				t.Errorf("%s: step %d recomputed %d steps; the nearest checkpoint is step %d", engine, s, ran, (s-1)/4*4)
			}
		}
		if _, _, _, err := r.Step(ctx, 7, true); err == nil {
			t.Errorf("%s: traced a step the run never committed", engine)
		}
	}
}

// A stored checkpoint that does not lead to the committed roots is reported, not traced.
func TestTraceRefusesAnotherRun(t *testing.T) {
	ctx := context.Background()
	led, run, _ := train(t, runtime.DefaultEngine(), 2)
	// A second run of the same task with another seed: its checkpoints reach other roots.
	r, err := OpenReplay(ctx, led, run, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	r.meta.Seed++ // recompute as if with another seed
	if _, _, _, err := r.Step(ctx, 2, true); !errors.Is(err, ErrMismatch) {
		t.Fatalf("recomputing with another seed: %v, want %v", err, ErrMismatch)
	}
}

// A run stopped before its init was committed resumes from the start.
func TestResumeBeforeInitCommitted(t *testing.T) {
	ctx := context.Background()
	wasm := readFile(t, "../../testdata/tasks/logreg/logreg.wasm")
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	meta, err := led.CreateRun(ledger.RunMeta{Seed: 1, Fuel: runtime.DefaultConfig().Fuel, Every: 5, Steps: 3, Created: time.Now()}, wasm, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Load(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	task, err := m.Instantiate(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer task.Close(ctx)
	run := New(led, meta, task, Options{CheckpointEvery: 5})
	restored, next, cp, err := run.Resume(ctx)
	if err != nil || restored != 0 || next != 1 || cp.Step != 0 {
		t.Fatalf("resume: restored %d, next %d, %v", restored, next, err)
	}
	if _, err := run.Step(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	if rep, err := led.Verify(meta.ID); err != nil || !rep.OK() || rep.Steps != 2 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
