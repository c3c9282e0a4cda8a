package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
)

// The hostile classes of issue 8 that TestHostileGuests and TestHostileAdmissionBombs do not
// cover: memory outside every limit, fuel that bounds time, failed calls that change
// nothing, guest-visible text that is deterministic, and stack counted in bytes. Every
// module runs on every engine, and the engines must agree on the error, the fuel and what
// was committed.

// agree fails the test if two engines gave different values of what.
func agree[T comparable](t *testing.T, what string, by map[Engine]T) {
	t.Helper()
	engines := availableEngines()
	for _, e := range engines[1:] {
		if by[e] != by[engines[0]] {
			t.Errorf("%s: %s gives %v, %s gives %v", what, engines[0], by[engines[0]], e, by[e])
		}
	}
}

// exported reads the guest's exported global name.
func exported(t *testing.T, task *Task, name string) uint64 {
	t.Helper()
	g := task.mod.ExportedGlobal(name)
	if g == nil {
		t.Fatalf("the module exports no global %q", name)
	}
	return g.Get()
}

// allocatedBy returns the bytes of Go heap f allocates, garbage included.
func allocatedBy(f func()) uint64 {
	var m0, m1 goruntime.MemStats
	goruntime.ReadMemStats(&m0)
	f()
	goruntime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// liveHeap returns the bytes of live Go heap, after a collection.
func liveHeap() int64 {
	var m goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// says fails the test unless err wraps kind and its text holds every one of texts.
func says(t *testing.T, what string, err, kind error, texts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if !errors.Is(err, kind) {
		t.Errorf("%s: error is not %v: %v", what, kind, err)
	}
	for _, s := range texts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not say %q", what, err, s)
		}
	}
}

// Class 3, memory outside every limit: tables that would hold more entries than the limit
// for all tables together, and tables that would grow, are refused at load, before
// anything is allocated for them.
func TestHostileTables(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	cases := []struct {
		file string
		kind error
		says string
	}{
		// 16 tables of 2^17: the ninth passes the limit for all tables together.
		{"table_bomb", ErrLimit, fmt.Sprintf("tables of %d entries in all (the limit is %d)", MaxTableElems+1<<17, MaxTableElems)},
		{"table_grow", ErrFeature, "uses table.grow, which tasks may not use"},
	}
	for _, c := range cases {
		wasm := readWasm(t, "hostile/"+c.file+".wasm")
		texts := map[Engine]string{}
		for _, e := range availableEngines() {
			rt := newRuntime(t, Config{Engine: e})
			var err error
			n := allocatedBy(func() { _, err = rt.Load(ctx, wasm) })
			says(t, string(e)+"/"+c.file, err, ErrAdmission, c.says)
			if !errors.Is(err, c.kind) {
				t.Errorf("%s/%s: error is not %v: %v", e, c.file, c.kind, err)
			}
			if n > 1<<20 {
				t.Errorf("%s/%s: refusing the module allocated %d bytes", e, c.file, n)
			}
			texts[e] = fmt.Sprint(err)
			t.Logf("%-11s %-12s %8d bytes allocated  %v", e, c.file, n, err)
		}
		agree(t, c.file+": error", texts)
	}
}

// Class 3: concat of 4,096 copies of one small tensor, again and again, makes trace entries
// of 4,097 hashes each. The call that would take the step's trace past its memory quota is
// refused, after exactly as many calls as the quota holds by guest/ABI.md's count, and the
// host holds what the quota counts, not the gigabytes the loop would make.
func TestHostileTraceBytes(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	limits := host.DefaultLimits()
	// An entry counts 128 bytes, 4 per attribute word and 32 per input and output hash.
	entry := func(words, hashes int64) int64 { return 128 + 4*words + 32*hashes }
	zeros, concat := entry(0, 1), entry(1, 4096+1) // tensor_zeros; concat along axis 0
	want := (limits.MaxTraceBytes - zeros) / concat
	wasm := readWasm(t, "hostile/trace_bytes.wasm")
	fuel, texts := map[Engine]uint64{}, map[Engine]string{}
	for _, e := range availableEngines() {
		// Untraced, the step counts its entries and fails where the traced step does.
		plain := started(t, load(t, newRuntime(t, Config{Engine: e}), wasm), 1)
		_, plainErr := plain.Step(ctx, 1)
		task := started(t, load(t, newRuntime(t, Config{Engine: e}), wasm), 1)
		task.Session().SetTracing(true)
		before := liveHeap()
		start := time.Now()
		_, err := task.Step(ctx, 1)
		elapsed := time.Since(start)
		held := liveHeap() - before // the trace is still held: the task is alive
		says(t, string(e), err, ErrTaskFailed, "status -3", "quota exceeded",
			fmt.Sprintf("an entry of %d more would pass the limit %d", concat, limits.MaxTraceBytes))
		if calls := int64(exported(t, task, "calls")); calls != want {
			t.Errorf("%s: %d concats succeeded, the quota holds %d", e, calls, want)
		}
		if fmt.Sprint(plainErr) != fmt.Sprint(err) || plain.FuelUsed != task.FuelUsed || exported(t, plain, "calls") != exported(t, task, "calls") {
			t.Errorf("%s: untraced, the step failed with %v after %d fuel; traced, with %v after %d", e, plainErr, plain.FuelUsed, err, task.FuelUsed)
		}
		if n := int64(len(task.Session().Trace().Entries)); n != 1+want {
			t.Errorf("%s: the trace has %d entries, want %d", e, n, 1+want)
		}
		if held > limits.MaxTraceBytes+limits.MaxTraceBytes/8 {
			t.Errorf("%s: the host holds %d MiB more after the step; the trace quota is %d MiB", e, held>>20, limits.MaxTraceBytes>>20)
		}
		t.Logf("%-11s %d concats in %v, live heap +%d MiB (quota %d MiB), fuel %d: %v",
			e, want, elapsed.Round(time.Millisecond), held>>20, limits.MaxTraceBytes>>20, task.FuelUsed, err)
		fuel[e], texts[e] = task.FuelUsed, fmt.Sprint(err)
	}
	agree(t, "fuel used", fuel)
	agree(t, "error", texts)
}

// Class 3: operator calls whose outputs, or the copies an in-place operator makes, would
// pass the tensor quota, or whose operands an in-place operator may not take, are refused
// before the host allocates any of it: the step allocates only the tensors the module made
// before the call (and a little bookkeeping), never one more copy of them.
func TestHostileQuotaRefusals(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	cases := []struct {
		file string
		says []string
		made uint64 // the tensor bytes the module makes before the refused call
	}{
		// [512, 1024, 0] x [512, 0, 1024]: 2 GiB of output from no input at all.
		{"zero_k_matmul", []string{"status -3", "quota exceeded", fmt.Sprintf("matmul would make up to %d output elements", 512*1024*1024)}, 0},
		// 4,096 copies of 2^20 elements.
		{"concat_repeated", []string{"status -3", "quota exceeded", fmt.Sprintf("concat would make up to %d output elements", 4096<<20)}, 4 << 20},
		// One 8 MiB tensor, given 64 times: 64 clones would fit the quota, but the updated
		// inputs must be distinct handles.
		{"clip_duplicates", []string{"status -1", "clip_grad_norm updates inputs 0 and 1 in place, but both are handle 1"}, 8 << 20},
	}
	const slack = 1 << 20 // handle lists, hashes, the trace entries
	for _, c := range cases {
		wasm := readWasm(t, "hostile/"+c.file+".wasm")
		fuel, texts := map[Engine]uint64{}, map[Engine]string{}
		for _, e := range availableEngines() {
			task := started(t, load(t, newRuntime(t, Config{Engine: e}), wasm), 1)
			var err error
			n := allocatedBy(func() { _, err = task.Step(ctx, 1) })
			says(t, string(e)+"/"+c.file, err, ErrTaskFailed, c.says...)
			if n > c.made+slack {
				t.Errorf("%s/%s: the step allocated %d bytes; the module made %d", e, c.file, n, c.made)
			}
			t.Logf("%-11s %-16s allocated %6d KiB (made %6d KiB), fuel %d: %v", e, c.file, n>>10, c.made>>10, task.FuelUsed, err)
			fuel[e], texts[e] = task.FuelUsed, fmt.Sprint(err)
		}
		agree(t, c.file+": fuel used", fuel)
		agree(t, c.file+": error", texts)
	}
}

// fuelBound is one module of the fuel class: step n does n units of work, counting them in
// its exported global "done".
type fuelBound struct {
	file  string
	work  string // one unit of work, for the log
	floor uint64 // the least fuel one unit of work must cost
	units uint64 // the budget of the exhausting run pays for this many and a half
}

// checkFuelBound measures the fuel of one unit of work (steps of 1 and 3 units on a large
// budget) and holds it to the floor. Then, on a budget that pays for units and a half, a
// step of endless work must run out of fuel after units of work (one more where the loop's
// own code costs more than half of an iteration), and after no more than budget/floor. It
// logs the wall time per unit of fuel of a fresh instance's first unit of work (cold:
// memory pages touched for the first time) and of the run out of fuel (warm), and asserts
// neither.
func checkFuelBound(t *testing.T, c fuelBound) {
	t.Helper()
	ctx := context.Background()
	wasm := readWasm(t, "hostile/"+c.file+".wasm")
	pers, dones, texts := map[Engine]uint64{}, map[Engine]uint64{}, map[Engine]string{}
	for _, e := range availableEngines() {
		m := load(t, newRuntime(t, Config{Engine: e}), wasm)
		var cold time.Duration
		fuelOf := func(n uint64) uint64 {
			task := started(t, m, 1)
			defer task.Close(ctx)
			start := time.Now()
			if _, err := task.Step(ctx, n); err != nil {
				t.Fatalf("%s/%s: step of %d: %v", e, c.file, n, err)
			}
			cold = time.Since(start)
			return task.FuelUsed
		}
		one := fuelOf(1)
		coldNs := float64(cold.Nanoseconds()) / float64(one)
		per := (fuelOf(3) - one) / 2
		fixed := one - per
		if per < c.floor {
			t.Errorf("%s/%s: a %s costs %d fuel, less than %d", e, c.file, c.work, per, c.floor)
		}
		budget := fixed + c.units*per + per/2
		task := started(t, load(t, newRuntime(t, Config{Engine: e, Fuel: budget}), wasm), 1)
		if _, err := task.Step(ctx, 1); err != nil { // warm up: touch the memory once
			t.Fatalf("%s/%s: %v", e, c.file, err)
		}
		start := time.Now()
		_, err := task.Step(ctx, 1<<62)
		elapsed := time.Since(start)
		says(t, string(e)+"/"+c.file, err, ErrFuelExhausted, fmt.Sprintf("used all %d units of fuel", budget))
		done := exported(t, task, "done")
		if done < c.units || done > c.units+1 {
			t.Errorf("%s/%s: %d done on a budget for %d and a half", e, c.file, done, c.units)
		}
		if per >= c.floor && done > budget/c.floor {
			t.Errorf("%s/%s: %d done on a budget of %d, more than budget/%d", e, c.file, done, budget, c.floor)
		}
		t.Logf("%-11s %-13s %9d fuel per %s (floor %d); budget %d: %d done in %v; ns/unit %.3f warm, %.3f cold",
			e, c.file, per, c.work, c.floor, budget, done, elapsed.Round(time.Microsecond),
			float64(elapsed.Nanoseconds())/float64(budget), coldNs)
		pers[e], dones[e], texts[e] = per, done, fmt.Sprint(err)
	}
	agree(t, c.file+": fuel per unit of work", pers)
	agree(t, c.file+": work done", dones)
	agree(t, c.file+": error", texts)
}

// Class 4, fuel bounds time: work that one instruction or host call does in proportion to
// an operand is paid for before it runs, so a budget of F stops after F's worth of it.
func TestHostileFuelBoundsWork(t *testing.T) {
	hostileTest(t)
	checkGeneratedWAT(t, "straight_line")
	for _, c := range []fuelBound{
		// memory.fill of 2^26 bytes: one unit per 4 bytes.
		{"fill_loop", "fill of 64 MiB", 1 << 26 / 4, 5},
		// A 512 x 512 x 512 matmul: at least one unit per 32 multiply-adds.
		{"matmul_loop", "512^3 matmul", 512 * 512 * 512 / 32, 5},
		// A call of a straight-line function: one unit per instruction.
		{"straight_line", "call", straightInstructions, 200},
	} {
		checkFuelBound(t, c)
	}
}

// Class 4: a function's locals are work at every call: wazero's interpreter zeroes each
// declared local with one instruction of its own (interpreter/compiler.go, emitDefaultValue),
// so a call of a function with 16,384 locals and one instruction runs 16,385 instructions.
// Fuel must pay for them, or a loop of such calls runs thousands of times longer than its
// fuel says.
func TestHostileWideLocals(t *testing.T) {
	hostileTest(t)
	checkGeneratedWAT(t, "wide_locals")
	checkFuelBound(t, fuelBound{"wide_locals", "call", wideLocals, 2000})
}

// Class 4: the engine grows a memory by reallocating and copying it (wazero's
// MemoryInstance.Grow appends to the buffer), so growing page by page allocates several
// times the memory's final size. Fuel must pay for what the host allocates at the host's
// own rate (host/fuel.go: one unit per byte allocated, rateAlloc), or a memory grown page
// by page takes far longer than its fuel says: memory.grow pays 8 units per byte.
func TestHostileGrowLoop(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	const pages = 1024 // a 64 MiB limit
	wasm := readWasm(t, "hostile/grow_loop.wasm")
	fuel := map[Engine]uint64{}
	for _, e := range availableEngines() {
		task := started(t, load(t, newRuntime(t, Config{Engine: e, MemoryLimitPages: pages}), wasm), 1)
		var err error
		start := time.Now()
		n := allocatedBy(func() { _, err = task.Step(ctx, 1) })
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if size := task.mod.Memory().Size(); size != pages<<16 {
			t.Errorf("%s: memory of %d bytes after the step, want the limit %d", e, size, pages<<16)
		}
		if n > task.FuelUsed {
			t.Errorf("%s: growing the memory to %d MiB allocated %d MiB of host memory for %d fuel (%.1f bytes per unit)",
				e, pages>>4, n>>20, task.FuelUsed, float64(n)/float64(task.FuelUsed))
		}
		t.Logf("%-11s grew to %d MiB: fuel %d, allocated %d MiB, %v, %.2f ns/unit",
			e, pages>>4, task.FuelUsed, n>>20, elapsed.Round(time.Millisecond), float64(elapsed.Nanoseconds())/float64(task.FuelUsed))
		fuel[e] = task.FuelUsed
	}
	agree(t, "fuel used", fuel)
}

// Class 5, a failed call changes nothing: failed_calls.wat with an odd seed makes thirteen
// host calls that must fail, and checks in the guest that each failed with the right
// status and wrote nothing; with an even seed it skips them. Both must commit the same
// trace, state, blob and handles: the same root after init and every step.
func TestHostileFailedCalls(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	wasm := readWasm(t, "hostile/failed_calls.wasm")
	roots, fuel := map[Engine]string{}, map[Engine]uint64{}
	for _, e := range availableEngines() {
		m := load(t, newRuntime(t, Config{Engine: e}), wasm)
		quiet, noisy := started(t, m, 2), started(t, m, 1)
		q, n := quiet.Session().Checkpoint(), noisy.Session().Checkpoint()
		for s := uint64(1); s <= 2; s++ {
			if q.Root != n.Root {
				t.Fatalf("%s: step %d: root %x with the failed calls, %x without", e, s-1, n.Root, q.Root)
			}
			var err error
			if q, err = quiet.Step(ctx, s); err != nil {
				t.Fatalf("%s: without the failed calls, step %d: %v", e, s, err)
			}
			if n, err = noisy.Step(ctx, s); err != nil {
				t.Fatalf("%s: with the failed calls, step %d: %v", e, s, err)
			}
			if a, b := len(quiet.Session().Trace().Entries), len(noisy.Session().Trace().Entries); a != b {
				t.Errorf("%s: step %d: %d trace entries with the failed calls, %d without", e, s, b, a)
			}
			if noisy.FuelUsed <= quiet.FuelUsed {
				t.Errorf("%s: step %d: the failed calls used no fuel (%d, %d without)", e, s, noisy.FuelUsed, quiet.FuelUsed)
			}
		}
		if q.Root != n.Root {
			t.Fatalf("%s: step 2: root %x with the failed calls, %x without", e, n.Root, q.Root)
		}
		if got := noisy.Session().LastError(); !strings.Contains(got, `tensor_free: state mismatch: handle 1 is registered as state "p"`) {
			t.Errorf("%s: the last failed call left the message %q", e, got)
		}
		t.Logf("%-11s roots equal; fuel per step %d with the failed calls, %d without", e, noisy.FuelUsed, quiet.FuelUsed)
		roots[e], fuel[e] = hex.EncodeToString(q.Root[:]), noisy.FuelUsed
	}
	agree(t, "step 2 root", roots)
	agree(t, "fuel used with the failed calls", fuel)
}

// Class 7, guest-visible text is deterministic: error messages about a tensor registered
// under twelve names and about inputs given in shuffled orders reach the blob, and so the
// root, identically in every run on every engine.
func TestHostileFreeMessage(t *testing.T) {
	hostileTest(t)
	ctx := context.Background()
	wasm := readWasm(t, "hostile/free_message.wasm")
	inputs := []host.Input{host.NewInput("zz", []byte("z")), host.NewInput("aa", []byte("a")), host.NewInput("mm", []byte("m"))}
	var want []byte
	for _, msg := range []string{
		`tensor_free: state mismatch: handle 1 is registered as state "alpha"`,
		`tensor_free_many: state mismatch: handle 1 is registered as state "alpha"`,
		`input_size: not found: no input named "missing" (inputs given: aa, mm, zz)`,
	} {
		want = binary.LittleEndian.AppendUint32(want, uint32(len(msg)))
		want = append(want, msg...)
	}
	const runs = 8
	roots, fuel := map[Engine]string{}, map[Engine]uint64{}
	for _, e := range availableEngines() {
		m := load(t, newRuntime(t, Config{Engine: e}), wasm)
		for run := range runs {
			given := append(inputs[run%len(inputs):len(inputs):len(inputs)], inputs[:run%len(inputs)]...)
			task, err := m.Instantiate(ctx, 1, given)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := task.Init(ctx); err != nil {
				t.Fatalf("%s: run %d: init: %v", e, run, err)
			}
			cp, err := task.Step(ctx, 1)
			if err != nil {
				t.Fatalf("%s: run %d: %v", e, run, err)
			}
			if !bytes.Equal(cp.Blob, want) {
				t.Fatalf("%s: run %d: the blob holds %q, want %q", e, run, cp.Blob, want)
			}
			root := hex.EncodeToString(cp.Root[:])
			if prev, ok := roots[e]; ok && prev != root {
				t.Fatalf("%s: run %d: root %s, an earlier run %s", e, run, root, prev)
			}
			if prev, ok := fuel[e]; ok && prev != task.FuelUsed {
				t.Fatalf("%s: run %d used %d fuel, an earlier run %d", e, run, task.FuelUsed, prev)
			}
			roots[e], fuel[e] = root, task.FuelUsed
			task.Close(ctx)
		}
		t.Logf("%-11s %d runs, fuel %d, root %s", e, runs, fuel[e], roots[e])
	}
	agree(t, "root", roots)
	agree(t, "fuel used", fuel)
}

// Class 8, stack in bytes: a function with 20,000 i64 locals recursing without end traps on
// the stack budget, at the depth the budget allows frames of its size (guest/ABI.md: 16
// bytes per parameter, local and value pushed, plus 64), on every engine, with the same
// fuel, long before the frame count limit or either engine's own limit.
func TestHostileStackFrames(t *testing.T) {
	hostileTest(t)
	checkGeneratedWAT(t, "stack_frames")
	ctx := context.Background()
	// The frames of lockstep_step (at least StackQuantum) and of $deep below it. The body of
	// $deep pushes at most a value per instruction and one per call result.
	fits := func(pushes int) uint64 {
		return uint64((MaxStackBytes - StackQuantum) / frameBytes(1, stackLocals, pushes))
	}
	want := fits(0)
	if hi := fits(deepInstructions + 1); hi != want {
		t.Fatalf("the depth is %d or %d, depending on how pushes are counted: choose another local count", want, hi)
	}
	wasm := readWasm(t, "hostile/stack_frames.wasm")
	depths, fuel, texts := map[Engine]uint64{}, map[Engine]uint64{}, map[Engine]string{}
	for _, e := range availableEngines() {
		task := started(t, load(t, newRuntime(t, Config{Engine: e}), wasm), 1)
		start := time.Now()
		_, err := task.Step(ctx, 1)
		elapsed := time.Since(start)
		says(t, string(e), err, ErrTrap, "nested deeper than the stack limit", fmt.Sprintf("%d bytes of frames", MaxStackBytes))
		depth := exported(t, task, "depth")
		if depth != want {
			t.Errorf("%s: trapped at depth %d, want %d", e, depth, want)
		}
		t.Logf("%-11s depth %d, fuel %d, %v: %v", e, depth, task.FuelUsed, elapsed.Round(time.Microsecond), err)
		depths[e], fuel[e], texts[e] = depth, task.FuelUsed, fmt.Sprint(err)
	}
	agree(t, "depth", depths)
	agree(t, "fuel used", fuel)
	agree(t, "error", texts)
}

// Hostile modules too long to write by hand are generated: generatedWAT builds their text,
// and checkGeneratedWAT holds the committed .wat to it. LOCKSTEP_UPDATE_WASM=1 rewrites the
// .wat; then rebuild its .wasm (LOCKSTEP_UPDATE_WASM=1 go test . -run TestTestdataWasm).
const (
	straightPairs        = 49_999              // i32.const 1; i32.add
	straightInstructions = 2*straightPairs + 2 // and local.get 0 before them, end after
	stackLocals          = 20_000              // of $deep in stack_frames.wat
	deepInstructions     = len(deepBody) + 1   // and end
	wideLocals           = 16_384              // of $wide in wide_locals.wat
)

// deepBody is the code of stack_frames.wat's $deep, one instruction a line.
var deepBody = [...]string{
	"global.get $depth", "i64.const 1", "i64.add", "global.set $depth",
	"local.get $n", fmt.Sprintf("local.set %d", stackLocals),
	"local.get $n", "i64.const 1", "i64.add", "call $deep",
	fmt.Sprintf("local.get %d", stackLocals), "i64.add",
}

func generatedWAT(name string) string {
	var b strings.Builder
	words := func(n, perLine int, word string) {
		for i := 0; i < n; i += perLine {
			b.WriteString("    ")
			for j := i; j < min(n, i+perLine); j++ {
				if j > i {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			b.WriteByte('\n')
		}
	}
	exports := `  (func (export "lockstep_abi_version") (result i32) (i32.const 1))
  (func (export "lockstep_init") (param i64) (result i32) (i32.const 0))
`
	// loop is a step that calls work n times, counting the calls in $done.
	loop := func(work string) string {
		return `  (func (export "lockstep_step") (param $n i64) (result i32)
    (global.set $done (i64.const 0))
    (block $out
      (loop $again
        (br_if $out (i64.ge_u (global.get $done) (local.get $n)))
        ` + work + `
        (br $again)))
    (i32.const 0))
)
`
	}
	switch name {
	case "straight_line":
		fmt.Fprintf(&b, `;; A function of %d straight-line instructions (local.get, %d times i32.const and
;; i32.add, end), called in a loop: step n calls it n times (the global "done" counts the
;; calls). The meter charges a segment one unit per instruction in it, paid on entry, so
;; however long the code between payments, every call must cost at least %d units, and a
;; budget must stop the loop after the calls it pays for.
;; Generated by generatedWAT in runtime/hostile_classes_test.go.
(module
  (memory (export "memory") 1)
  (global $acc (mut i32) (i32.const 0))
  (global $done (export "done") (mut i64) (i64.const 0))
  (func $straight (param i32) (result i32)
    local.get 0
`, straightInstructions, straightPairs, straightInstructions)
		words(straightPairs, 10, "i32.const 1 i32.add")
		b.WriteString("  )\n" + exports + loop(`(global.set $acc (call $straight (global.get $acc)))
        (global.set $done (i64.add (global.get $done) (i64.const 1)))`))
	case "stack_frames":
		fmt.Fprintf(&b, `;; A function with %d i64 locals that calls itself without end (the global "depth"
;; counts its frames). The meter counts a frame in bytes, 16 per parameter, local and value
;; the body pushes, plus 64, against a budget of %d bytes, so frames of 320 KB nest
;; about a hundred deep. The host must trap at the same depth and fuel on every engine, with
;; a stack-limit error, before either engine's own limit.
;; Generated by generatedWAT in runtime/hostile_classes_test.go.
(module
  (memory (export "memory") 1)
  (global $depth (export "depth") (mut i64) (i64.const 0))
  (func $deep (param $n i64) (result i64)
    (local
`, stackLocals, MaxStackBytes)
		words(stackLocals, 20, "i64")
		b.WriteString("    )\n")
		for _, in := range deepBody {
			b.WriteString("    " + in + "\n")
		}
		b.WriteString("  )\n" + exports + `  (func (export "lockstep_step") (param i64) (result i32)
    (i32.wrap_i64 (call $deep (local.get 0))))
)
`)
	case "wide_locals":
		fmt.Fprintf(&b, `;; A function with %d i64 locals and one instruction, called in a loop: step n calls
;; it n times (the global "done" counts the calls). An engine may do work for every local
;; at every call (wazero's interpreter runs an instruction per local to zero it), so fuel
;; must pay for locals too: at least one unit per local per call, or the loop runs
;; thousands of times longer than its fuel says.
;; Generated by generatedWAT in runtime/hostile_classes_test.go.
(module
  (memory (export "memory") 1)
  (global $done (export "done") (mut i64) (i64.const 0))
  (func $wide (param i64) (result i64)
    (local
`, wideLocals)
		words(wideLocals, 20, "i64")
		b.WriteString("    )\n    local.get 0)\n" + exports + loop(`(global.set $done (call $wide (i64.add (global.get $done) (i64.const 1))))`))
	default:
		panic("BUG: no generated module " + name)
	}
	return b.String()
}

// checkGeneratedWAT checks that the committed source of a generated module is what
// generatedWAT builds (LOCKSTEP_UPDATE_WASM=1 rewrites it).
func checkGeneratedWAT(t *testing.T, name string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "hostile", name+".wat")
	want := generatedWAT(name)
	if os.Getenv("LOCKSTEP_UPDATE_WASM") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Fatalf("%s is missing or stale (%v): rebuild it with LOCKSTEP_UPDATE_WASM=1 go test ./runtime -short -run TestHostile, then its .wasm with LOCKSTEP_UPDATE_WASM=1 go test . -run TestTestdataWasm", path, err)
	}
}
