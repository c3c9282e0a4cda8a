package runtime

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkExecutionBound compares what bounding execution costs guest code, in one run:
// no bound, this package's fuel meter, and wazero's WithCloseOnContextDone, on recursive
// fib(27) (call-heavy) and a 10^7-iteration loop, with each engine. Reported as ns per call
// of the guest function; compare within one engine.
//
//	go test ./runtime -run '^$' -bench ExecutionBound -benchtime 5x
func BenchmarkExecutionBound(b *testing.B) {
	raw := readWasm(b, "wat/bench.wasm")
	metered, err := instrument(raw)
	if err != nil {
		b.Fatal(err)
	}
	engines := map[string]func() wazero.RuntimeConfig{
		"compiler": wazero.NewRuntimeConfigCompiler, "interpreter": wazero.NewRuntimeConfigInterpreter,
	}
	for _, engine := range []string{"compiler", "interpreter"} {
		for _, variant := range []string{"none", "fuel-meter", "close-on-context-done"} {
			for _, fn := range []struct {
				name string
				arg  uint64
			}{{"fib", 27}, {"loop", 10_000_000}} {
				b.Run(engine+"/"+variant+"/"+fn.name, func(b *testing.B) {
					ctx := context.Background()
					cfg := engines[engine]()
					wasm := raw
					switch variant {
					case "fuel-meter":
						wasm = metered
					case "close-on-context-done":
						cfg = cfg.WithCloseOnContextDone(true)
					}
					r := wazero.NewRuntimeWithConfig(ctx, cfg)
					defer r.Close(ctx)
					m, err := r.Instantiate(ctx, wasm)
					if err != nil {
						b.Fatal(err)
					}
					callCtx, cancel := context.WithTimeout(ctx, time.Hour)
					defer cancel()
					f := m.ExportedFunction(fn.name)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if g, ok := m.ExportedGlobal(FuelExport).(api.MutableGlobal); ok {
							g.Set(1 << 62)
						}
						if _, err := f.Call(callCtx, fn.arg); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkFuelWorstCase runs guest code that does the most work per unit of fuel
// (testdata/wat/fuel_worst.wat: empty and indirect calls, calls of a function with 32
// locals, a pointer chase through 16 MiB that misses the cache, chained divisions, NaN
// square roots, one-byte fills, a tight loop) until its budget runs out, and reports
// nanoseconds per unit of fuel on each engine, beside an honest task's average (digits
// training steps, in the same run). This is the bound guest/ABI.md states.
//
//	go test ./runtime -run '^$' -bench FuelWorstCase -benchtime 1x
func BenchmarkFuelWorstCase(b *testing.B) {
	ctx := context.Background()
	metered, err := instrument(readWasm(b, "wat/fuel_worst.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	patterns := []string{"tight_loop", "empty_calls", "indirect_calls", "wide_locals", "pointer_chase", "div_chain", "sqrt_nan", "byte_fills"}
	for _, engine := range availableEngines() {
		b.Run(string(engine)+"/digits", func(b *testing.B) {
			rt := newRuntime(b, Config{Engine: engine})
			m := load(b, rt, readWasm(b, "tasks/digits/digits.wasm"))
			data := readWasm(b, "data/digits.csv.gz")
			task, err := m.Instantiate(ctx, 1, []host.Input{host.NewInput("digits.csv.gz", data)})
			if err != nil {
				b.Fatal(err)
			}
			defer task.Close(ctx)
			if _, err := task.Init(ctx); err != nil {
				b.Fatal(err)
			}
			var fuel uint64
			start := time.Now()
			for s := uint64(1); s <= 20; s++ {
				if _, err := task.Step(ctx, s); err != nil {
					b.Fatal(err)
				}
				fuel += task.FuelUsed
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(fuel)
			b.ReportMetric(ns, "ns/unit")
			b.Logf("%-11s %-15s %7.3f ns/unit (an honest task: 20 steps, %d units)", engine, "digits", ns, fuel)
		})
		for _, p := range patterns {
			b.Run(string(engine)+"/"+p, func(b *testing.B) {
				cfg := wazero.NewRuntimeConfigInterpreter()
				if engine == EngineCompiler {
					cfg = wazero.NewRuntimeConfigCompiler()
				}
				r := wazero.NewRuntimeWithConfig(ctx, cfg)
				defer r.Close(ctx)
				m, err := r.Instantiate(ctx, metered)
				if err != nil {
					b.Fatal(err)
				}
				chaseCycle(m.Memory())
				fuel := m.ExportedGlobal(FuelExport).(api.MutableGlobal)
				// Double the budget until a run takes 200 ms.
				for budget := uint64(1 << 16); ; budget *= 2 {
					fuel.Set(budget)
					start := time.Now()
					if _, err := m.ExportedFunction(p).Call(ctx); err == nil || fuel.Get() != 0 {
						b.Fatalf("%s ended without running out of fuel: %v", p, err)
					}
					if took := time.Since(start); took > 200*time.Millisecond || budget > 1<<40 {
						ns := float64(took.Nanoseconds()) / float64(budget)
						b.ReportMetric(ns, "ns/unit")
						b.Logf("%-11s %-15s %7.3f ns/unit (%d units in %v)", engine, p, ns, budget, took.Round(time.Millisecond))
						break
					}
				}
			})
		}
	}
}

// chaseCycle writes one random cycle through every 4-byte word of mem: word i holds the
// address of the next word, so a chase misses the cache at every load.
func chaseCycle(mem api.Memory) {
	n := mem.Size() / 4
	order := rand.New(rand.NewPCG(1, 2)).Perm(int(n))
	for i := range order {
		mem.WriteUint32Le(uint32(order[i])*4, uint32(order[(i+1)%len(order)])*4)
	}
}
