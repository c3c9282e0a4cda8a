package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/runtime"
)

// exportRun trains logreg (seed 3, steps steps) into a fresh data dir, with fault on every
// operator call if not nil, and exports the run to a file it returns.
func exportRun(t *testing.T, steps uint64, fault func(*host.OpEvent)) string {
	t.Helper()
	ctx := context.Background()
	wasm, err := os.ReadFile(logreg)
	if err != nil {
		t.Fatal(err)
	}
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	meta, err := trainInto(ctx, led, runtime.Config{}, wasm, nil, 3, steps, 10, fault)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.lsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := led.Export(meta.ID, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// A node whose sgd at step 13 flipped a bit of a weight loses the dispute against an honest
// one at step 13: recomputed from its records, its run does not reach the root it committed
// there. The ruling file checks, and an altered one is refuted.
func TestDisputeCommand(t *testing.T) {
	honest := exportRun(t, 30, nil)
	flipped := exportRun(t, 30, func(ev *host.OpEvent) {
		if ev.Step == 13 && ev.Op == host.OpSGD && len(ev.Outputs) > 0 {
			v := append([]float32(nil), ev.Outputs[0].Float32s()...)
			v[0] = math.Float32frombits(math.Float32bits(v[0]) ^ 1<<3)
			ev.Outputs[0], _ = kernels.New(ev.Outputs[0].Shape(), v)
		}
	})
	out := filepath.Join(t.TempDir(), "ruling.json")
	got, err := runCLI(t, "dispute", honest, flipped, "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	t.Log(got)
	if !strings.Contains(got, "step 13, entry") || !strings.Contains(got, "["+flipped+"] lost") {
		t.Errorf("the ruling does not name step 13 and the flipped run:\n%s", got)
	}
	if got, err := runCLI(t, "ruling", "check", out); err != nil || !strings.Contains(got, "confirmed") {
		t.Errorf("ruling check: %v\n%s", err, got)
	}
	b, _ := os.ReadFile(out)
	b[len(b)/2] ^= 1
	os.WriteFile(out, b, 0o644)
	if got, err := runCLI(t, "ruling", "check", out); err == nil {
		t.Errorf("an altered ruling checks:\n%s", got)
	}
	if got, err := runCLI(t, "dispute", honest, exportRun(t, 30, nil), "--out", out); err != nil || !strings.Contains(got, "no dispute") {
		t.Errorf("two honest runs: %v\n%s", err, got)
	}
}
