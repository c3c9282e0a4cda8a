package native

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/runtime"
	"github.com/lockstep-ml/lockstep/testdata/tasks/charlm"
	"github.com/lockstep-ml/lockstep/testdata/tasks/digits"
)

// BenchmarkSandboxCost times training steps of the digits and charlm tasks in Wasm (the
// compiler engine) and natively, in one process, alternating blocks of steps so that
// machine noise hits both, and reports the ratio (the sandbox's cost; target <= 1.15) and
// where a Wasm step's time goes: kernels, hashing for the trace, and the rest (guest code
// in Wasm, host calls, the SDK); in-wasm is the time outside host functions.
//
//	go test ./guest/native -run '^$' -bench SandboxCost -benchtime 1x
func BenchmarkSandboxCost(b *testing.B) {
	b.Run("digits", func(b *testing.B) {
		sandboxCost(b, "digits", func() guest.Task { return &digits.Task{} }, digitsInput(b), 50, 100, 6)
	})
	b.Run("charlm", func(b *testing.B) {
		sandboxCost(b, "charlm", func() guest.Task { return &charlm.Task{} }, opticks(b), 5, 10, 6)
	})
}

// sandboxCost runs warm steps, then blocks of block steps each in Wasm and natively.
func sandboxCost(b *testing.B, name string, newTask func() guest.Task, inputs []host.Input, warm, block, blocks int) {
	ctx := context.Background()
	wasm, err := os.ReadFile("../../testdata/tasks/" + name + "/" + name + ".wasm")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		rt, err := runtime.New(ctx, runtime.Config{Engine: runtime.EngineCompiler})
		if err != nil {
			b.Fatal(err)
		}
		m, err := rt.Load(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		wt, err := m.Instantiate(ctx, 1, inputs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := wt.Init(ctx); err != nil {
			b.Fatal(err)
		}
		nt := New(newTask(), 1, inputs, host.DefaultLimits(), nil)
		if _, err := nt.Init(); err != nil {
			b.Fatal(err)
		}
		var wasmTime, nativeTime time.Duration
		var stats0 host.Stats
		step := uint64(0)
		for k := 0; k <= blocks; k++ {
			n := block
			if k == 0 {
				n = warm
			}
			t0 := time.Now()
			for j := 0; j < n; j++ {
				if _, err := wt.Step(ctx, step+uint64(j)+1); err != nil {
					b.Fatal(err)
				}
			}
			t1 := time.Now()
			for j := 0; j < n; j++ {
				if _, err := nt.Step(step + uint64(j) + 1); err != nil {
					b.Fatal(err)
				}
			}
			t2 := time.Now()
			step += uint64(n)
			if k == 0 { // warm-up block: not counted
				stats0 = wt.Session().Stats()
				continue
			}
			wasmTime += t1.Sub(t0)
			nativeTime += t2.Sub(t1)
		}
		steps := float64(block * blocks)
		st := wt.Session().Stats()
		kernel, hash := st.KernelTime-stats0.KernelTime, st.HashTime-stats0.HashTime
		inCalls, calls := st.CallTime-stats0.CallTime, st.Calls-stats0.Calls
		b.ReportMetric(float64(wasmTime.Microseconds())/steps, "wasm-us/step")
		b.ReportMetric(float64(nativeTime.Microseconds())/steps, "native-us/step")
		b.ReportMetric(wasmTime.Seconds()/nativeTime.Seconds(), "wasm/native")
		b.ReportMetric(100*kernel.Seconds()/wasmTime.Seconds(), "kernels-%")
		b.ReportMetric(100*hash.Seconds()/wasmTime.Seconds(), "hashing-%")
		b.ReportMetric(100*(wasmTime-kernel-hash).Seconds()/wasmTime.Seconds(), "guest+calls-%")
		b.ReportMetric(100*(wasmTime-inCalls).Seconds()/wasmTime.Seconds(), "in-wasm-%")
		b.ReportMetric(float64(calls)/steps, "host-calls/step")
		b.ReportMetric(0, "ns/op")
		wt.Close(ctx)
		rt.Close(ctx)
	}
}
