package runtime

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/lockstep-ml/lockstep/internal/crossarch"
)

// goldenNaNProbeRoot is the root of step 1 of hostile/nan_probes.wasm, the same on every
// engine and CPU (TestNaNProbesAcrossArchitectures runs it on arm64 and s390x). It
// changes only if the module, the checkpoint root's definition or the trace changes.
const goldenNaNProbeRoot = "56607a30c31a722a548701e7a6e03e6f93b8ef9d8c6ea64ba5ec78c0a1e76c6d"

// Every NaN a float instruction makes is the canonical one, whatever the CPU and engine:
// scalar f32 and f64, SIMD, two-NaN propagation, demote and promote of signalling NaNs;
// and so are the roots it reaches through an int32 tensor, the blob, a branch on the sign
// bit and an attribute word.
func TestNaNProbes(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "hostile/nan_probes.wasm")
	var first string
	for _, engine := range availableEngines() {
		roots, _, task := trainRoots(t, newRuntime(t, Config{Engine: engine}), wasm, 1, 1)
		bits := task.Session().Blob()
		if len(bits) != 64 {
			t.Fatalf("%s: blob of %d bytes, want 64", engine, len(bits))
		}
		want := []struct {
			name string
			at   int
			v    uint32
		}{
			{"f32.div 0 0", 0, 0x7FC00000}, {"f32.sqrt -1", 4, 0x7FC00000}, {"inf*0", 8, 0x7FC00000},
			{"NaN + NaN", 12, 0x7FC00000}, {"f64.div 0 0 (low)", 16, 0}, {"f64.div 0 0 (high)", 20, 0x7FF80000},
			{"demote sNaN", 24, 0x7FC00000}, {"promote sNaN (low)", 28, 0}, {"promote sNaN (high)", 32, 0x7FF80000},
			{"f32x4.div lane 0", 36, 0x7FC00000}, {"f32x4.div lane 3", 48, 0x7FC00000},
			{"f64x2.sqrt -1 (high)", 56, 0x7FF80000}, {"f32.min 1 NaN", 60, 0x7FC00000},
		}
		for _, w := range want {
			if got := binary.LittleEndian.Uint32(bits[w.at:]); got != w.v {
				t.Errorf("%s: %s gave 0x%08X, want 0x%08X", engine, w.name, got, w.v)
			}
		}
		if first == "" {
			first = roots[1]
		} else if roots[1] != first {
			t.Errorf("%s: root %s, the other engine %s", engine, roots[1], first)
		}
		_ = ctx
	}
	if goldenNaNProbeRoot != "" && first != goldenNaNProbeRoot {
		t.Errorf("root %s, want the golden %s", first, goldenNaNProbeRoot)
	}
	t.Logf("root %s", first)
}

// The NaN probes give the golden root on arm64 (wazero's arm64 compiler) and on s390x
// (big-endian, the interpreter), under qemu.
func TestNaNProbesAcrossArchitectures(t *testing.T) {
	var targets []crossarch.Target
	for _, tg := range crossarch.Targets {
		if tg.Name == "arm64" || tg.Name == "s390x" || tg.Name == "riscv64" {
			targets = append(targets, tg)
		}
	}
	crossarch.Run(t, targets, "-test.run", "^TestNaNProbes$")
}

// What a task reads through WASI (random_get, both clocks) is a function of the seed and
// the call, so a run resumed in a fresh instance from a checkpoint reads what a continuous
// run reads, and reaches the same roots.
func TestWASIReadsSurviveRestore(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "hostile/wasi_state.wasm")
	for _, engine := range availableEngines() {
		rt := newRuntime(t, Config{Engine: engine})
		want, _, _ := trainRoots(t, rt, wasm, 7, 4)
		m := load(t, rt, wasm)
		first := started(t, m, 7)
		cp, err := first.Step(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		resumed := started(t, m, 7)
		if err := resumed.Restore(ctx, cp); err != nil {
			t.Fatal(err)
		}
		for s := uint64(2); s <= 4; s++ {
			cp, err := resumed.Step(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(cp.Root[:]); got != want[s] {
				t.Fatalf("%s: resumed step %d root %s, continuous %s", engine, s, got, want[s])
			}
		}
		// And the stream is not constant: two steps read different values.
		if want[1] == want[2] {
			t.Fatalf("%s: steps 1 and 2 committed the same WASI reads", engine)
		}
	}
}

// availableEngines lists the wazero engines this platform runs.
func availableEngines() []Engine {
	if DefaultEngine() == EngineCompiler {
		return []Engine{EngineCompiler, EngineInterpreter}
	}
	return []Engine{EngineInterpreter}
}
