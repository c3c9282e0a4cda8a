package runtime

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The meter adds types, globals and locals of its own, wraps every body in a block, and
// writes block types; a module must not be able to reach any of them. Each case below is a
// module at an edge of those index spaces, valid or not as the specification says. The
// meter must keep its verdict (a valid module meters and compiles, an invalid one is refused
// by the meter or by wazero after metering) and, where it is valid, its results: the
// exported function "f" returns the same on the original and the metered instance.

// funcTypeEntry is a type-section entry: (params) -> (results).
func funcTypeEntry(params, results []byte) []byte {
	b := append([]byte{0x60}, u32LEB(uint32(len(params)))...)
	b = append(b, params...)
	b = append(b, u32LEB(uint32(len(results)))...)
	return append(b, results...)
}

// typeSection is n filler types, (i32) -> (), followed by the given ones.
func typeSection(n int, types ...[]byte) []byte {
	entries := slices.Repeat([][]byte{funcTypeEntry([]byte{0x7F}, nil)}, n)
	return wasmSec(secType, wasmVec(append(entries, types...)))
}

// s33 is a block type index as the binary format writes it.
func s33(v int64) []byte { return appendS64(nil, v) }

// exportFunc exports function 0 as "f".
var exportFunc = wasmSec(secExport, u32LEB(1), []byte{1, 'f', 0, 0})

// oneFunc is a module of the given types whose function 0 has type typeIdx and body code,
// exported as "f".
func oneFunc(types []byte, typeIdx uint32, locals [][2]uint32, code []byte, more ...[]byte) []byte {
	secs := [][]byte{types, wasmSec(secFunction, u32LEB(1), u32LEB(typeIdx))}
	secs = append(secs, more...) // sections between function and export (tables, globals)
	secs = append(secs, exportFunc, wasmSec(secCode, u32LEB(1), funcBody(locals, code)))
	return wasmModule(secs...)
}

func customSection(name []byte, body []byte) []byte {
	return wasmSec(secCustom, u32LEB(uint32(len(name))), name, body)
}

type transparencyCase struct {
	name  string
	wasm  []byte
	valid bool // what the specification says
}

func transparencyCases() []transparencyCase {
	unit := typeSection(0, funcTypeEntry(nil, nil))                            // 0: () -> ()
	i32 := typeSection(0, funcTypeEntry(nil, []byte{0x7F}))                    // 0: () -> (i32)
	f32 := typeSection(0, funcTypeEntry(nil, []byte{0x7D}))                    // 0: () -> (f32)
	pair := funcTypeEntry(nil, []byte{0x7F, 0x7F})                             // () -> (i32 i32)
	mixed := typeSection(0, funcTypeEntry(nil, []byte{0x7F, 0x7E}))            // 0: () -> (i32 i64)
	global := wasmSec(secGlobal, u32LEB(1), []byte{0x7F, 0x00, 0x41, 7, 0x0B}) // i32 7
	importGlobal := wasmSec(secImport, u32LEB(1), []byte{3, 'e', 'n', 'v', 1, 'g', 3, 0x7F, 0x00})
	exportGlobal := func(i uint32) []byte {
		return wasmSec(secExport, u32LEB(1), []byte{1, 'g', 3}, u32LEB(i))
	}
	table := wasmSec(secTable, u32LEB(1), []byte{0x70, 0x00, 0x01})
	code := func(b ...byte) []byte { return b }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// A block of type t that pushes 1 and 2, then i32.add: a () -> (i32) body.
	addPair := func(op byte, t int64) []byte {
		return cat([]byte{op}, s33(t), code(0x41, 1, 0x41, 2, 0x0B, 0x6A, 0x0B))
	}
	return []transparencyCase{
		// Exports of globals: the meter appends its counters to the global index space.
		{"export of global 0, the module has none", wasmModule(exportGlobal(0)), false},
		{"export of global 1, the module defines one", wasmModule(global, exportGlobal(1)), false},
		{"export of global 1, the module imports one", wasmModule(importGlobal, exportGlobal(1)), false},
		{"export of global 0, the module defines one", wasmModule(global, exportGlobal(0)), true},
		{"global.get 0, the module has none", oneFunc(i32, 0, nil, code(0x23, 0, 0x0B)), false},
		{"global.set 1, the module defines one", oneFunc(unit, 0, nil, code(0x42, 0, 0x24, 1, 0x0B), global), false},

		// Labels: the meter wraps every body in a block.
		{"br 1 at the function's top level", oneFunc(unit, 0, nil, code(0x0C, 1, 0x0B)), false},
		{"br_if 1 at the function's top level", oneFunc(unit, 0, nil, code(0x41, 0, 0x0D, 1, 0x0B)), false},
		{"br_table default 1 at the function's top level", oneFunc(unit, 0, nil, code(0x41, 0, 0x0E, 0, 1, 0x0B)), false},
		{"br_table target 1 at the function's top level", oneFunc(unit, 0, nil, code(0x41, 0, 0x0E, 1, 1, 0, 0x0B)), false},
		{"br 2 in one block", oneFunc(unit, 0, nil, code(0x02, 0x40, 0x0C, 2, 0x0B, 0x0B)), false},
		{"br 1 in one block leaves the function", oneFunc(i32, 0, nil, code(0x02, 0x40, 0x41, 7, 0x0C, 1, 0x0B, 0x41, 8, 0x0B)), true},
		{"br 0 at the top level leaves the function", oneFunc(i32, 0, nil, code(0x41, 5, 0x0C, 0, 0x41, 6, 0x0B)), true},
		{"return from a block of a multi-value function", oneFunc(mixed, 0, nil, code(0x02, 0x40, 0x41, 1, 0x42, 2, 0x0F, 0x0B, 0x00, 0x0B)), true},

		// Locals: the meter appends temporaries (here the f32 one of NaN canonicalization).
		{"local.get 0 with no locals, beside f32.add", oneFunc(f32, 0, nil, code(0x43, 0, 0, 0x80, 0x7F, 0x43, 0, 0, 0x80, 0x7F, 0x92, 0x1A, 0x20, 0, 0x0B)), false},
		{"local.set 1 with one f32 local, beside f32.div", oneFunc(f32, 0, [][2]uint32{{1, 0x7D}}, code(0x43, 0, 0, 0, 0, 0x43, 0, 0, 0, 0, 0x95, 0x21, 1, 0x20, 0, 0x0B)), false},
		{"f32.div 0 0 is a NaN", oneFunc(f32, 0, nil, code(0x43, 0, 0, 0, 0, 0x43, 0, 0, 0, 0, 0x95, 0x0B)), true},

		// Block types: type indices are s33; the meter appends the types of its wrappers.
		{"block of type 64 (s33: 0xC0 0x00)", oneFunc(typeSection(64, pair, funcTypeEntry(nil, []byte{0x7F})), 65, nil, addPair(0x02, 64)), true},
		{"loop of type 64", oneFunc(typeSection(64, pair, funcTypeEntry(nil, []byte{0x7F})), 65, nil, addPair(0x03, 64)), true},
		{"if of type 100", oneFunc(typeSection(100, pair, funcTypeEntry(nil, []byte{0x7F})), 101, nil,
			cat(code(0x41, 1, 0x04), s33(100), code(0x41, 1, 0x41, 2, 0x05, 0x41, 3, 0x41, 4, 0x0B, 0x6A, 0x0B))), true},
		{"block of type 8192 (three bytes of s33)", oneFunc(typeSection(8192, pair, funcTypeEntry(nil, []byte{0x7F})), 8193, nil, addPair(0x02, 8192)), true},
		{"block of type 64 written as an unsigned LEB (0x40: the empty type)", oneFunc(typeSection(64, pair, funcTypeEntry(nil, []byte{0x7F})), 65, nil,
			code(0x02, 0x40, 0x41, 1, 0x41, 2, 0x0B, 0x6A, 0x0B)), false},
		{"block type -1 in two bytes", oneFunc(i32, 0, nil, code(0x02, 0xFF, 0x7F, 0x41, 1, 0x0B, 0x0B)), false},
		{"multi-value function of type 63: the wrapper's type is the 65th", oneFunc(typeSection(63, pair), 63, nil, code(0x41, 1, 0x41, 2, 0x0B)), true},
		{"multi-value function of type 8191: the wrapper's type is the 8193rd", oneFunc(typeSection(8191, pair), 8191, nil, code(0x41, 1, 0x41, 2, 0x0B)), true},
		{"block of type 64 one past the types, beside a wrapper type", oneFunc(typeSection(63, pair), 63, nil,
			cat(code(0x02), s33(64), code(0x41, 1, 0x41, 2, 0x0B, 0x0B))), false},
		{"call_indirect of type 1 one past the types, beside a wrapper type", oneFunc(typeSection(0, pair), 0, nil,
			code(0x41, 0, 0x11, 1, 0, 0x0B), table), false},

		// Custom sections: their contents are free, their names are not.
		{"custom section named in invalid UTF-8", wasmModule(customSection([]byte{0xFF}, nil)), false},
		{"custom section whose name runs past it", wasmModule(wasmSec(secCustom, u32LEB(5), []byte("ab"))), false},
		{"custom section with free contents", wasmModule(customSection([]byte("x"), []byte{0xFF, 0xFF})), true},
		{"name section with a bad map", wasmModule(customSection([]byte("name"), []byte{1, 1, 2})), true},
	}
}

func TestMeterTransparencyCases(t *testing.T) {
	ctx := context.Background()
	var failures []failure
	for _, c := range transparencyCases() {
		v := checkTransparent(ctx, c.wasm)
		alone := "wazero alone accepts it"
		if v.wazeroErr != nil {
			alone = "wazero alone refuses it: " + firstLine(v.wazeroErr)
		}
		switch {
		case v.stated != "":
			t.Logf("%-75s refused: %s", c.name, v.stated)
		case v.admitted && !c.valid:
			failures = append(failures, failure{"case", "", fmt.Sprintf("%s: invalid module admitted (%s)", c.name, alone)})
		case !v.admitted && c.valid:
			failures = append(failures, failure{"case", "", fmt.Sprintf("%s: valid module refused: %s (%s)", c.name, firstLine(v.err), alone)})
		case v.admitted && v.err != nil:
			failures = append(failures, failure{"case", "", c.name + ": " + v.err.Error()})
		case v.admitted:
			t.Logf("%-72s admitted %s; %s", c.name, v.ran, alone)
		default:
			t.Logf("%-72s refused: %s; %s", c.name, firstLine(v.err), alone)
		}
	}
	reportFailures(t, "transparency cases", failures, 40)
}

// admission is what admission made of a module, beside what wazero alone makes of it.
type admission struct {
	wazeroErr error  // wazero compiling the original
	admitted  bool   // the meter and then wazero accepted it
	stated    string // the meter refused it by a stated limit
	err       error  // why it was not admitted; or, where it was, how the metered instance differs
	ran       string // what f returned
}

// checkTransparent meters a module, compiles the original and the metered one, and where
// both compile runs the export "f" (if any) on both and compares.
func checkTransparent(ctx context.Context, wasm []byte) (v admission) {
	cfg := wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2)
	orig, metered := wazero.NewRuntimeWithConfig(ctx, cfg), wazero.NewRuntimeWithConfig(ctx, cfg)
	defer orig.Close(ctx)
	defer metered.Close(ctx)
	origCompiled, origErr := orig.CompileModule(ctx, wasm)
	v.wazeroErr = origErr
	out, meterErr := meterForTest(wasm)
	v.stated = statedRefusal(meterErr)
	var metCompiled wazero.CompiledModule
	v.err = meterErr
	if meterErr == nil {
		metCompiled, v.err = metered.CompileModule(ctx, out)
	}
	if v.admitted = v.err == nil; !v.admitted || origErr != nil {
		return v
	}
	v.err = nil
	// An importing case imports the global env.g.
	env := wasmModule(wasmSec(secGlobal, u32LEB(1), []byte{0x7F, 0x00, 0x41, 9, 0x0B}),
		wasmSec(secExport, u32LEB(1), []byte{1, 'g', 3, 0}))
	var results [2][]uint64
	var errs [2]error
	for i, w := range []struct {
		rt wazero.Runtime
		cm wazero.CompiledModule
	}{{orig, origCompiled}, {metered, metCompiled}} {
		if _, err := w.rt.InstantiateWithConfig(ctx, env, wazero.NewModuleConfig().WithName("env")); err != nil {
			v.err = err
			return v
		}
		m, err := w.rt.InstantiateModule(ctx, w.cm, wazero.NewModuleConfig())
		if err != nil {
			v.err = fmt.Errorf("instantiating the %s: %s", []string{"original", "metered"}[i], firstLine(err))
			return v
		}
		setGlobal(m, FuelExport, specFuel)
		if f := m.ExportedFunction("f"); f != nil {
			results[i], errs[i] = f.Call(ctx)
		}
	}
	f := metCompiled.ExportedFunctions()["f"]
	switch {
	case trapText(errs[0]) != trapText(errs[1]):
		v.err = fmt.Errorf("f traps differently: original %q, metered %q", firstLine(errs[0]), firstLine(errs[1]))
	case f == nil:
	case errs[0] != nil:
		v.ran = "f traps: " + firstLine(errs[0])
	default:
		if ok, _ := sameResults(f.ResultTypes(), nil, results[0], results[1]); !ok {
			v.err = fmt.Errorf("f returns %#x, metered %#x", results[0], results[1])
		}
		v.ran = fmt.Sprintf("f returns %#x", results[1])
	}
	return v
}
