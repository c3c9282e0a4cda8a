package runtime

import (
	"context"
	"testing"
	"time"

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
