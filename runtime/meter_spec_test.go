package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The meter's promise, held against the WebAssembly specification test suite that wazero
// ships in its module (the .json scripts wast2json made of the spec's .wast files, and
// their .wasm modules): metering is transparent.
//
//   - A module wazero accepts stays acceptable: the metered module compiles, unless the
//     meter refused it by a stated limit (statedRefusal).
//   - A module wazero refuses (the spec's assert_invalid and assert_malformed binaries,
//     among others) stays refused: by the meter, or by wazero when it compiles the metered
//     module. An invalid module must never become valid by naming what the meter adds.
//   - Every action of the scripts (assert_return, assert_trap, action, assert_exhaustion)
//     runs on the original instance and on the metered one, side by side, and gives the
//     same results bit for bit and the same trap, with two exceptions the meter states:
//     where the original returns a NaN, the metered module may return the canonical NaN
//     (lane by lane for f32x4 and f64x2 results), and the metered module may trap on its
//     own stack limit (MaxStackBytes) where the original recursed deeper.
//
// The metered instances get all the fuel they could want before every call; fuel and its
// exhaustion are tested elsewhere (TestHostileGuests). A module with a start function is
// metered with the start function exported instead of started (its start would run on no
// fuel; Load refuses such modules), and that export is called right after instantiation. A
// module the meter refuses by a stated limit runs unmetered in the metered world too, so
// that what it does to memories, tables and globals it shares reaches the modules after it.
//
// Run it alone: go test ./runtime -run TestMeterSpecSuite -v (LOCKSTEP_REPORT_ALL=1 lists
// every failure); -short runs a third of the v2 scripts.

// meterForTest is the rewrite under test: the admission meter without the task ABI checks.
var meterForTest = func(wasm []byte) ([]byte, error) { return instrument(wasm) }

// specFuel is the fuel every metered instance gets before every call.
const specFuel = 1 << 62

// statedRefusal says whether err is a refusal the meter makes on purpose, and names its
// reason for the counts; "" means err is not one.
func statedRefusal(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrFeature):
		return "ErrFeature"
	case errors.Is(err, ErrLimit):
		return "ErrLimit"
	case strings.Contains(err.Error(), "no export section"):
		// The task ABI check of the older instrument; the rewrite separates it out.
		return "no export section"
	}
	return ""
}

// specSuiteDir is wazero's spec test data in the module cache.
func specSuiteDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
	if err != nil {
		t.Fatalf("finding wazero's module directory (go list -m): %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "internal", "integration_test", "spectest")
	if _, err := os.Stat(filepath.Join(dir, "v2", "testdata")); err != nil {
		t.Fatalf("wazero's spec test suite is not in its module: %v", err)
	}
	return dir
}

// specScript is one wast2json script.
type specScript struct {
	Commands []specCommand `json:"commands"`
}

type specCommand struct {
	Type       string     `json:"type"`
	Line       int        `json:"line"`
	Name       string     `json:"name"`
	Filename   string     `json:"filename"`
	As         string     `json:"as"`
	ModuleType string     `json:"module_type"`
	Text       string     `json:"text"`
	Action     specAction `json:"action"`
	Expected   []specVal  `json:"expected"`
}

type specAction struct {
	Type   string    `json:"type"` // invoke or get
	Module string    `json:"module"`
	Field  string    `json:"field"`
	Args   []specVal `json:"args"`
}

type specVal struct {
	Type     string `json:"type"`
	LaneType string `json:"lane_type"`
	Value    any    `json:"value"`
}

// words is the value as wazero passes it: one uint64, or two for a v128.
func (v specVal) words() []uint64 {
	if v.Type == "v128" {
		lanes, _ := v.Value.([]any)
		width := map[string]int{"i8": 8, "i16": 16, "i32": 32, "f32": 32, "i64": 64, "f64": 64}[v.LaneType]
		var w [2]uint64
		for i, l := range lanes {
			bits := scalarBits(l.(string), width)
			per := 64 / width
			w[i/per] |= bits << (uint(i%per) * uint(width))
		}
		return w[:]
	}
	s, _ := v.Value.(string)
	switch {
	case v.Value == nil || s == "null":
		return []uint64{0}
	case v.Type == "externref":
		n, _ := strconv.ParseUint(s, 10, 64)
		return []uint64{n + 1} // wazero's null externref is 0
	case strings.Contains(v.Type, "32"):
		return []uint64{scalarBits(s, 32)}
	}
	return []uint64{scalarBits(s, 64)}
}

// scalarBits parses a wast2json scalar. Arguments never are NaN patterns; expected values
// may be, but the harness compares with the original, not with the script's expectation.
func scalarBits(s string, width int) uint64 {
	if strings.HasPrefix(s, "nan:") {
		if width == 32 {
			return 0x7FC00000
		}
		return 0x7FF8000000000000
	}
	if strings.HasPrefix(s, "-") {
		n, _ := strconv.ParseInt(s, 10, width)
		return uint64(n) & (math.MaxUint64 >> (64 - width))
	}
	n, _ := strconv.ParseUint(s, 10, width)
	return n
}

// specTally is what the suite did, and what it found wrong.
type specTally struct {
	mu          sync.Mutex
	scripts     int
	modules     int            // module files the scripts name (binary ones)
	valid       int            // that wazero compiles
	invalid     int            // that wazero refuses
	refused     map[string]int // valid modules the meter refused, by stated reason
	refusedWhat []string       // which, and why
	refusedBad  map[string]int // invalid modules the meter refused, by stated reason or "other"
	compileBad  int            // invalid modules the meter passed and wazero then refused
	textOnly    int            // assert_malformed/assert_invalid modules in the text format: skipped
	lenient     []string       // assert_malformed/assert_invalid modules wazero compiles
	strict      []string       // ... and admission refuses, as the script says
	startFunc   int            // valid modules with a start function, run metered as an export
	actions     int            // actions run on both instances and compared
	skipped     map[string]int // actions not compared, by reason
	stackTraps  int            // actions where only the metered instance trapped, on its stack limit
	exhaustions int            // assert_exhaustion cases where both trapped
	nanCanon    int            // results where the metered instance returned the canonical NaN for another NaN
	failures    []failure
}

func (tl *specTally) fail(script, at, format string, args ...any) {
	tl.mu.Lock()
	tl.failures = append(tl.failures, failure{script, at, fmt.Sprintf(format, args...)})
	tl.mu.Unlock()
}

func (tl *specTally) add(f func(*specTally)) {
	tl.mu.Lock()
	f(tl)
	tl.mu.Unlock()
}

func TestMeterSpecSuite(t *testing.T) {
	dir := specSuiteDir(t)
	var scripts []string
	for _, v := range []string{"v1", "v2"} {
		files, _ := filepath.Glob(filepath.Join(dir, v, "testdata", "*.json"))
		sort.Strings(files)
		for i, f := range files {
			// -short: a deterministic third of the scripts, those of v2 only.
			if testing.Short() && (v != "v2" || i%3 != 0) {
				continue
			}
			scripts = append(scripts, f)
		}
	}
	spectest, err := os.ReadFile(filepath.Join(dir, "testdata", "spectest.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	tl := &specTally{refused: map[string]int{}, refusedBad: map[string]int{}, skipped: map[string]int{}}
	start := time.Now()
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(1, goruntime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := runSpecScript(f, spectest, tl); err != nil {
					tl.fail(specName(f), "", "%v", err)
				}
			}
		}()
	}
	for _, f := range scripts {
		work <- f
	}
	close(work)
	wg.Wait()

	t.Logf("%d scripts in %v: %d binary modules, %d valid (wazero compiles them), %d invalid; %d text-format modules skipped",
		len(scripts), time.Since(start).Round(time.Millisecond), tl.modules, tl.valid, tl.invalid, tl.textOnly)
	t.Logf("valid modules refused by a stated limit: %v; invalid modules refused by the meter: %v, by wazero after metering: %d",
		tl.refused, tl.refusedBad, tl.compileBad)
	slices.Sort(tl.refusedWhat)
	for _, r := range tl.refusedWhat {
		t.Logf("  refused: %s", r)
	}
	slices.Sort(tl.lenient)
	t.Logf("%d assert_invalid or assert_malformed modules wazero compiles (the meter keeps its verdict; v1 ones may be valid in v2): %s",
		len(tl.lenient), strings.Join(tl.lenient, ", "))
	slices.Sort(tl.strict)
	t.Logf("%d assert_invalid or assert_malformed modules wazero compiles and admission refuses, as the script says: %s",
		len(tl.strict), strings.Join(tl.strict, ", "))
	t.Logf("%d modules with a start function, run metered as an export called after instantiation (Load refuses them, ErrFeature)", tl.startFunc)
	t.Logf("%d actions compared (%d results canonical NaN for NaN, %d metered stack-limit traps, %d exhaustions agreed); not compared: %v",
		tl.actions, tl.nanCanon, tl.stackTraps, tl.exhaustions, tl.skipped)
	reportFailures(t, "spec suite", tl.failures, 40)
}

// failure is one thing found wrong: what, at a place in a group (a script, a corpus).
type failure struct{ group, at, what string }

// reportFailures fails t with one line per group and kind of failure (the places where the
// same thing went wrong are listed on the line), sorted, at most limit lines (all of them
// with LOCKSTEP_REPORT_ALL=1).
func reportFailures(t *testing.T, title string, failures []failure, limit int) {
	t.Helper()
	if len(failures) == 0 {
		return
	}
	type key struct{ group, what string }
	where := map[key][]string{}
	for _, f := range failures {
		k := key{f.group, f.what}
		where[k] = append(where[k], f.at)
	}
	var lines []string
	for k, at := range where {
		switch {
		case len(at) == 1 && at[0] == "":
			lines = append(lines, fmt.Sprintf("%s: %s", k.group, k.what))
		case len(at) == 1:
			lines = append(lines, fmt.Sprintf("%s:%s: %s", k.group, at[0], k.what))
		default:
			slices.Sort(at)
			list := strings.Join(at[:min(3, len(at))], ", ")
			if len(at) > 3 {
				list += ", ..."
			}
			lines = append(lines, fmt.Sprintf("%s: %d times (%s): %s", k.group, len(at), list, k.what))
		}
	}
	slices.Sort(lines)
	if os.Getenv("LOCKSTEP_REPORT_ALL") != "" {
		limit = len(lines)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d failures:", title, len(failures))
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(&b, "\n  ... and %d more lines (LOCKSTEP_REPORT_ALL=1 shows them)", len(lines)-limit)
			break
		}
		b.WriteString("\n  " + l)
	}
	t.Error(b.String())
}

func specName(path string) string {
	return filepath.Base(filepath.Dir(filepath.Dir(path))) + "/" + strings.TrimSuffix(filepath.Base(path), ".json")
}

// specInstance is a module's instance in each world. Where the meter refused the module, or
// the metered module failed, metered is nil, why says why, and standIn is the original
// instantiated in the metered world.
type specInstance struct {
	orig, metered, standIn api.Module
	why                    string
}

func runSpecScript(path string, spectest []byte, tl *specTally) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var script specScript
	if err := json.Unmarshal(raw, &script); err != nil {
		return err
	}
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2)
	orig, metered := wazero.NewRuntimeWithConfig(ctx, cfg), wazero.NewRuntimeWithConfig(ctx, cfg)
	defer orig.Close(ctx)
	defer metered.Close(ctx)
	for _, rt := range []wazero.Runtime{orig, metered} {
		if _, err := rt.InstantiateWithConfig(ctx, spectest, wazero.NewModuleConfig().WithName("spectest")); err != nil {
			return fmt.Errorf("instantiating the spectest module: %w", err)
		}
	}
	s := &specRun{ctx: ctx, dir: filepath.Dir(path), name: specName(path), orig: orig, metered: metered,
		named: map[string]*specInstance{}, tl: tl}
	tl.add(func(tl *specTally) { tl.scripts++ })
	for i := 0; i < len(script.Commands); i++ {
		c := &script.Commands[i]
		switch c.Type {
		case "module", "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable":
			register := ""
			if c.Type == "module" && i+1 < len(script.Commands) && script.Commands[i+1].Type == "register" {
				register = script.Commands[i+1].As
				i++
			}
			s.module(c, register)
		case "assert_return", "assert_trap", "action", "assert_exhaustion":
			s.action(c)
		case "register":
			return fmt.Errorf("line %d: register not right after its module", c.Line)
		default:
			tl.add(func(tl *specTally) { tl.skipped["command "+c.Type]++ })
		}
	}
	return nil
}

type specRun struct {
	ctx           context.Context
	dir, name     string
	orig, metered wazero.Runtime
	last          *specInstance
	named         map[string]*specInstance
	all           []api.Module // every metered instance, whose counters each call resets
	tl            *specTally
}

// module checks the meter on one module of the script and, where the command instantiates
// it, instantiates it in both worlds.
func (s *specRun) module(c *specCommand, register string) {
	tl := s.tl
	where := fmt.Sprintf("%d %s", c.Line, c.Filename)
	if !strings.HasSuffix(c.Filename, ".wasm") {
		tl.add(func(tl *specTally) { tl.textOnly++ })
		return
	}
	wasm, err := os.ReadFile(filepath.Join(s.dir, c.Filename))
	if err != nil {
		tl.fail(s.name, where, "%v", err)
		return
	}
	origCompiled, origErr := s.orig.CompileModule(s.ctx, wasm)
	out, meterErr := meterForTest(wasm)
	stated := statedRefusal(meterErr)
	var metCompiled wazero.CompiledModule
	var metErr error
	if meterErr == nil {
		metCompiled, metErr = s.metered.CompileModule(s.ctx, out)
	}
	tl.add(func(tl *specTally) {
		tl.modules++
		if origErr == nil {
			tl.valid++
		} else {
			tl.invalid++
		}
	})
	if origErr != nil { // invalid: the meter or wazero must refuse it
		switch {
		case meterErr != nil:
			tl.add(func(tl *specTally) { tl.refusedBad[orElse(stated, "other")]++ })
		case metErr != nil:
			tl.add(func(tl *specTally) { tl.compileBad++ })
		default:
			tl.fail(s.name, where, "invalid module admitted: metered module compiles (%s; wazero refuses the original: %s)", c.Type, firstLine(origErr))
		}
		if c.Type == "module" {
			tl.fail(s.name, where, "wazero refuses a module the script instantiates: %s", firstLine(origErr))
		}
		return
	}
	if (c.Type == "assert_invalid" || c.Type == "assert_malformed") && meterErr != nil && stated == "" {
		// wazero is lenient here (global.get of a mutable global in an initializer) and
		// admission is as strict as the spec: the meter's refusal is the script's verdict.
		tl.add(func(tl *specTally) { tl.strict = append(tl.strict, s.name+":"+where) })
		return
	}
	inst := &specInstance{}
	switch {
	case stated != "":
		tl.add(func(tl *specTally) {
			tl.refused[stated]++
			tl.refusedWhat = append(tl.refusedWhat, s.name+":"+where+": "+firstLine(meterErr))
		})
		inst.why = "refused: " + stated
	case meterErr != nil:
		tl.fail(s.name, where, "valid module refused by the meter: %s", firstLine(meterErr))
		inst.why = "refused by the meter"
	case metErr != nil:
		tl.fail(s.name, where, "metered module does not compile: %s", firstLine(metErr))
		inst.why = "metered module does not compile"
	}
	if c.Type == "assert_invalid" || c.Type == "assert_malformed" {
		// Valid under CoreFeaturesV2 (a v1 script's test of a later proposal), or wazero is
		// lenient: either way the meter kept wazero's verdict, checked above.
		tl.add(func(tl *specTally) { tl.lenient = append(tl.lenient, s.name+":"+where) })
		return
	}

	// A start function would run at instantiation on no fuel (Load refuses such modules),
	// so the metered instance is made from the module with its start function exported
	// instead, and that export is called, with fuel, right after instantiation.
	start := startFunction(wasm)
	if start >= 0 && inst.why == "" || start >= 0 && inst.why == "refused: ErrFeature" {
		inst.why = ""
		tl.add(func(tl *specTally) { tl.startFunc++ })
		if out, meterErr = meterForTest(startAsExport(wasm, uint32(start))); meterErr == nil {
			metCompiled, metErr = s.metered.CompileModule(s.ctx, out)
		}
		if err := errors.Join(meterErr, metErr); err != nil {
			tl.fail(s.name, where, "with its start function exported instead, the module does not meter or compile: %s", firstLine(err))
			inst.why = "start function"
		}
	}

	mc := wazero.NewModuleConfig().WithName(register)
	inst.orig, origErr = s.orig.InstantiateModule(s.ctx, origCompiled, mc)
	if inst.why != "" {
		// Not metered: the original stands in for it in the metered world, so that what it
		// does to the memories, tables and globals it shares is done there too.
		standIn, err := s.metered.CompileModule(s.ctx, wasm)
		if err == nil {
			inst.standIn, err = s.metered.InstantiateModule(s.ctx, standIn, mc)
		}
		if (err == nil) != (origErr == nil) {
			tl.fail(s.name, where, "BUG: the original instantiates differently in the two worlds: %v, %v", firstLine(origErr), firstLine(err))
		}
	} else {
		inst.metered, metErr = s.metered.InstantiateModule(s.ctx, metCompiled, mc)
		if metErr == nil {
			s.all = append(s.all, inst.metered)
			if start >= 0 {
				if metErr = s.call(inst.metered.ExportedFunction(specStartExport)); metErr != nil {
					inst.metered.Close(s.ctx) // as a failed instantiation leaves nothing
					s.all = s.all[:len(s.all)-1]
					inst.metered = nil
				}
			}
		}
		switch {
		case (origErr == nil) != (metErr == nil):
			tl.fail(s.name, where, "%s: instantiating the original: %v; the metered: %v", c.Type, orElse(firstLine(origErr), "ok"), orElse(firstLine(metErr), "ok"))
			inst.why = "instantiation differs"
		case origErr != nil && trapText(origErr) != trapText(metErr):
			tl.fail(s.name, where, "%s: instantiation fails differently: original %q, metered %q", c.Type, firstLine(origErr), firstLine(metErr))
		}
	}
	if c.Type != "module" {
		return
	}
	if origErr != nil {
		tl.fail(s.name, where, "the original does not instantiate: %v", firstLine(origErr))
		return
	}
	s.last = inst
	if c.Name != "" {
		s.named[c.Name] = inst
	}
}

// action runs one action on both instances and compares what they did.
func (s *specRun) action(c *specCommand) {
	tl := s.tl
	inst := s.last
	if c.Action.Module != "" {
		inst = s.named[c.Action.Module]
	}
	where := fmt.Sprintf("%d %s %s", c.Line, c.Type, c.Action.Field)
	switch {
	case inst == nil || inst.orig == nil:
		tl.fail(s.name, where, "no instance to run it on")
		return
	case inst.metered == nil:
		// Still done, in both worlds: later modules may depend on what it did.
		tl.add(func(tl *specTally) { tl.skipped[inst.why]++ })
		for _, m := range []api.Module{inst.orig, inst.standIn} {
			if f := m.ExportedFunction(c.Action.Field); m != nil && f != nil {
				f.Call(s.ctx, c.args()...)
			}
		}
		return
	}
	tl.add(func(tl *specTally) { tl.actions++ })
	if c.Action.Type == "get" {
		g0, g1 := inst.orig.ExportedGlobal(c.Action.Field), inst.metered.ExportedGlobal(c.Action.Field)
		if g0 == nil || g1 == nil {
			tl.fail(s.name, where, "global missing: original %v, metered %v", g0 != nil, g1 != nil)
			return
		}
		if ok, _ := sameResults([]api.ValueType{g0.Type()}, nil, []uint64{g0.Get()}, []uint64{g1.Get()}); !ok {
			tl.fail(s.name, where, "global differs: original %#x, metered %#x", g0.Get(), g1.Get())
		}
		return
	}
	args := c.args()
	f0, f1 := inst.orig.ExportedFunction(c.Action.Field), inst.metered.ExportedFunction(c.Action.Field)
	if f0 == nil || f1 == nil {
		tl.fail(s.name, where, "function missing: original %v, metered %v", f0 != nil, f1 != nil)
		return
	}
	r0, err0 := f0.Call(s.ctx, args...)
	s.refuel()
	r1, err1 := f1.Call(s.ctx, slices.Clone(args)...)
	switch {
	case err0 == nil && err1 == nil:
		lanes := make([]string, len(c.Expected))
		for i, e := range c.Expected {
			lanes[i] = e.LaneType
		}
		ok, nan := sameResults(f0.Definition().ResultTypes(), lanes, r0, r1)
		if !ok {
			tl.fail(s.name, where+argString(c.Action.Args), "results differ: original %#x, metered %#x", r0, r1)
		}
		if nan {
			tl.add(func(tl *specTally) { tl.nanCanon++ })
		}
	case err1 != nil && s.meteredTrap() != "":
		switch why := s.meteredTrap(); {
		case why == "stack" && err0 != nil && c.Type == "assert_exhaustion":
			tl.add(func(tl *specTally) { tl.exhaustions++ })
		case why == "stack":
			tl.add(func(tl *specTally) { tl.stackTraps++ })
		default:
			tl.fail(s.name, where+argString(c.Action.Args), "metered instance ran out of fuel (%s), original: %v", why, firstLine(err0))
		}
	case err0 == nil:
		tl.fail(s.name, where+argString(c.Action.Args), "only the metered instance traps: %s", firstLine(err1))
	case err1 == nil:
		tl.fail(s.name, where+argString(c.Action.Args), "only the original traps: %s", firstLine(err0))
	case firstLine(err0) != firstLine(err1):
		tl.fail(s.name, where+argString(c.Action.Args), "traps differ: original %q, metered %q", firstLine(err0), firstLine(err1))
	case c.Type == "assert_exhaustion":
		tl.add(func(tl *specTally) { tl.exhaustions++ })
	}
}

// refuel gives every metered instance specFuel and an empty stack.
func (s *specRun) refuel() {
	for _, m := range s.all {
		setGlobal(m, FuelExport, specFuel)
		setGlobal(m, StackExport, 0)
	}
}

// call calls a metered function of no parameters with fuel.
func (s *specRun) call(f api.Function) error {
	s.refuel()
	_, err := f.Call(s.ctx)
	return err
}

func (c *specCommand) args() []uint64 {
	var args []uint64
	for _, a := range c.Action.Args {
		args = append(args, a.words()...)
	}
	return args
}

// meteredTrap says whether a metered instance trapped on its own limits: "stack" when a
// stack counter holds the trap mark, "fuel" when a fuel counter is empty.
func (s *specRun) meteredTrap() string {
	for _, m := range s.all {
		if g := m.ExportedGlobal(StackExport); g != nil && g.Get() == stackTrapMark {
			return "stack"
		}
	}
	for _, m := range s.all {
		if g := m.ExportedGlobal(FuelExport); g != nil && g.Get() == 0 {
			return "fuel"
		}
	}
	return ""
}

func setGlobal(m api.Module, name string, v uint64) {
	if g, ok := m.ExportedGlobal(name).(api.MutableGlobal); ok {
		g.Set(v)
	}
}

// sameResults compares the original's results r0 with the metered r1, word by word, and
// says whether they agree and whether they did so only by the NaN rule: where the original
// has a NaN, the metered instance may have the canonical NaN. For v128 results the lane
// type of the script's expected value says which lanes are floats.
func sameResults(types []api.ValueType, lanes []string, r0, r1 []uint64) (ok, byNaN bool) {
	if len(r0) != len(r1) {
		return false, false
	}
	w := 0
	for i, t := range types {
		if w >= len(r0) || t == 0x7B && w+1 >= len(r0) {
			return false, false
		}
		lane := ""
		if i < len(lanes) {
			lane = lanes[i]
		}
		switch t {
		case api.ValueTypeF32:
			same, nan := sameFloat(r0[w]&0xFFFFFFFF, r1[w]&0xFFFFFFFF, 32)
			ok, byNaN = same, byNaN || nan
			w++
		case api.ValueTypeF64:
			same, nan := sameFloat(r0[w], r1[w], 64)
			ok, byNaN = same, byNaN || nan
			w++
		case 0x7B: // v128
			for k := 0; k < 2; k++ {
				switch lane {
				case "f32":
					lo, nlo := sameFloat(r0[w+k]&0xFFFFFFFF, r1[w+k]&0xFFFFFFFF, 32)
					hi, nhi := sameFloat(r0[w+k]>>32, r1[w+k]>>32, 32)
					ok, byNaN = lo && hi, byNaN || nlo || nhi
				case "f64":
					same, nan := sameFloat(r0[w+k], r1[w+k], 64)
					ok, byNaN = same, byNaN || nan
				default:
					ok = r0[w+k] == r1[w+k]
				}
				if !ok {
					return false, false
				}
			}
			w += 2
			continue
		case 0x70: // funcref: an address in each runtime; only null or not is comparable
			ok = (r0[w] == 0) == (r1[w] == 0)
			w++
		case api.ValueTypeI32:
			ok = uint32(r0[w]) == uint32(r1[w])
			w++
		default:
			ok = r0[w] == r1[w]
			w++
		}
		if !ok {
			return false, false
		}
	}
	return true, byNaN
}

// sameFloat compares float bits: equal, or a NaN and the canonical NaN (the second result).
func sameFloat(a, b uint64, width int) (ok, byNaN bool) {
	if a == b {
		return true, false
	}
	if width == 32 {
		return isNaN32(a) && b == 0x7FC00000, true
	}
	return math.IsNaN(math.Float64frombits(a)) && b == 0x7FF8000000000000, true
}

func isNaN32(bits uint64) bool { return math.IsNaN(float64(math.Float32frombits(uint32(bits)))) }

// specStartExport is the name under which startAsExport exports the start function.
const specStartExport = "lockstep-spec-start"

// startFunction is the start function of a (valid) module, or -1.
func startFunction(wasm []byte) int64 {
	secs, _ := readSections(wasm)
	for _, s := range secs {
		if s.id == secStart {
			r := &wasmReader{b: s.body}
			return int64(r.u32())
		}
	}
	return -1
}

// startAsExport returns a valid module without its start section, exporting the start
// function f as specStartExport instead.
func startAsExport(wasm []byte, f uint32) []byte {
	secs, _ := readSections(wasm)
	entry := append(appendU32(nil, uint32(len(specStartExport))), specStartExport...)
	entry = appendU32(append(entry, 0), f)
	out := slices.Clone(wasm[:8])
	emit := func(id byte, body []byte) {
		out = appendU32(append(out, id), uint32(len(body)))
		out = append(out, body...)
	}
	for _, s := range secs {
		switch s.id {
		case secExport:
			r := &wasmReader{b: s.body}
			n := r.u32()
			emit(secExport, append(appendU32(nil, n+1), append(slices.Clone(s.body[r.pos:]), entry...)...))
		case secStart:
			if !slices.ContainsFunc(secs, func(s wasmSection) bool { return s.id == secExport }) {
				emit(secExport, append(appendU32(nil, 1), entry...))
			}
		default:
			emit(s.id, s.body)
		}
	}
	return out
}

func argString(args []specVal) string {
	var parts []string
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a.Value))
	}
	s := "(" + strings.Join(parts, " ") + ")"
	if len(s) > 60 {
		s = s[:57] + "...)"
	}
	return s
}

// trapText is an error's first line from "wasm error:" on, if it has one: a trap in a
// start function reads the same as one in a call.
func trapText(err error) string {
	s := firstLine(err)
	if i := strings.Index(s, "wasm error:"); i >= 0 {
		return s[i:]
	}
	return s
}

// firstLine is an error's first line (wazero appends a stack trace); "" for nil.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func orElse(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
