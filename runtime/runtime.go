package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/lockstep-ml/lockstep/host"
)

// ABIVersion is the version of guest/ABI.md this runtime implements; a task's
// lockstep_abi_version export must return it.
const ABIVersion = 1

// Engine selects wazero's execution engine.
type Engine string

const (
	EngineAuto        Engine = ""            // the compiler where wazero supports it, else the interpreter
	EngineCompiler    Engine = "compiler"    // ahead-of-time compilation to native code (amd64, arm64)
	EngineInterpreter Engine = "interpreter" // portable, slower
)

// Config configures a Runtime. Zero fields take DefaultConfig's values.
type Config struct {
	Engine           Engine
	CacheDir         string // compiled-module cache; "" for none
	MaxModuleBytes   int
	MemoryLimitPages uint32 // 64 KiB pages of guest memory
	Fuel             uint64 // fuel per export call (function entries + loop iterations)
	Limits           host.Limits
	Log              func(line string) // guest log lines and stdout/stderr; nil discards
}

// DefaultConfig: the compiler engine where supported, modules up to the admission limit, 1 GiB of guest
// memory, and fuel for tens of seconds of guest code per call.
func DefaultConfig() Config {
	return Config{MaxModuleBytes: MaxModuleBytes, MemoryLimitPages: 16384, Fuel: 50_000_000_000, Limits: host.DefaultLimits()}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxModuleBytes == 0 {
		c.MaxModuleBytes = d.MaxModuleBytes
	}
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = d.MemoryLimitPages
	}
	if c.Fuel == 0 {
		c.Fuel = d.Fuel
	}
	c.Limits = c.Limits.OrDefaults()
	return c
}

// Errors of admission and execution; each is wrapped with the detail.
var (
	ErrAdmission     = errors.New("module rejected")
	ErrABIVersion    = errors.New("wrong ABI version")
	ErrFuelExhausted = errors.New("fuel exhausted")
	ErrTrap          = errors.New("task trapped")
	ErrTaskFailed    = errors.New("task call failed")
	ErrTaskDead      = errors.New("task instance is unusable after an earlier failure")
	ErrNotRestorable = errors.New("restore check failed")
)

// Runtime is a wazero runtime with the host module and WASI instantiated.
type Runtime struct {
	cfg    Config
	r      wazero.Runtime
	engine Engine
	cache  wazero.CompilationCache

	// interp runs, on the compiler engine, the modules too costly to compile
	// (MaxCompilerWork); made when first needed.
	mu     sync.Mutex
	interp wazero.Runtime
	// uncached compiles, on the compiler engine, when the compilation cache cannot be
	// written (a full disk); made when first needed.
	uncached wazero.Runtime
}

// MaxCompilerWork is how much compiling a module may cost wazero's compiler, in the
// sum over its metered functions of their blocks squared: the compiler takes time in the
// square of a function's blocks, loops and ifs (8,000 tiny loops in one function took it
// 11 s). A module past it runs on the interpreter instead, which admits it in time linear
// in its size and gives the same results. This is not consensus: every engine computes
// the same bits, so each node may choose its own. The digits task's work is 1.4·10^7.
const MaxCompilerWork = 1 << 25

// New returns a Runtime for cfg.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	cfg = cfg.withDefaults()
	var wc wazero.RuntimeConfig
	engine := cfg.Engine
	switch engine {
	case EngineAuto:
		engine = DefaultEngine()
		wc = wazero.NewRuntimeConfigInterpreter()
		if engine == EngineCompiler {
			wc = wazero.NewRuntimeConfigCompiler()
		}
	case EngineCompiler:
		if !compilerArch {
			return nil, fmt.Errorf("the compiler engine does not run on this platform; use --engine interpreter")
		}
		wc = wazero.NewRuntimeConfigCompiler()
	case EngineInterpreter:
		wc = wazero.NewRuntimeConfigInterpreter()
	default:
		return nil, fmt.Errorf("unknown engine %q (want compiler or interpreter)", cfg.Engine)
	}
	wc = wc.WithMemoryLimitPages(cfg.MemoryLimitPages).WithCloseOnContextDone(false)
	rt := &Runtime{cfg: cfg, engine: engine}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache %s: %w", cfg.CacheDir, err)
		}
		rt.cache = cache
		wc = wc.WithCompilationCache(cache)
	}
	r, err := newWazero(ctx, wc)
	if err != nil {
		return nil, err
	}
	rt.r = r
	return rt, nil
}

// newWazero makes a wazero runtime with WASI and the host module instantiated.
func newWazero(ctx context.Context, wc wazero.RuntimeConfig) (wazero.Runtime, error) {
	r := wazero.NewRuntimeWithConfig(ctx, wc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	if _, err := host.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	return r, nil
}

// interpreter returns the runtime for modules too costly to compile.
func (rt *Runtime) interpreter(ctx context.Context) (wazero.Runtime, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.interp == nil {
		wc := wazero.NewRuntimeConfigInterpreter().WithMemoryLimitPages(rt.cfg.MemoryLimitPages).WithCloseOnContextDone(false)
		r, err := newWazero(ctx, wc)
		if err != nil {
			return nil, err
		}
		rt.interp = r
	}
	return rt.interp, nil
}

// withoutCache returns a compiler runtime that uses no compilation cache.
func (rt *Runtime) withoutCache(ctx context.Context) (wazero.Runtime, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.uncached == nil {
		wc := wazero.NewRuntimeConfigCompiler().WithMemoryLimitPages(rt.cfg.MemoryLimitPages).WithCloseOnContextDone(false)
		r, err := newWazero(ctx, wc)
		if err != nil {
			return nil, err
		}
		rt.uncached = r
	}
	return rt.uncached, nil
}

// DefaultEngine is the engine EngineAuto picks on this platform.
func DefaultEngine() Engine {
	if compilerArch {
		return EngineCompiler
	}
	return EngineInterpreter
}

// Engine reports the engine in use.
func (rt *Runtime) Engine() Engine { return rt.engine }

// Close releases the runtime and every module in it.
func (rt *Runtime) Close(ctx context.Context) error {
	err := rt.r.Close(ctx)
	rt.mu.Lock()
	for _, r := range []wazero.Runtime{rt.interp, rt.uncached} {
		if r != nil {
			err = errors.Join(err, r.Close(ctx))
		}
	}
	rt.mu.Unlock()
	if rt.cache != nil {
		err = errors.Join(err, rt.cache.Close(ctx))
	}
	return err
}

// wasiAllowed is the WASI preview 1 subset a task may import (guest/ABI.md): what the Go,
// Rust and C toolchains' runtimes need to start, print and exit (Go's os package alone
// needs fd_read and fd_fdstat_set_flags; wasi-libc's stdio, and so printf, imports
// fd_seek). No filesystem, sockets or real clocks exist behind them: clocks are fake,
// random_get is seeded from the task seed, stdin is empty, and the file functions see no
// preopened directories. What they answer comes from wazero's pure Go stdio, never from
// the host's files, so it is the same everywhere: fd_seek, for one, answers ENOSYS on
// stdin, stdout and stderr and EBADF on any other descriptor (testdata/wat/wasi_seek.wat).
var wasiAllowed = map[string]bool{
	"args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_time_get": true, "clock_res_get": true, "fd_write": true, "fd_read": true, "fd_close": true,
	"fd_fdstat_get": true, "fd_fdstat_set_flags": true, "fd_prestat_get": true, "fd_prestat_dir_name": true,
	"fd_seek": true, "poll_oneoff": true, "proc_exit": true, "random_get": true, "sched_yield": true,
}

// exportSpec is a function export of the ABI with its signature.
type exportSpec struct {
	params, results []api.ValueType
	required        bool
}

var exports = map[string]exportSpec{
	"lockstep_abi_version": {nil, []api.ValueType{api.ValueTypeI32}, true},
	"lockstep_init":        {[]api.ValueType{api.ValueTypeI64}, []api.ValueType{api.ValueTypeI32}, true},
	"lockstep_step":        {[]api.ValueType{api.ValueTypeI64}, []api.ValueType{api.ValueTypeI32}, true},
	"lockstep_restore":     {nil, []api.ValueType{api.ValueTypeI32}, false},
	"lockstep_eval":        {nil, []api.ValueType{api.ValueTypeI32}, false},
	"_initialize":          {nil, nil, false},
}

// Module is an admitted, metered, compiled task module.
type Module struct {
	rt       *Runtime
	r        wazero.Runtime // the one it was compiled by
	compiled wazero.CompiledModule
	// Engine is the engine that runs it: the runtime's, or the interpreter for a module
	// past MaxCompilerWork (EngineNote says why).
	Engine     Engine
	EngineNote string
	Hash       [32]byte // SHA-256 of the module as submitted
	Size       int
	Imports    []string // "module.name"
	Exports    []string
}

// HashHex is the module hash in hex.
func (m *Module) HashHex() string { return hex.EncodeToString(m.Hash[:]) }

func reject(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrAdmission, fmt.Sprintf(format, args...))
}

// Load admits and compiles a task module.
func (rt *Runtime) Load(ctx context.Context, wasm []byte) (*Module, error) {
	if len(wasm) > rt.cfg.MaxModuleBytes {
		return nil, reject("module is %d bytes, the limit is %d", len(wasm), rt.cfg.MaxModuleBytes)
	}
	metered, info, err := meter(wasm, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdmission, err)
	}
	if info.hasStart {
		// It would run during instantiation, before the host sets a fuel budget.
		return nil, fmt.Errorf("%w: %w: has a start function, which would run before the host can meter it; export _initialize instead", ErrAdmission, ErrFeature)
	}
	if info.exportNames["_start"] && !info.exportNames["_initialize"] {
		return nil, reject("is a command module (it exports _start, not _initialize): its language runtime is set up only by _start, which runs main and exits, so a task must be a reactor; " +
			"build a Go task with -buildmode=c-shared (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared), a C task with -mexec-model=reactor")
	}
	for _, name := range slices.Sorted(maps.Keys(exports)) { // before paying for compilation
		if exports[name].required && !info.exportNames[name] {
			return nil, reject("does not export %s, which every task must (guest/ABI.md)", name)
		}
	}
	// Functions compile on every core (the machine code does not depend on it).
	m := &Module{rt: rt, r: rt.r, Engine: rt.engine, Hash: sha256.Sum256(wasm), Size: len(wasm)}
	if rt.engine == EngineCompiler && info.compileWork > MaxCompilerWork {
		if m.r, err = rt.interpreter(ctx); err != nil {
			return nil, err
		}
		m.Engine = EngineInterpreter
		m.EngineNote = fmt.Sprintf("runs on the interpreter: compiling it would cost %d units of compiler work, over the limit of %d (its functions have too many blocks, loops and ifs)", info.compileWork, MaxCompilerWork)
	}
	workers := experimental.WithCompilationWorkers(ctx, goruntime.GOMAXPROCS(0))
	compiled, err := m.r.CompileModule(workers, metered)
	var fsErr *fs.PathError
	if err != nil && rt.cache != nil && m.r == rt.r && errors.As(err, &fsErr) {
		// The module compiled, but its code could not be written to the cache (a full
		// disk, say): compile it again without the cache. Nothing is wrong with it.
		var r wazero.Runtime
		if r, err = rt.withoutCache(ctx); err != nil {
			return nil, err
		}
		m.r = r
		m.EngineNote = fmt.Sprintf("compiled without the compiled-module cache, which could not be written (%v)", fsErr)
		compiled, err = m.r.CompileModule(workers, metered)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrAdmission, ErrMalformed, err)
	}
	m.compiled = compiled
	if err := m.check(); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	return m, nil
}

func sameTypes(a, b []api.ValueType) bool { return slices.Equal(a, b) }

func sig(params, results []api.ValueType) string {
	n := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return n(params) + " -> " + n(results)
}

func (m *Module) check() error {
	hostFns := host.Functions()
	for _, f := range m.compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		if !slices.Contains(m.Imports, mod+"."+name) { // a module may import a function twice
			m.Imports = append(m.Imports, mod+"."+name)
		}
		switch mod {
		case wasi_snapshot_preview1.ModuleName:
			if !wasiAllowed[name] {
				return reject("imports %s.%s, which tasks may not use (allowed WASI functions are listed in guest/ABI.md)", mod, name)
			}
		case host.ModuleName:
			want, ok := hostFns[name]
			if !ok {
				return reject("imports %s.%s, which the host module does not provide", mod, name)
			}
			if !sameTypes(f.ParamTypes(), want.Params) || !sameTypes(f.ResultTypes(), want.Results) {
				return reject("imports %s.%s with signature %s; the host provides %s", mod, name, sig(f.ParamTypes(), f.ResultTypes()), sig(want.Params, want.Results))
			}
		default:
			return reject("imports %s.%s from module %q; tasks may import only %q and %q", mod, name, mod, host.ModuleName, wasi_snapshot_preview1.ModuleName)
		}
	}
	if n := len(m.compiled.ImportedMemories()); n > 0 {
		return reject("imports a memory; a task must define its own")
	}
	fns := m.compiled.ExportedFunctions()
	for name := range fns {
		m.Exports = append(m.Exports, name)
	}
	for name := range m.compiled.ExportedMemories() {
		m.Exports = append(m.Exports, name+" (memory)")
	}
	slices.Sort(m.Exports)
	for name, spec := range exports {
		f, ok := fns[name]
		if !ok {
			if spec.required {
				return reject("does not export %s, which every task must (guest/ABI.md)", name)
			}
			continue
		}
		if !sameTypes(f.ParamTypes(), spec.params) || !sameTypes(f.ResultTypes(), spec.results) {
			return reject("exports %s with signature %s, want %s", name, sig(f.ParamTypes(), f.ResultTypes()), sig(spec.params, spec.results))
		}
	}
	if _, ok := m.compiled.ExportedMemories()["memory"]; !ok {
		return reject(`does not export its memory as "memory"`)
	}
	return nil
}

// Close releases the compiled module.
func (m *Module) Close(ctx context.Context) error { return m.compiled.Close(ctx) }

// logWriter sends whole lines written by the guest to the log side channel.
type logWriter struct {
	log  func(string)
	line []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' || len(w.line) >= 4096 {
			if w.log != nil {
				w.log(string(w.line))
			}
			w.line = w.line[:0]
			if c == '\n' {
				continue
			}
		}
		w.line = append(w.line, c)
	}
	return len(p), nil
}

// flush sends a partial last line.
func (w *logWriter) flush() {
	if len(w.line) > 0 && w.log != nil {
		w.log(string(w.line))
	}
	w.line = w.line[:0]
}

var _ io.Writer = (*logWriter)(nil)

// guestLog passes what the guest says (its log lines, stdout and stderr) to the node's
// log, and keeps the last lines of the call under way, so that an error can say what the
// guest said before it failed: its own error, a Go panic and its stack. It is outside
// consensus: nothing of it reaches a root or the guest.
type guestLog struct {
	out   func(string)
	lines []string
	bytes int
}

const (
	tailLines    = 16
	tailBytes    = 4 << 10
	tailLineSize = 1 << 10
)

func (g *guestLog) add(line string) {
	if g.out != nil {
		g.out(line)
	}
	if len(line) > tailLineSize {
		line = line[:tailLineSize] + "..."
	}
	g.lines = append(g.lines, line)
	g.bytes += len(line)
	for len(g.lines) > 1 && (len(g.lines) > tailLines || g.bytes > tailBytes) {
		g.bytes -= len(g.lines[0])
		g.lines = g.lines[1:]
	}
}

func (g *guestLog) reset() { g.lines, g.bytes = nil, 0 }

// said is what the guest said during the call, for an error message ("" if nothing).
func (g *guestLog) said() string {
	if len(g.lines) == 0 {
		return ""
	}
	return "\nthe guest said:\n    " + strings.Join(g.lines, "\n    ")
}
