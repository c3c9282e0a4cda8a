package native

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest/rl"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/runtime"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

// The RL example task's Wasm build reaches the native roots in init and warm-up steps, on
// both engines.
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

// The RL exports of the example task's Wasm build, called the way the host calls them
// (init, restore, one export as step 1), reach the native roots and rewards on both
// engines: generate's rollouts, score's rewards, train's new policy.
func TestRLExportsWasmMatchNative(t *testing.T) {
	const seed, sample = 3, 0x5eed
	c := nativeRLCalls(t, seed, sample)
	startCp, gen, rewards, trained, round, batch := c.start, c.gen, c.rewards, c.trained, c.round, c.batch
	wasm, err := os.ReadFile("../../testdata/tasks/rl/rl.wasm")
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
		call := func(export string, s uint64, in []host.Input, cp *host.Checkpoint) *runtime.Task {
			task, err := m.Instantiate(ctx, s, in)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { task.Close(ctx) })
			if _, err := task.Init(ctx); err != nil {
				t.Fatal(err)
			}
			if cp != nil {
				if err := task.Restore(ctx, cp); err != nil {
					t.Fatal(err)
				}
			}
			if err := task.SetStepExport(export); err != nil {
				t.Fatal(err)
			}
			if err := task.Advance(ctx, 1); err != nil {
				t.Fatalf("%s on %s: %v", export, engine, err)
			}
			return task
		}
		if got := call("lockstep_rl_generate", sample, []host.Input{round}, startCp).Session().Checkpoint(); got.Root != gen.Root {
			t.Errorf("%s: generate reaches root %x in Wasm, %x natively", engine, got.Root[:8], gen.Root[:8])
		}
		if got := call("lockstep_rl_score", seed, []host.Input{round, batch}, nil).Output(); !bytes.Equal(got, rewards) {
			t.Errorf("%s: score hands over other rewards in Wasm than natively", engine)
		}
		if got := call("lockstep_rl_train", sample, []host.Input{round, batch}, gen).Session().Checkpoint(); got.Root != trained.Root {
			t.Errorf("%s: train reaches root %x in Wasm, %x natively", engine, got.Root[:8], trained.Root[:8])
		}
	}
}

// rlCalls are the results of the RL example task's calls, natively: from the state after
// two warm-up steps with seed, the generation of round 1 with the instance seed sample,
// the rewards of its rows, and the training on them.
type rlCalls struct {
	start, gen, trained *host.Checkpoint
	rewards             []byte
	round, batch        host.Input
}

func nativeRLCalls(t *testing.T, seed, sample uint64) rlCalls {
	t.Helper()
	_, start := runNative(t, &addition.Task{}, seed, nil, 2)
	c := rlCalls{start: start.Session().Checkpoint(), round: host.NewInput(rl.RoundInput, rl.Round{Number: 1, QuestionSeed: 77}.Bytes())}
	native := func(s uint64, in []host.Input, cp *host.Checkpoint) *Task {
		nt := New(&addition.Task{}, s, in, host.DefaultLimits(), nil)
		if _, err := nt.Init(); err != nil {
			t.Fatal(err)
		}
		if cp != nil {
			if err := nt.Restore(cp); err != nil {
				t.Fatal(err)
			}
		}
		return nt
	}
	var err error
	if c.gen, err = native(sample, []host.Input{c.round}, c.start).Generate(1); err != nil {
		t.Fatal(err)
	}
	var rows []byte
	for _, v := range c.gen.Tensors[rl.RolloutsState].Int32s() {
		rows = binary.LittleEndian.AppendUint32(rows, uint32(v))
	}
	c.batch = host.NewInput(rl.BatchInput, rows)
	scored := native(seed, []host.Input{c.round, c.batch}, nil)
	if _, err := scored.Score(1); err != nil {
		t.Fatal(err)
	}
	c.rewards = append([]byte(nil), scored.Output()...)
	if c.trained, err = native(sample, []host.Input{c.round, c.batch}, c.gen).Train(1); err != nil {
		t.Fatal(err)
	}
	if c.trained.Root == c.gen.Root {
		t.Fatal("training changed nothing")
	}
	return c
}
