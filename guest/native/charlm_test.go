package native

import (
	"context"
	"os"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/runtime"
	"github.com/lockstep-ml/lockstep/testdata/tasks/charlm"
)

func opticks(t testing.TB) []host.Input {
	t.Helper()
	data, err := os.ReadFile("../../testdata/data/opticks.txt")
	if err != nil {
		t.Fatal(err)
	}
	return []host.Input{host.NewInput(charlm.Input, data)}
}

// The transformer learns: its held-out loss falls clearly below the unigram baseline.
func TestCharLMBeatsUnigram(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a transformer for a few seconds; skipped in -short mode")
	}
	task := New(&charlm.Task{}, 1, opticks(t), host.DefaultLimits(), nil)
	if _, err := task.Init(); err != nil {
		t.Fatal(err)
	}
	const steps = 400
	for s := uint64(1); s <= steps; s++ {
		if _, err := task.Step(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := task.Eval(); err != nil {
		t.Fatal(err)
	}
	m := task.Session().Metrics()
	t.Logf("held-out loss %.3f nats/char after %d steps; unigram baseline %.3f", m["loss"], steps, m["unigram_loss"])
	if !(m["loss"] < m["unigram_loss"]-0.5) {
		t.Fatalf("held-out loss %.3f is not clearly below the unigram baseline %.3f", m["loss"], m["unigram_loss"])
	}
}

// The transformer's Wasm build reaches the native roots, on both engines.
func TestCharLMWasmMatchesNative(t *testing.T) {
	const steps = 4
	task := New(&charlm.Task{}, 2, opticks(t), host.DefaultLimits(), nil)
	cp, err := task.Init()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{hexRoot(cp)}
	for s := uint64(1); s <= steps; s++ {
		if cp, err = task.Step(s); err != nil {
			t.Fatal(err)
		}
		want = append(want, hexRoot(cp))
	}
	wasm, err := os.ReadFile("../../testdata/tasks/charlm/charlm.wasm")
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
		wt, err := m.Instantiate(ctx, 2, opticks(t))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := wt.Init(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for s := uint64(0); s <= steps; s++ {
			if s > 0 {
				if cp, err = wt.Step(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			if got := hexRoot(cp); got != want[s] {
				t.Fatalf("%s step %d: wasm root %s, native %s", engine, s, got, want[s])
			}
		}
	}
}
