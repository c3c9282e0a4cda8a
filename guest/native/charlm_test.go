package native

import (
	"os"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
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
	want, _ := runNative(t, &charlm.Task{}, 2, opticks(t), 4)
	assertWasmMatchesNative(t, "../../testdata/tasks/charlm/charlm.wasm", 2, opticks(t), want)
}
