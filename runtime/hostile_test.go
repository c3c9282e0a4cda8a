package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Each hostile guest gets a clear error naming the cause, after a bounded amount of work
// (a fuel budget: deterministic, so no wall-clock threshold), and the same runtime then
// trains a good task to the same roots as a runtime that never saw them.
func TestHostileGuests(t *testing.T) {
	hostileTest(t)
	cases := []struct {
		file  string
		stage string // where it must fail: load, instantiate, step
		kind  error
		says  []string
		fuel  uint64 // a larger budget than the rest get, or 0
	}{
		{"infinite_loop", "step", ErrFuelExhausted, []string{"lockstep_step", "fuel"}, 0},
		// Growing to the memory limit costs 1,023 pages of 2^19 units.
		{"memory_bomb", "step", ErrTrap, []string{"unreachable", "guest memory 63 MiB of its 64 MiB limit"}, 1 << 30},
		{"oob_pointer", "step", ErrTaskFailed, []string{"tensor_new", "outside guest memory"}, 0},
		{"oob_load", "step", ErrTrap, []string{"out of bounds memory access"}, 0},
		{"forged_handle", "step", ErrTaskFailed, []string{"tensor_free", "424242 is not a live tensor handle"}, 0},
		{"freed_handle", "step", ErrTaskFailed, []string{"op", "is not a live tensor handle"}, 0},
		{"absurd_size", "step", ErrTaskFailed, []string{"tensor_zeros", "quota exceeded"}, 0},
		{"lying_shape", "step", ErrTaskFailed, []string{"tensor_new", "needs 4000000 bytes of data, got 16"}, 0},
		{"bad_out_pointer", "step", ErrTaskFailed, []string{"tensor_zeros", "cannot write 4 bytes"}, 0},
		{"outer_product", "step", ErrTaskFailed, []string{"op", "quota exceeded", "matmul would make up to 1600000000 output elements"}, 0},
		{"huge_operands", "step", ErrTaskFailed, []string{"op", "exceed the limit"}, 0},
		{"trap_in_step", "step", ErrTrap, []string{"lockstep_step", "unreachable"}, 0},
		{"deep_recursion", "step", ErrTrap, []string{"lockstep_step", "nested deeper than the stack limit (1000 frames"}, 0},
		{"disallowed_import", "load", ErrAdmission, []string{"wasi_snapshot_preview1.path_open", "may not use"}, 0},
		{"refuel", "load", ErrAdmission, []string{"global index 0 out of range"}, 0},
		{"start_function", "load", ErrAdmission, []string{"start function", "_initialize"}, 0},
		{"wrong_abi", "instantiate", ErrABIVersion, []string{"ABI version 2", "version 1"}, 0},
		{"missing_export", "load", ErrAdmission, []string{"lockstep_step"}, 0},
	}
	ctx := context.Background()
	good := readWasm(t, "tasks/logreg/logreg.wasm")
	want, _, _ := trainRoots(t, newRuntime(t, Config{}), good, 11, 3)
	fuelOn := map[string]uint64{} // by file: the fuel the first engine used
	for _, engine := range []Engine{EngineCompiler, EngineInterpreter} {
		// A small memory limit and fuel budget keep the bombs cheap.
		cfg := Config{Engine: engine, MemoryLimitPages: 1024, Fuel: 50_000_000}
		rt := newRuntime(t, cfg)
		for _, c := range cases {
			start := time.Now()
			run := rt
			if c.fuel != 0 {
				cfg := cfg
				cfg.Fuel = c.fuel
				run = newRuntime(t, cfg)
			}
			err, stage, fuel := runHostile(ctx, run, readWasm(t, "hostile/"+c.file+".wasm"))
			switch {
			case err == nil:
				t.Errorf("%s/%s: no error", engine, c.file)
				continue
			case stage != c.stage:
				t.Errorf("%s/%s: failed at %s, want %s: %v", engine, c.file, stage, c.stage, err)
			case !errors.Is(err, c.kind):
				t.Errorf("%s/%s: error is not %v: %v", engine, c.file, c.kind, err)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s/%s: error %q does not say %q", engine, c.file, err, s)
				}
			}
			t.Logf("%-11s %-18s %8v fuel %-10d %v", engine, c.file, time.Since(start).Round(time.Millisecond), fuel, err)
			// Where a guest stops is deterministic: both engines used the same fuel.
			if prev, ok := fuelOn[c.file]; ok && prev != fuel {
				t.Errorf("%s: %s used %d fuel, the other engine %d", c.file, engine, fuel, prev)
			}
			fuelOn[c.file] = fuel
		}
		got, _, _ := trainRoots(t, rt, good, 11, 3)
		for s := range want {
			if got[s] != want[s] {
				t.Fatalf("%s: after the hostile guests, step %d root %s, want %s", engine, s, got[s], want[s])
			}
		}
	}
}

func runHostile(ctx context.Context, rt *Runtime, wasm []byte) (err error, stage string, fuel uint64) {
	m, err := rt.Load(ctx, wasm)
	if err != nil {
		return err, "load", 0
	}
	defer m.Close(ctx)
	task, err := m.Instantiate(ctx, 1, nil)
	if err != nil {
		return err, "instantiate", 0
	}
	defer task.Close(ctx)
	if _, err := task.Init(ctx); err != nil {
		return err, "init", task.FuelUsed
	}
	if _, err := task.Step(ctx, 1); err != nil {
		// The instance is now unusable, and says so.
		if _, again := task.Step(ctx, 2); !errors.Is(again, ErrTaskDead) {
			return errors.New("a failed task accepted another step"), "step", 0
		}
		return err, "step", task.FuelUsed
	}
	return nil, "", task.FuelUsed
}

// Malformed and oversized modules are refused at load with errors that say why.
func TestAdmissionRejectsBadModules(t *testing.T) {
	ctx := context.Background()
	good := readWasm(t, "tasks/logreg/logreg.wasm")
	cases := []struct {
		name string
		wasm []byte
		cfg  Config
		says string
	}{
		{"empty", nil, Config{}, "bad magic number"},
		{"text", []byte("(module)"), Config{}, "bad magic number"},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), Config{}, "unsupported binary version"},
		{"truncated", good[:len(good)/2], Config{}, "malformed module"},
		{"bit flip in code", flip(good, len(good)/3), Config{}, "malformed module"},
		{"oversized", good, Config{MaxModuleBytes: 1 << 20}, "the limit is 1048576"},
	}
	for _, c := range cases {
		rt := newRuntime(t, c.cfg)
		_, err := rt.Load(ctx, c.wasm)
		if !errors.Is(err, ErrAdmission) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an admission error saying %q", c.name, err, c.says)
		}
	}
}

func flip(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at] ^= 0xFF
	return c
}

// The call-depth limit is the same on both engines: a call chain of MaxCallDepth frames
// runs, one frame more traps, wherever either engine's own limit lies.
func TestCallDepthLimitIsDeterministic(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "wat/recursion_depth.wasm")
	for _, engine := range []Engine{EngineCompiler, EngineInterpreter} {
		m := load(t, newRuntime(t, Config{Engine: engine}), wasm)
		for _, c := range []struct {
			depth uint64
			ok    bool
		}{{10, true}, {MaxCallDepth - 1, true}, {MaxCallDepth, false}, {5000, false}} { // step(n): n+1 frames
			task := started(t, m, 1)
			_, err := task.Step(ctx, c.depth)
			if c.ok != (err == nil) || (!c.ok && !strings.Contains(err.Error(), "nested deeper")) {
				t.Errorf("%s: depth %d: %v (want ok=%v)", engine, c.depth, err, c.ok)
			}
			if c.ok && task.stack.Get() != 0 {
				t.Errorf("%s: stack counter is %d after a completed call", engine, task.stack.Get())
			}
		}
	}
}

// The meter's rewrite keeps every way out of a function working (control_flow.wat checks
// its own results), and leaves the depth counter balanced.
func TestMeterPreservesControlFlow(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []Engine{EngineCompiler, EngineInterpreter} {
		task := started(t, load(t, newRuntime(t, Config{Engine: engine}), readWasm(t, "wat/control_flow.wasm")), 1)
		if _, err := task.Step(ctx, 1); err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		if d := task.stack.Get(); d != 0 {
			t.Fatalf("%s: stack counter is %d after the step", engine, d)
		}
	}
}

// A host call that fails changes nothing: a rejected output pointer leaves no tensor and
// no trace entry behind.
func TestFailedCallChangesNothing(t *testing.T) {
	ctx := context.Background()
	task := started(t, load(t, newRuntime(t, Config{}), readWasm(t, "hostile/bad_out_pointer.wasm")), 1)
	if _, err := task.Step(ctx, 1); err == nil {
		t.Fatal("the step succeeded")
	}
	if n := len(task.Session().Trace().Entries); n != 0 {
		t.Fatalf("the failed call left %d trace entries", n)
	}
	if _, err := task.Session().Tensor(1); err == nil {
		t.Fatal("the failed call left a tensor behind")
	}
}
