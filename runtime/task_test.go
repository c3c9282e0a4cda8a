package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
)

// What the guest says before it fails (its own error on stderr, a last line without its
// newline before a trap) reaches the error, on both engines, and the node's log.
func TestGuestSaysWhyItFails(t *testing.T) {
	ctx := context.Background()
	for _, engine := range availableEngines() {
		var logged []string
		rt := newRuntime(t, Config{Engine: engine, Log: func(l string) { logged = append(logged, l) }})
		m := load(t, rt, readWasm(t, "wat/guest_says.wasm"))
		task, err := m.Instantiate(ctx, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = task.Init(ctx)
		if !errors.Is(err, ErrTaskFailed) || !strings.Contains(err.Error(), "the guest said:\n    my own error: row 7 has 3 columns, want 65") {
			t.Errorf("%s: init failed with %v", engine, err)
		}
		task.Close(ctx)
		task, err = m.Instantiate(ctx, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := task.Init(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = task.Step(ctx, 1)
		if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), "the guest said:\n    about to fail") {
			t.Errorf("%s: step failed with %v", engine, err)
		}
		task.Close(ctx)
		if strings.Join(logged, "|") != "my own error: row 7 has 3 columns, want 65|about to fail" {
			t.Errorf("%s: the node's log got %q", engine, logged)
		}
	}
}

// A task written with the SDK: its own error (the data is not what it expects) reaches the
// error message, not only "no host error recorded".
func TestSDKErrorReachesTheUser(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, Config{})
	m := load(t, rt, readWasm(t, "tasks/digits/digits.wasm"))
	task, err := m.Instantiate(ctx, 1, []host.Input{host.NewInput("digits.csv.gz", []byte("not gzip at all"))})
	if err != nil {
		t.Fatal(err)
	}
	defer task.Close(ctx)
	_, err = task.Init(ctx)
	if err == nil || !strings.Contains(err.Error(), "the guest said:\n    task error:") {
		t.Fatalf("init on bad data: %v", err)
	}
	t.Log(err)
}

// A command module (a Go task built without -buildmode=c-shared exports _start, not
// _initialize) is refused with a hint of how to build it, instead of trapping in the Go
// runtime's notInitialized at its first call. A module that exports both is admitted, and
// its _start is never called (here it would trap).
func TestCommandModuleRefusedWithAHint(t *testing.T) {
	module := func(names ...string) []byte {
		types := wasmSec(secType, u32LEB(3), []byte{0x60, 0, 0, 0x60, 0, 1, 0x7F, 0x60, 1, 0x7E, 1, 0x7F})
		funcs := wasmSec(secFunction, u32LEB(5), []byte{0, 0, 1, 2, 2})
		index := map[string]byte{"_start": 0, "_initialize": 1, "lockstep_abi_version": 2, "lockstep_init": 3, "lockstep_step": 4}
		var exports [][]byte
		for _, name := range names {
			exports = append(exports, append(append(u32LEB(uint32(len(name))), name...), 0, index[name]))
		}
		exports = append(exports, append(append(u32LEB(6), "memory"...), 2, 0))
		code := wasmSec(secCode, u32LEB(5), funcBody(nil, []byte{0x00, 0x0B}), funcBody(nil, []byte{0x0B}),
			funcBody(nil, []byte{0x41, ABIVersion, 0x0B}), funcBody(nil, []byte{0x41, 0, 0x0B}), funcBody(nil, []byte{0x41, 0, 0x0B}))
		return wasmModule(types, funcs, wasmSec(secMemory, u32LEB(1), []byte{0, 1}), wasmSec(secExport, wasmVec(exports)), code)
	}
	rt := newRuntime(t, Config{})
	_, err := rt.Load(context.Background(), module("_start", "lockstep_abi_version", "lockstep_init", "lockstep_step"))
	if !errors.Is(err, ErrAdmission) || !strings.Contains(err.Error(), "command module") || !strings.Contains(err.Error(), "-buildmode=c-shared") {
		t.Fatalf("a command module: %v", err)
	}
	task := started(t, load(t, rt, module("_start", "_initialize", "lockstep_abi_version", "lockstep_init", "lockstep_step")), 1)
	if _, err := task.Step(context.Background(), 1); err != nil {
		t.Fatalf("a module exporting _start and _initialize: %v", err)
	}
}
