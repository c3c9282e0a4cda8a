package native

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/runtime"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

// The RL example task's Wasm build reaches the native roots in init and warm-up steps, on
// both engines. (Its RL exports are compared once the runtime can call them.)
func TestRLTaskWasmMatchesNative(t *testing.T) {
	want, _ := runNative(t, &addition.Task{}, 3, nil, 3)
	assertWasmMatchesNative(t, "../../testdata/tasks/rl/rl.wasm", 3, nil, want)
}

// Only a task that imports guest/rl exports the RL functions.
func TestRLExportsOnlyWhereUsed(t *testing.T) {
	rlExports := []string{"lockstep_rl_generate", "lockstep_rl_score", "lockstep_rl_train"}
	ctx := context.Background()
	rt, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	for _, c := range []struct {
		path string
		want bool
	}{
		{"../../testdata/tasks/rl/rl.wasm", true},
		{"../../testdata/tasks/digits/digits.wasm", false},
		{"../../testdata/tasks/charlm/charlm.wasm", false},
	} {
		wasm, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := rt.Load(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rlExports {
			if got := slices.Contains(m.Exports, e); got != c.want {
				t.Errorf("%s exports %s: %v, want %v", c.path, e, got, c.want)
			}
		}
	}
}
