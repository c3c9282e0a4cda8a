package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Binary modules for the admission tests, built here because most of them cannot be
// written in WAT: they declare what their bytes do not hold.

func u32LEB(v uint32) []byte { return appendU32(nil, v) }

func wasmSec(id byte, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	return append(append([]byte{id}, u32LEB(uint32(len(b)))...), b...)
}

func wasmModule(sections ...[]byte) []byte {
	return append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Join(sections, nil)...)
}

func wasmVec(items [][]byte) []byte {
	return append(u32LEB(uint32(len(items))), bytes.Join(items, nil)...)
}

// funcBody is a code-section entry: its size, local declarations and code (with its end).
func funcBody(locals [][2]uint32, code []byte) []byte {
	var b []byte
	b = append(b, u32LEB(uint32(len(locals)))...)
	for _, l := range locals {
		b = append(b, u32LEB(l[0])...)
		b = append(b, byte(l[1]))
	}
	b = append(b, code...)
	return append(u32LEB(uint32(len(b))), b...)
}

// codeModule is a module of n functions of type () -> (), each with the given body.
func codeModule(n int, body []byte) []byte {
	types := wasmSec(secType, u32LEB(1), []byte{0x60, 0, 0})
	funcs := wasmSec(secFunction, u32LEB(uint32(n)), bytes.Repeat([]byte{0}, n))
	code := wasmSec(secCode, u32LEB(uint32(n)), bytes.Repeat(body, n))
	return wasmModule(types, funcs, code)
}

// bombs are modules whose declared counts, if believed, would make the host allocate
// gigabytes or spend minutes: each must be refused, quickly, with a clear error.
func bombs() []struct {
	name string
	wasm []byte
	says string
} {
	huge := u32LEB(0xFFFFFFFF)
	nested := func(depth int) []byte {
		code := bytes.Repeat([]byte{0x02, 0x40}, depth)
		return funcBody(nil, append(append(code, bytes.Repeat([]byte{0x0B}, depth)...), 0x0B))
	}
	brTable := func(n int) []byte {
		code := append([]byte{0x41, 0x00, 0x0E}, u32LEB(uint32(n))...)
		code = append(code, bytes.Repeat([]byte{0}, n+1)...)
		return funcBody(nil, append(code, 0x0B))
	}
	return []struct {
		name string
		wasm []byte
		says string
	}{
		{"2^32-1 types in 15 bytes", wasmModule(wasmSec(secType, huge)), "types"},
		{"2^32-1 parameters", wasmModule(wasmSec(secType, u32LEB(1), []byte{0x60}, huge)), "parameters"},
		{"2^32-1 imports", wasmModule(wasmSec(secImport, huge)), "imports"},
		{"2^32-1 functions", wasmModule(wasmSec(secFunction, huge)), "functions"},
		{"2^32-1 tables", wasmModule(wasmSec(secTable, huge)), "tables"},
		{"2^32-1 memories", wasmModule(wasmSec(secMemory, huge)), "memories"},
		{"2^32-1 globals", wasmModule(wasmSec(secGlobal, huge)), "globals"},
		{"2^32-1 exports", wasmModule(wasmSec(secExport, huge)), "exports"},
		{"2^32-1 element segments", wasmModule(wasmSec(secElem, huge)), "element segments"},
		{"2^32-1 elements", wasmModule(wasmSec(secElem, u32LEB(1), []byte{1, 0}, huge)), "elements"},
		{"2^32-1 data segments", wasmModule(wasmSec(secData, huge)), "data segments"},
		{"2^32-1 data bytes", wasmModule(wasmSec(secData, u32LEB(1), []byte{1}, huge)), "data bytes"},
		{"2^32-1 function bodies", wasmModule(wasmSec(secCode, huge)), "function bodies"},
		{"2^32-1 local declarations", codeModule(1, []byte{6, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B}), "local declarations"},
		{"2^30 locals in one function", codeModule(1, funcBody([][2]uint32{{1 << 30, 0x7E}}, []byte{0x0B})), "locals"},
		{"2^32-1 branch table targets", codeModule(1, funcBody(nil, []byte{0x41, 0, 0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B})), "branch table targets"},
		{"branch table of 500,000 targets", codeModule(1, brTable(500_000)), "branch table targets"},
		{"40,000 nested blocks", codeModule(1, nested(40_000)), "nested"},
		{"a table of 2^27 entries", wasmModule(wasmSec(secTable, u32LEB(1), []byte{0x70, 0}, u32LEB(1<<27))), "table of 134217728 entries"},
		{"a body past the body limit", codeModule(1, funcBody(nil, append(bytes.Repeat([]byte{0x01}, MaxBodyBytes), 0x0B))), "body bytes"},
		{"a module past the size limit", append(codeModule(1, funcBody(nil, []byte{0x0B})), wasmSec(secCustom, u32LEB(1), []byte("x"), make([]byte, MaxModuleBytes))...), "the limit is"},
		{"2^32-1 names in the name section", wasmModule(wasmSec(secCustom, u32LEB(4), []byte("name"), []byte{1, 5}, huge)), ""},
		{"16 tables of 2^17 entries", wasmModule(wasmSec(secTable, u32LEB(16), bytes.Repeat(append([]byte{0x70, 0}, u32LEB(1<<17)...), 16))), "tables of 1179648 entries in all"},
		{"a function of 4,096 blocks", codeModule(1, funcBody(nil, append(bytes.Repeat([]byte{0x02, 0x40, 0x0B}, MaxFunctionBlocks), 0x0B))), "more than 4096 in one function"},
		{"table.grow", codeModule(1, funcBody(nil, []byte{0xD0, 0x70, 0x41, 0x01, 0xFC, 0x0F, 0x00, 0x1A, 0x0B})), "table.grow"},
	}
}

// Every bomb is refused at admission, in bounded time and memory (it runs in the hostile
// suite's child, under an address-space limit), with an admission error that names what it
// declared. (A bomb that is not refused but harmless is reported too: the name-section
// bomb is dropped with the section, and the module then fails the task ABI check.)
func TestHostileAdmissionBombs(t *testing.T) {
	hostileTest(t)
	checkBombFiles(t)
	ctx := context.Background()
	for _, engine := range availableEngines() {
		rt := newRuntime(t, Config{Engine: engine})
		for _, b := range bombs() {
			start := time.Now()
			_, err := rt.Load(ctx, b.wasm)
			switch {
			case err == nil:
				t.Errorf("%s/%s: admitted", engine, b.name)
			case !errors.Is(err, ErrAdmission):
				t.Errorf("%s/%s: %v, want an admission error", engine, b.name, err)
			case b.says != "" && !strings.Contains(err.Error(), b.says):
				t.Errorf("%s/%s: error %q does not say %q", engine, b.name, err, b.says)
			}
			t.Logf("%-11s %-36s %6d bytes %8v  %v", engine, b.name, len(b.wasm), time.Since(start).Round(time.Microsecond), err)
		}
	}
}

// bombFileLimit: bombs up to this size are committed, in testdata/hostile/admission, for
// anyone to try against a node (lockstep run FILE); larger ones are only built here.
const bombFileLimit = 1 << 20

// bombFile is the committed file of a bomb.
func bombFile(name string) string {
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(name))
	return filepath.Join("..", "testdata", "hostile", "admission", slug+".wasm")
}

// checkBombFiles checks that each committed bomb is what bombs() builds
// (LOCKSTEP_UPDATE_WASM=1 rewrites them).
func checkBombFiles(t *testing.T) {
	for _, b := range bombs() {
		if len(b.wasm) > bombFileLimit {
			continue
		}
		path := bombFile(b.name)
		if os.Getenv("LOCKSTEP_UPDATE_WASM") != "" {
			if err := os.WriteFile(path, b.wasm, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, b.wasm) {
			t.Errorf("%s is missing or stale (%v): rebuild with LOCKSTEP_UPDATE_WASM=1 go test ./runtime -short -run TestHostileAdmissionBombs", path, err)
		}
	}
}

// The hostile suite (every TestHostile* test) runs in a child process of this test binary
// under an address-space limit and a time limit, so that a guest that makes the host
// allocate without bound, or run without end, fails the suite instead of the machine. In
// -short mode the tests run in this process, without the limits.
const (
	hostileChildEnv     = "LOCKSTEP_HOSTILE_CHILD"
	hostileAddressSpace = 4 << 30
	hostileTimeLimit    = 10 * time.Minute
)

func TestHostileSuiteUnderLimits(t *testing.T) {
	if os.Getenv(hostileChildEnv) != "" {
		t.Skip("this is the child")
	}
	if testing.Short() {
		t.Skip("the hostile tests run in this process in -short mode")
	}
	out := runLimitedChild(t, "^TestHostile", hostileChildEnv+"=1", hostileAddressSpace, hostileTimeLimit)
	if !bytes.Contains(out, []byte("--- PASS: TestHostileGuests")) || !bytes.Contains(out, []byte("--- PASS: TestHostileAdmissionBombs")) {
		t.Fatalf("the child did not run the hostile tests:\n%s", tail(out))
	}
}

// hostileTest runs a hostile test where it belongs: in the limited child, or in -short mode
// here.
func hostileTest(t *testing.T) {
	if os.Getenv(hostileChildEnv) == "" && !testing.Short() {
		t.Skip("runs in TestHostileSuiteUnderLimits's child process")
	}
}

// runLimitedChild runs the tests matching pattern in a child process of this package's
// test binary with env set, an address-space limit and a time limit, and fails if the child
// fails.
func runLimitedChild(t *testing.T, pattern, env string, addressSpace uint64, limit time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", pattern, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env, fmt.Sprintf("LOCKSTEP_RLIMIT_AS=%d", addressSpace))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the child ran past %v:\n%s", limit, tail(out))
	}
	if err != nil {
		t.Fatalf("the child failed: %v\n%s", err, tail(out))
	}
	t.Logf("child:\n%s", tail(out))
	return out
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 8000 {
		s = "..." + s[len(s)-8000:]
	}
	return s
}

// TestMain applies the address-space limit a parent asked for (LOCKSTEP_RLIMIT_AS) before
// any test runs in a child.
func TestMain(m *testing.M) {
	if v := os.Getenv("LOCKSTEP_RLIMIT_AS"); v != "" {
		var n uint64
		fmt.Sscan(v, &n)
		if err := limitAddressSpace(n); err != nil {
			fmt.Fprintln(os.Stderr, "limiting the address space:", err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

// A module whose functions would cost the compiler more than MaxCompilerWork is admitted
// and runs on the interpreter, saying so; an ordinary task stays compiled.
func TestCostlyModulesRunOnTheInterpreter(t *testing.T) {
	if !compilerArch {
		t.Skip("the compiler engine does not run here")
	}
	ctx := context.Background()
	rt := newRuntime(t, Config{Engine: EngineCompiler})
	loops := bytes.Repeat([]byte{0x03, 0x40, 0x41, 0x00, 0x0D, 0x00, 0x0B}, MaxFunctionBlocks/2-4)
	m, err := rt.Load(ctx, taskModule(3, funcBody(nil, append(loops, 0x0B))))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if m.Engine != EngineInterpreter || !strings.Contains(m.EngineNote, "runs on the interpreter") {
		t.Errorf("engine %s (%q), want the interpreter", m.Engine, m.EngineNote)
	}
	task, err := m.Instantiate(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer task.Close(ctx)
	if _, err := task.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := task.Step(ctx, 1); err != nil {
		t.Fatal(err)
	}
	digits, err := rt.Load(ctx, readWasm(t, "tasks/digits/digits.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	defer digits.Close(ctx)
	if digits.Engine != EngineCompiler || digits.EngineNote != "" {
		t.Errorf("digits: engine %s (%q), want the compiler", digits.Engine, digits.EngineNote)
	}
}
