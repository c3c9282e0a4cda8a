package runtime

import (
	"bytes"
	"context"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// taskModule is a module of n functions of type () -> (), each with the given body, and
// the exports every task must have: admission decodes, meters and compiles it all.
func taskModule(n int, body []byte) []byte {
	types := wasmSec(secType, u32LEB(3), []byte{0x60, 0, 0, 0x60, 0, 1, 0x7F, 0x60, 1, 0x7E, 1, 0x7F})
	funcs := wasmSec(secFunction, u32LEB(uint32(n+3)), bytes.Repeat([]byte{0}, n), []byte{1, 2, 2})
	var exports [][]byte
	for i, name := range []string{"lockstep_abi_version", "lockstep_init", "lockstep_step"} {
		exports = append(exports, append(append(u32LEB(uint32(len(name))), name...), append([]byte{0}, u32LEB(uint32(n+i))...)...))
	}
	exports = append(exports, append(append(u32LEB(6), "memory"...), 2, 0))
	abi := funcBody(nil, []byte{0x41, ABIVersion, 0x0B})
	zero := funcBody(nil, []byte{0x41, 0, 0x0B})
	code := wasmSec(secCode, u32LEB(uint32(n+3)), bytes.Repeat(body, n), abi, zero, zero)
	memory := wasmSec(secMemory, u32LEB(1), []byte{0, 1})
	return wasmModule(types, funcs, memory, wasmSec(secExport, wasmVec(exports)), code)
}

// worstCases are admissible modules at the admission limits: what a hostile module can
// make admission (decoding, metering, compiling) cost. Each repeats one pattern, the one
// a compiler is slowest on or the meter grows most, as often as the limit it meets allows.
func worstCases() []struct {
	name string
	wasm []byte
} {
	// repeat makes bodies holding code up to n times in all, each as large as allowed.
	repeat := func(code []byte, n int) []byte {
		per := min(n, (MaxBodyBytes-16)/len(code))
		bodies := n / per
		return taskModule(bodies, funcBody(nil, append(bytes.Repeat(code, per), 0x0B)))
	}
	// instrs is how many times a pattern that meters to k instructions fits the limit.
	instrs := func(k int) int { return MaxModuleInstrs * 98 / 100 / k }
	nested := bytes.Repeat([]byte{0x02, 0x40}, MaxNesting)
	nested = append(append(nested, bytes.Repeat([]byte{0x0B}, MaxNesting)...), 0x0B)
	branched := bytes.Repeat([]byte{0x02, 0x40, 0x41, 0x00, 0x0D, 0x00}, MaxNesting) // block; br_if 0 ...
	branched = append(append(branched, bytes.Repeat([]byte{0x0B}, MaxNesting)...), 0x0B)
	brTable := append([]byte{0x41, 0x00, 0x0E}, u32LEB(MaxBranchTable)...)
	brTable = append(append(brTable, bytes.Repeat([]byte{0}, MaxBranchTable+1)...), 0x0B)
	blocks := MaxModuleBlocks - MaxNesting
	// n functions with the most blocks one function may have, as metered, of code that
	// meters to per blocks each: a tiny loop to two (the loop and its charge's if), a
	// branched block to 4/3 (every third continuation is large enough to pay on its own).
	atBlockLimit := func(code []byte, per float64, n int) []byte {
		each := int(float64(MaxFunctionBlocks)/per) - 8
		return taskModule(n, funcBody(nil, append(bytes.Repeat(code, each), 0x0B)))
	}
	tinyLoop := []byte{0x03, 0x40, 0x41, 0x00, 0x0D, 0x00, 0x0B} // loop; br_if 0; end
	branchedBlock := []byte{0x02, 0x40, 0x41, 0x00, 0x0D, 0x00, 0x0B}
	fill := []byte{0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0x00} // memory.fill (metered with an if)
	return []struct {
		name string
		wasm []byte
	}{
		{"nesting at the limit", taskModule(blocks/MaxNesting, funcBody(nil, nested))},
		{"nested branched blocks", taskModule(blocks/MaxNesting, funcBody(nil, branched))},
		{"branch tables at the limit", taskModule(MaxModuleTargets/MaxBranchTable, funcBody(nil, brTable))},
		{"locals at the limit", taskModule(MaxModuleLocals/MaxLocals, funcBody([][2]uint32{{MaxLocals, 0x7E}}, []byte{0x0B}))},
		{"tiny functions", taskModule(MaxFunctions-3, funcBody(nil, []byte{0x0B}))},
		{"straight-line bodies", repeat([]byte{0x41, 0x00, 0x1A}, instrs(2))},
		{"empty loops", repeat([]byte{0x03, 0x40, 0x0B}, blocks)},
		{"tiny loops", repeat(tinyLoop, blocks)},
		{"tiny loops, 2 functions at the block limit", atBlockLimit(tinyLoop, 2, 2)},
		{"branched blocks, 2 functions at the block limit", atBlockLimit(branchedBlock, 4.0/3, 2)},
		{"tiny loops, functions at the block limit", atBlockLimit(tinyLoop, 2, 2*MaxModuleBlocks/MaxFunctionBlocks-1)},
		{"branched blocks, functions at the block limit", atBlockLimit(branchedBlock, 4.0/3, MaxModuleBlocks*4/3/MaxFunctionBlocks-1)},
		{"tiny if-else arms", repeat([]byte{0x41, 0x00, 0x04, 0x40, 0x05, 0x0B}, blocks)},
		{"float divisions", repeat([]byte{0x43, 0, 0, 0, 0, 0x43, 0, 0, 0, 0, 0x95, 0x1A}, instrs(4+nanInstrs))},
		{"calls", repeat([]byte{0x10, 0x00}, MaxModuleCalls-16)},
		{"memory fills", repeat(fill, instrs(4+bulkInstrs))},
		{"memory fills, functions at the block limit", atBlockLimit(fill, 1, instrs(4+bulkInstrs)/MaxFunctionBlocks)},
	}
}

// BenchmarkAdmissionWorstCase loads each worst case on a fresh runtime and reports the
// time and the peak resident memory it took, beside the target of 2 s and 256 MB:
//
//	go test ./runtime -run '^$' -bench AdmissionWorstCase -benchtime 1x
func BenchmarkAdmissionWorstCase(b *testing.B) {
	ctx := context.Background()
	cases := worstCases()
	// A real task, for comparison: what an honest module of 3 MB costs.
	cases = append(cases, struct {
		name string
		wasm []byte
	}{"the digits task (comparison)", readWasm(b, "tasks/digits/digits.wasm")})
	for _, c := range cases {
		for _, engine := range availableEngines() {
			b.Run(strings.ReplaceAll(c.name, " ", "_")+"/"+string(engine), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					rt := newRuntime(b, Config{Engine: engine})
					goruntime.GC()
					base := rss()
					var peak atomic.Int64
					stop := make(chan struct{})
					go func() {
						for {
							select {
							case <-stop:
								return
							case <-time.After(5 * time.Millisecond):
								if r := rss(); r > peak.Load() {
									peak.Store(r)
								}
							}
						}
					}()
					start := time.Now()
					m, err := rt.Load(ctx, c.wasm)
					took := time.Since(start)
					close(stop)
					metered, _ := instrument(c.wasm)
					b.ReportMetric(took.Seconds(), "s/load")
					b.ReportMetric(float64(max(peak.Load()-base, 0))/1e6, "MB-peak")
					ran := engine
					if err == nil {
						ran = m.Engine
						m.Close(ctx)
					}
					b.Logf("%-48s %-11s %5.1f MB (metered %5.1f MB): %6.2f s, peak +%4d MB RSS (target 2 s, 256 MB); %v on %s",
						c.name, engine, float64(len(c.wasm))/1e6, float64(len(metered))/1e6, took.Seconds(), max(peak.Load()-base, 0)>>20, errSummary(err), ran)
				}
			})
		}
	}
}

func errSummary(err error) string {
	if err == nil {
		return "admitted"
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return s
}

// rss is this process's resident memory in bytes (Linux; 0 elsewhere).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
