package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/runtime"
)

// errInterrupted is wrapped by a run stopped by a signal; the command exits 130 for it.
var errInterrupted = errors.New("interrupted")

type runFlags struct {
	steps    uint64
	seed     uint64
	inputs   []string
	engine   string
	dataDir  string
	json     bool
	fuel     uint64
	resume   string
	every    uint64
	commit   uint64
	keepLast uint64
	noLedger bool
	checkRes uint64
}

func runCmd() *cobra.Command {
	f := runFlags{steps: 100, seed: 1}
	cmd := &cobra.Command{
		Use:   "run TASK.wasm | run --resume RUN",
		Short: "Run a task module in the sandbox, committing each step to the ledger",
		Long: `Run a task module: init, then --steps training steps, each ending in a checkpoint
root that any other machine running the same module, seed and inputs reproduces bit for bit.
Every step is committed (signed and synced) to the ledger in the data directory, with full
checkpoints every --checkpoint-every steps; --resume RUN continues a run from its last
committed step.`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.resume != "" && len(args) > 0:
				return fmt.Errorf("--resume takes the module from the ledger: drop %s", strings.Join(args, " "))
			case f.resume == "" && len(args) == 0:
				return fmt.Errorf("which task? lockstep run TASK.wasm [--input FILE] (or lockstep run --resume RUN)")
			case len(args) > 1:
				return fmt.Errorf("one task module at a time, not %d (%s)", len(args), strings.Join(args, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			if f.resume != "" {
				// What the run's roots depend on comes from the ledger; a flag that would
				// change it cannot apply to a resumed run.
				for _, name := range []string{"seed", "input", "fuel", "commit-every", "no-ledger"} {
					if cmd.Flags().Changed(name) {
						if name == "no-ledger" {
							return fmt.Errorf("--no-ledger cannot apply to a resumed run: its steps go on in the ledger")
						}
						return fmt.Errorf("--%s cannot apply to a resumed run: it is fixed when the run is created (start a new run to change it)", name)
					}
				}
			}
			reported := false
			err := runTask(cmd.Context(), cmd.OutOrStdout(), path, f, cmd.Flags().Changed("steps"), cmd.Flags().Changed("checkpoint-every"), &reported)
			if err != nil && f.json && !reported { // it failed before it ran a step
				json.NewEncoder(cmd.OutOrStdout()).Encode(runReport{Event: "error", Run: f.resume, Error: err.Error()})
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&f.steps, "steps", f.steps, "training steps to run")
	fl.Uint64Var(&f.seed, "seed", f.seed, "task seed")
	fl.StringArrayVar(&f.inputs, "input", nil, "data input as FILE or NAME=FILE (repeatable); the task reads it by NAME (default: the file's base name)")
	fl.StringVar(&f.engine, "engine", "", "wazero engine: compiler or interpreter (default: compiler where supported)")
	fl.StringVar(&f.dataDir, "data-dir", "", "node data directory: key, ledger, compiled-module cache (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	fl.BoolVar(&f.json, "json", false, "print JSON lines instead of progress: one per step once it is committed, then one that ends the run (\"done\" or \"error\")")
	fl.Uint64Var(&f.fuel, "fuel", runtime.DefaultConfig().Fuel, "fuel budget per guest call (function entries plus loop iterations); a step that uses it all fails")
	fl.StringVar(&f.resume, "resume", "", "continue run RUN from its last committed step (module and inputs come from the ledger)")
	fl.Uint64Var(&f.every, "checkpoint-every", 10, "store a full checkpoint every N steps (a multiple of --commit-every)")
	fl.Uint64Var(&f.commit, "commit-every", 1, "commit a state root every K steps (and of the last), for models too big to hash every step")
	fl.Uint64Var(&f.keepLast, "keep-last", 0, "also keep full checkpoints of the last N steps (costs a checkpoint write per step)")
	fl.BoolVar(&f.noLedger, "no-ledger", false, "do not commit to the ledger")
	fl.Uint64Var(&f.checkRes, "check-restore", 0, "check every N-th step (and steps 1, 2 and the last) is a function of the checkpoint before it: a fresh instance restored from that checkpoint must reach the same root; each check costs an init and a step (0: off)")
	return cmd
}

// dataDir is the node's data directory: the flag, else $LOCKSTEP_DATA_DIR, else
// ~/.lockstep. It holds the node key, the ledger and the compiled-module cache.
func dataDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv("LOCKSTEP_DATA_DIR"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".lockstep")
	}
	return ""
}

func readInputs(specs []string) ([]host.Input, error) {
	var inputs []host.Input
	seen := map[string]bool{}
	for _, spec := range specs {
		name, path, ok := strings.Cut(spec, "=")
		if !ok {
			name, path = filepath.Base(spec), spec
		}
		if name == "" || seen[name] {
			return nil, fmt.Errorf("--input %q: input names must be non-empty and distinct", spec)
		}
		seen[name] = true
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--input %q: %w", spec, err)
		}
		inputs = append(inputs, host.NewInput(name, data))
	}
	return inputs, nil
}

// guestLine shows a line the guest logged or printed (outside consensus) on stderr.
func guestLine(line string) { fmt.Fprintf(os.Stderr, "guest: %s\n", line) }

// openModule starts a runtime and admits wasm (from path, for messages); cacheDir ""
// means no compiled-module cache.
func openModule(ctx context.Context, wasm []byte, path, engine, cacheDir string, fuel uint64) (*runtime.Runtime, *runtime.Module, error) {
	cfg := runtime.Config{Engine: runtime.Engine(engine), CacheDir: cacheDir, Fuel: fuel, Log: guestLine}
	if cacheDir != "" {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("data dir: %w", err)
		}
	}
	rt, err := runtime.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	m, err := rt.Load(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.EngineNote != "" {
		fmt.Fprintf(os.Stderr, "lockstep: %s %s\n", path, m.EngineNote)
	}
	return rt, m, nil
}

// With --json, lockstep run prints JSON lines: an object per step once it is committed
// ("event": "step"), then one that ends the run ("done" or "error").
type stepReport struct {
	Event     string             `json:"event"` // "step"
	Step      uint64             `json:"step"`
	Committed bool               `json:"committed"` // synced to the ledger (false: --no-ledger)
	Root      string             `json:"root"`
	Ops       int                `json:"ops"`
	Fuel      uint64             `json:"fuel"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
}

type runReport struct {
	Event     string             `json:"event"` // "done" or "error"
	Run       string             `json:"run,omitempty"`
	Module    string             `json:"module"`
	Engine    string             `json:"engine"`
	Seed      uint64             `json:"seed"`
	Inputs    map[string]string  `json:"inputs,omitempty"`
	Steps     uint64             `json:"steps"`
	FinalRoot string             `json:"final_root"`
	Roots     []stepReport       `json:"roots,omitempty"` // not printed: each step has its line
	Eval      map[string]float64 `json:"eval,omitempty"`
	Seconds   float64            `json:"seconds"`
	Checked   int                `json:"restore_checks,omitempty"` // restore checks passed
	Error     string             `json:"error,omitempty"`          // why the run stopped early
}

func copyMetrics(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]float64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// runTask runs or resumes a task. With --json, a failure ends the output with an error
// line; *reported says whether runTask printed it.
func runTask(ctx context.Context, w io.Writer, path string, f runFlags, stepsSet, everySet bool, reported *bool) error {
	if f.steps == 0 {
		return fmt.Errorf("--steps must be at least 1")
	}
	if f.every == 0 || f.commit == 0 {
		return fmt.Errorf("--checkpoint-every and --commit-every must be at least 1")
	}
	if f.every%f.commit != 0 && f.resume == "" {
		return fmt.Errorf("--checkpoint-every %d must be a multiple of --commit-every %d: checkpoints are stored only with committed roots", f.every, f.commit)
	}
	dir := dataDir(f.dataDir)
	var wasm []byte
	var inputs []host.Input
	var err error
	if f.resume == "" { // read the task first: a missing file should not touch the data dir
		if inputs, err = readInputs(f.inputs); err != nil {
			return err
		}
		if wasm, err = os.ReadFile(path); err != nil {
			return err
		}
	}
	var led *ledger.Ledger
	if !f.noLedger || f.resume != "" {
		if dir == "" {
			return fmt.Errorf("no data directory: pass --data-dir or --no-ledger")
		}
		o := ledger.DefaultOptions()
		o.Existing = f.resume != "" // a run to resume is in an existing ledger
		if led, err = ledger.Open(dir, o); err != nil {
			return err
		}
		defer led.Close()
		// While this process holds the ledger, ledger runs and show ask it.
		if stop, err := led.ServeReads(filepath.Join(dir, ledger.SocketFile)); err == nil {
			defer stop()
		} else {
			fmt.Fprintf(os.Stderr, "lockstep: ledger runs and show cannot ask this process while it runs: %v\n", err)
		}
	}
	var meta ledger.RunMeta
	if f.resume != "" {
		if meta, err = led.Run(f.resume); err != nil {
			return err
		}
		if me := led.Address().Hex(); !strings.EqualFold(meta.Node, me) {
			return fmt.Errorf("run %s was started by node %s, and every step of a run is signed by the node that started it; this node is %s, so it cannot continue it (verify it with lockstep verify %s, or start a run of its own)", meta.ID, meta.Node, me, meta.ID)
		}
		if wasm, err = led.Module(meta); err != nil {
			return err
		}
		if inputs, err = led.Inputs(meta); err != nil {
			return err
		}
		f.seed, f.commit = meta.Seed, max(meta.CommitEvery, 1)
		if !everySet { // a checkpoint policy of this node's, so it may change
			f.every = meta.Every
		} else if f.every%f.commit != 0 {
			return fmt.Errorf("--checkpoint-every %d must be a multiple of the run's --commit-every %d", f.every, f.commit)
		}
		if !stepsSet {
			f.steps = meta.Steps
		} else if f.steps > meta.Steps { // extending the run: it now aims at f.steps
			if err := led.SetRunSteps(meta.ID, f.steps); err != nil {
				return err
			}
		}
		if f.engine == "" {
			f.engine = meta.Engine
		}
		f.fuel = meta.Fuel
	}
	cache := ""
	if dir != "" {
		cache = filepath.Join(dir, "wasm-cache")
	}
	rt, m, err := openModule(ctx, wasm, path, f.engine, cache, f.fuel)
	if err != nil {
		if ctx.Err() != nil { // a signal while the module compiled
			return fmt.Errorf("%w before step 1: nothing was run or committed", errInterrupted)
		}
		return err
	}
	defer rt.Close(ctx)
	task, err := m.Instantiate(ctx, f.seed, inputs)
	if err != nil {
		return err
	}
	defer task.Close(ctx)
	// A new run is created once its init has succeeded, so that a task that cannot start
	// (a wrong --input, say) leaves no run behind; a crash between creating it and
	// committing step 0 leaves one that --resume starts from init.
	var initial *host.Checkpoint
	if f.resume == "" {
		if initial, err = task.Init(ctx); err != nil {
			return err
		}
		if led != nil {
			meta, err = led.CreateRun(ledger.RunMeta{Seed: f.seed, Engine: string(m.Engine), Fuel: f.fuel, Every: f.every, CommitEvery: f.commit, Steps: f.steps, Created: time.Now()}, wasm, inputs)
			if err != nil {
				return err
			}
		}
	}
	rep := runReport{Run: meta.ID, Module: m.HashHex(), Engine: string(m.Engine), Seed: f.seed, Steps: f.steps, Inputs: map[string]string{}}
	for _, in := range inputs {
		rep.Inputs[in.Name] = hex.EncodeToString(in.Hash[:])
	}
	prog := newProgress(w, f.steps, f.json)
	prog.ledger = led != nil
	enc := json.NewEncoder(w)
	// A step's report is made when it is run and printed when it is committed.
	pending := map[uint64]stepReport{}
	var emitted uint64 // the last step printed
	report := func(cp *host.Checkpoint) stepReport {
		return stepReport{Event: "step", Step: cp.Step, Root: hex.EncodeToString(cp.Root[:]),
			Ops: task.Session().TraceLen(), Fuel: task.FuelUsed, Metrics: copyMetrics(task.Session().Metrics())}
	}
	emit := func(sr stepReport) {
		emitted = sr.Step
		if sr.Committed {
			prog.committed = sr.Step
		}
		if f.json {
			enc.Encode(sr)
		}
	}
	committed := func(cps []*host.Checkpoint) {
		for _, cp := range cps {
			sr, ok := pending[cp.Step]
			if !ok { // the step just run, committed before record saw it
				sr = report(cp)
			}
			delete(pending, cp.Step)
			sr.Committed = true
			emit(sr)
		}
	}
	record := func(cp *host.Checkpoint) {
		switch {
		case led == nil:
			emit(report(cp))
		case cp.Step > emitted || emitted == 0 && cp.Step == 0:
			pending[cp.Step] = report(cp)
		}
	}
	run := runner.New(led, meta, task, runner.Options{CheckpointEvery: f.every, KeepLast: f.keepLast, CommitEvery: f.commit, CheckRestore: f.checkRes, Committed: committed})
	if path == "" {
		path = "from run " + meta.ID + " in the ledger"
	}
	prog.header(path, rep)
	var cp *host.Checkpoint
	first := uint64(1)
	if f.resume != "" {
		var restored uint64
		if restored, first, cp, err = run.Resume(ctx); err != nil {
			return err
		}
		if first > f.steps {
			last := first - 1
			switch {
			case f.steps < last:
				return fmt.Errorf("run %s has committed steps up to %d: --steps %d is below them", meta.ID, last, f.steps)
			case last < meta.Steps:
				return fmt.Errorf("run %s is at step %d of the %d it aims at: resume it without --steps to go on", meta.ID, last, meta.Steps)
			}
			if f.json {
				rep.Event, rep.FinalRoot = "done", hex.EncodeToString(cp.Root[:])
				return enc.Encode(rep)
			}
			fmt.Fprintf(w, "run %s is complete: it reached step %d (pass --steps N, more than %d, to continue it)\n", meta.ID, last, last)
			return nil
		}
		switch {
		case f.json:
		case first-1 > restored:
			fmt.Fprintf(w, "resumed run %s: checkpoint of step %d restored, steps %d-%d recomputed to their committed roots\n", meta.ID, restored, restored+1, first-1)
		default:
			fmt.Fprintf(w, "resumed run %s from step %d\n", meta.ID, restored)
		}
	} else {
		cp = initial
		record(cp)
		if err := run.Commit(cp, false); err != nil {
			return err
		}
	}
	// With --json, a run that stops early ends with an error line, after the lines of the
	// steps it committed.
	var start time.Time
	stopped := func(err error) error {
		rep.Checked = run.Checked()
		if !start.IsZero() {
			rep.Seconds = time.Since(start).Seconds()
		}
		if f.json {
			rep.Event, rep.Error = "error", err.Error()
			if emitted > 0 || led == nil && cp != nil {
				rep.FinalRoot = hex.EncodeToString(cp.Root[:]) // the last step run
			}
			enc.Encode(rep)
			*reported = true
		}
		return err
	}
	start = time.Now()
	for s := first; s <= f.steps; s++ {
		if err := ctx.Err(); err != nil {
			prog.done()
			if led != nil && s > first {
				_ = run.Interrupt()
			}
			if meta.ID == "" {
				return stopped(fmt.Errorf("%w after step %d", errInterrupted, s-1))
			}
			return stopped(fmt.Errorf("%w after step %d, which is committed with its checkpoint (resume with: lockstep run --resume %s)", errInterrupted, s-1, meta.ID))
		}
		next, err := run.Step(ctx, s, s == f.steps)
		if err != nil {
			prog.done()
			if led != nil { // keep the steps before the failed one
				if ierr := run.Interrupt(); ierr != nil {
					err = fmt.Errorf("%w (and committing the steps before it: %v)", err, ierr)
				}
			}
			return stopped(err)
		}
		if next != nil { // nil between committed steps (--commit-every)
			cp = next
			record(cp)
		}
		prog.step(s, s-first+1, task.Session().Metrics(), time.Since(start))
	}
	prog.done()
	rep.Seconds = time.Since(start).Seconds()
	rep.FinalRoot = hex.EncodeToString(cp.Root[:])
	if err := task.Eval(ctx); err != nil {
		return stopped(fmt.Errorf("eval: %w", err))
	}
	rep.Eval = copyMetrics(task.Session().Metrics())
	rep.Checked = run.Checked()
	if f.json {
		rep.Event = "done"
		return enc.Encode(rep)
	}
	done := f.steps - first + 1
	fmt.Fprintf(w, "ran %d steps in %.2fs (%.1f steps/s)\n", done, rep.Seconds, float64(done)/rep.Seconds)
	if len(rep.Eval) > 0 {
		fmt.Fprintf(w, "eval: %s\n", formatMetrics(rep.Eval))
	}
	if rep.Checked > 0 {
		fmt.Fprintf(w, "restore checks: %d steps each reproduced by a fresh instance restored from the checkpoint before it\n", rep.Checked)
	}
	fmt.Fprintf(w, "final root %s (step %d)\n", rep.FinalRoot, f.steps)
	if meta.ID != "" {
		fmt.Fprintf(w, "committed to the ledger as run %s (lockstep ledger show %s)\n", meta.ID, meta.ID)
	}
	return nil
}

func formatMetrics(m map[string]float64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.4g", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// progress shows a bar on a terminal and a plain line per step (thinned) otherwise.
type progress struct {
	committed uint64 // the last step committed to the ledger
	ledger    bool   // steps are committed: show the last one
	w         io.Writer
	total     uint64
	tty       bool
	quiet     bool
	lastDraw  time.Time
}

func newProgress(w io.Writer, total uint64, quiet bool) *progress {
	return &progress{w: w, total: total, tty: isTerminal(w), quiet: quiet}
}

func (p *progress) header(path string, rep runReport) {
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "task %s\nmodule %s, engine %s, seed %d\n", path, rep.Module[:16], rep.Engine, rep.Seed)
}

// step shows step s, the done-th run by this process (a resumed run starts past 1).
func (p *progress) step(s, done uint64, metrics map[string]float64, elapsed time.Duration) {
	if p.quiet {
		return
	}
	rate := float64(done) / elapsed.Seconds()
	if p.tty {
		if s != p.total && time.Since(p.lastDraw) < 100*time.Millisecond {
			return
		}
		p.lastDraw = time.Now()
		const width = 30
		filled := int(uint64(width) * s / p.total)
		fmt.Fprintf(p.w, "\r[%s%s] step %d/%d%s  %s  %.1f steps/s\033[K", strings.Repeat("#", filled), strings.Repeat(".", width-filled), s, p.total, p.committedNote(), formatMetrics(metrics), rate)
		return
	}
	every := max(1, p.total/20)
	if s%every == 0 || s == p.total || s == 1 || time.Since(p.lastDraw) >= 10*time.Second { // and at least every 10 s
		p.lastDraw = time.Now()
		fmt.Fprintf(p.w, "step %d/%d%s  %s  %.1f steps/s\n", s, p.total, p.committedNote(), formatMetrics(metrics), rate)
	}
}

// committedNote says which steps are committed (synced to the ledger) so far.
func (p *progress) committedNote() string {
	if !p.ledger {
		return ""
	}
	return fmt.Sprintf(" (committed to %d)", p.committed)
}

func (p *progress) done() {
	if p.tty && !p.quiet {
		fmt.Fprintln(p.w)
	}
}

func inspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect TASK.wasm",
		Short: "Admit a task module and print its ABI version, imports, exports and hash",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			wasm, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			rt, m, err := openModule(ctx, wasm, args[0], string(runtime.EngineInterpreter), "", 0)
			if err != nil {
				return err
			}
			defer rt.Close(ctx)
			task, err := m.Instantiate(ctx, 0, nil)
			if err != nil {
				return err
			}
			task.Close(ctx)
			info := map[string]any{"module": m.HashHex(), "size": m.Size, "admitted": true, "engine": m.Engine, "abi_version": runtime.ABIVersion, "imports": m.Imports, "exports": m.Exports}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintf(w, "module      %s\nsize        %d bytes\nadmitted    yes: within the admission limits, metered, compiled (engine %s)\nabi version %d (checked)\n", m.HashHex(), m.Size, m.Engine, runtime.ABIVersion)
			fmt.Fprintf(w, "imports     %s\nexports     %s\n", strings.Join(m.Imports, "\n            "), strings.Join(m.Exports, "\n            "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
