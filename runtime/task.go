package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/lockstep-ml/lockstep/host"
)

// Task is one running instance of a module: a sandboxed guest with its host session.
// Calls run one at a time. After a trap, fuel exhaustion or a failed call the instance is
// unusable; a fresh one restored from the last checkpoint continues.
type Task struct {
	mod     api.Module
	session *host.Session
	wasi    *wasiSource
	step    uint64 // the last step run or restored (eval runs at it)
	fuel    api.MutableGlobal
	stack   api.MutableGlobal // stack bytes in use (meter.go)
	budget  uint64
	owed    uint64 // fuel the next call pays first: the memory the module declares
	seed    uint64
	module  *Module
	inputs  []host.Input
	// memLimitPages is the guest memory limit, for error messages.
	memLimitPages uint32
	glog          *guestLog
	out           *logWriter
	dead          error
	stepExport    string // the export Advance calls: lockstep_step unless SetStepExport
	// FuelUsed is the fuel the last export call consumed (deterministic).
	FuelUsed uint64
}

// Instantiate starts a task instance with the given seed and inputs: it runs the guest's
// _initialize (if any) and checks its ABI version. It does not call lockstep_init.
func (m *Module) Instantiate(ctx context.Context, seed uint64, inputs []host.Input) (*Task, error) {
	return m.instantiate(ctx, seed, inputs, m.rt.cfg.Log)
}

// instantiate starts an instance whose guest log lines go to log (nil: kept only for
// quoting in errors).
func (m *Module) instantiate(ctx context.Context, seed uint64, inputs []host.Input, log func(string)) (*Task, error) {
	rt := m.rt
	glog := &guestLog{out: log}
	session := host.NewSession(rt.cfg.Limits, inputs, glog.add)
	out := &logWriter{log: glog.add}
	wasi := newWASISource(seed)
	cfg := wazero.NewModuleConfig().
		WithName("").         // anonymous: many tasks may share a runtime
		WithStartFunctions(). // _initialize runs below, metered
		WithRandSource(wasi).
		WithWalltime(wasi.walltime, 1000).
		WithNanotime(wasi.nanotime, 1000).
		WithNanosleep(wasi.nanosleep).
		WithStdout(out).WithStderr(out).
		WithArgs("task")
	mod, err := m.r.InstantiateModule(host.WithSession(ctx, session), m.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: instantiating: %v", ErrAdmission, err)
	}
	g, ok1 := mod.ExportedGlobal(FuelExport).(api.MutableGlobal)
	st, ok2 := mod.ExportedGlobal(StackExport).(api.MutableGlobal)
	if !ok1 || !ok2 {
		mod.Close(ctx)
		return nil, fmt.Errorf("BUG: metered module lacks its fuel or stack global")
	}
	t := &Task{mod: mod, session: session, wasi: wasi, fuel: g, stack: st, budget: rt.cfg.Fuel, seed: seed, module: m, inputs: inputs, memLimitPages: rt.cfg.MemoryLimitPages, glog: glog, out: out}
	session.SetFuel(globalFuel{g})
	if mem := mod.Memory(); mem != nil {
		// The memory a module declares is paid for by the first call (meter.go).
		t.owed = uint64(mem.Size()/65536) << initialPageShift
	}
	if mod.ExportedFunction("_initialize") != nil {
		if _, err := t.call(ctx, "_initialize", 0); err != nil {
			t.Close(ctx)
			return nil, err
		}
	}
	res, err := t.call(ctx, "lockstep_abi_version", 0)
	if err != nil {
		t.Close(ctx)
		return nil, err
	}
	if v := int32(res[0]); v != ABIVersion {
		t.Close(ctx)
		return nil, fmt.Errorf("%w: the module speaks ABI version %d, this runtime version %d", ErrABIVersion, v, ABIVersion)
	}
	return t, nil
}

// globalFuel charges host work to the guest's own fuel counter, by the meter's rule: a
// payment of at least what is left empties the budget and fails.
type globalFuel struct{ g api.MutableGlobal }

func (f globalFuel) Charge(units uint64) bool {
	left := f.g.Get()
	if units >= left {
		f.g.Set(0)
		return false
	}
	f.g.Set(left - units)
	return true
}

// Session returns the task's host session (its tensors, trace and state).
func (t *Task) Session() *host.Session { return t.session }

// call runs an export on a fresh fuel budget and classifies failures. What the guest
// reads through WASI restarts as a function of (seed, name, step).
func (t *Task) call(ctx context.Context, name string, step uint64, args ...uint64) ([]uint64, error) {
	if t.dead != nil {
		return nil, fmt.Errorf("%w: %v", ErrTaskDead, t.dead)
	}
	fn := t.mod.ExportedFunction(name)
	if fn == nil {
		return nil, fmt.Errorf("%w: the module does not export %s", ErrTaskFailed, name)
	}
	t.wasi.restart(name, step)
	t.glog.reset()
	t.fuel.Set(t.budget)
	t.stack.Set(0)
	var res []uint64
	var err error
	if owed := t.owed; owed > 0 {
		t.owed = 0
		if !(globalFuel{t.fuel}).Charge(owed) {
			err = fmt.Errorf("the module's initial memory costs %d units", owed)
		}
	}
	if err == nil {
		res, err = fn.Call(host.WithSession(ctx, t.session), args...)
	}
	left := t.fuel.Get()
	t.FuelUsed = t.budget - left
	t.out.flush()
	if err != nil {
		var exit *sys.ExitError
		switch {
		case left == 0: // the meter and the host empty the budget when a payment fails
			err = fmt.Errorf("%w: %s used all %d units of fuel (an infinite loop, or too much work for one call)", ErrFuelExhausted, name, t.budget)
		case t.stack.Get() == stackTrapMark:
			err = fmt.Errorf("%w: %s: calls nested deeper than the stack limit (%d frames, or %d bytes of frames)", ErrTrap, name, MaxCallDepth, MaxStackBytes)
		case errors.As(err, &exit):
			err = fmt.Errorf("%w: %s exited with code %d", ErrTrap, name, exit.ExitCode())
		default:
			err = fmt.Errorf("%w: %s: %v%s", ErrTrap, name, err, t.memoryNote())
		}
		if said := t.glog.said(); said != "" {
			err = fmt.Errorf("%w%s", err, said)
		}
		t.dead = err
		return nil, err
	}
	return res, nil
}

// memoryNote states the guest's memory against its limit, which explains many traps.
func (t *Task) memoryNote() string {
	mem := t.mod.Memory()
	if mem == nil {
		return ""
	}
	return fmt.Sprintf(" (guest memory %d MiB of its %d MiB limit)", mem.Size()>>20, uint64(t.memLimitPages)*65536>>20)
}

// callStatus runs an export that returns a status; a non-zero status is an error carrying
// the host's last error message.
func (t *Task) callStatus(ctx context.Context, name string, step uint64, args ...uint64) error {
	res, err := t.call(ctx, name, step, args...)
	if err != nil {
		return err
	}
	if st := int32(res[0]); st != 0 {
		why := "; the guest said nothing and no host call failed"
		if msg := t.session.LastError(); msg != "" {
			why = "; last host error: " + msg + t.glog.said()
		} else if said := t.glog.said(); said != "" {
			why = said
		}
		err := fmt.Errorf("%w: %s returned status %d%s", ErrTaskFailed, name, st, why)
		t.dead = err
		return err
	}
	return nil
}

// Init calls lockstep_init(seed) and returns the checkpoint of step 0.
func (t *Task) Init(ctx context.Context) (*host.Checkpoint, error) {
	t.session.BeginStep(0)
	if err := t.callStatus(ctx, "lockstep_init", 0, t.seed); err != nil {
		return nil, err
	}
	return t.session.Checkpoint(), nil
}

// Step runs lockstep_step(step) (steps count from 1) and returns the step's checkpoint.
func (t *Task) Step(ctx context.Context, step uint64) (*host.Checkpoint, error) {
	if err := t.Advance(ctx, step); err != nil {
		return nil, err
	}
	return t.session.Checkpoint(), nil
}

// StepExport is the export a step calls unless SetStepExport names another.
const StepExport = "lockstep_step"

// SetStepExport makes this instance's steps call the export name (one of the optional
// exports with lockstep_step's signature, such as lockstep_rl_generate) instead of
// lockstep_step. A run records it (ledger.RunMeta.Call) so that a replay calls the same.
func (t *Task) SetStepExport(name string) error {
	if name == "" {
		name = StepExport
	}
	if err := t.module.HasStepExport(name); err != nil {
		return err
	}
	t.stepExport = name
	return nil
}

// HasStepExport reports (as an error naming what is wrong) whether the module exports
// name with lockstep_step's signature, (i64) -> i32.
func (m *Module) HasStepExport(name string) error {
	fn, ok := m.compiled.ExportedFunctions()[name]
	if !ok {
		return fmt.Errorf("%w: the module does not export %s", ErrTaskFailed, name)
	}
	if p, r := fn.ParamTypes(), fn.ResultTypes(); len(p) != 1 || p[0] != api.ValueTypeI64 || len(r) != 1 || r[0] != api.ValueTypeI32 {
		return fmt.Errorf("%w: the module's %s is not (i64) -> i32", ErrTaskFailed, name)
	}
	return nil
}

// Advance runs the step export (lockstep_step unless SetStepExport) without computing
// the step's root: for the steps between committed ones (a run that commits a root every
// K steps). Session().Checkpoint() gives the root afterwards if it is wanted after all.
func (t *Task) Advance(ctx context.Context, step uint64) error {
	if step == 0 {
		return fmt.Errorf("steps count from 1; step 0 is init")
	}
	name := t.stepExport
	if name == "" {
		name = StepExport
	}
	t.session.BeginStep(step)
	if err := t.callStatus(ctx, name, step, step); err != nil {
		return err
	}
	t.step = step
	return nil
}

// Restore loads a checkpoint into a task that has run Init: the registered state takes
// the checkpoint's tensors and blob, then lockstep_restore runs if the guest exports it.
// The task then continues from the checkpoint's step.
func (t *Task) Restore(ctx context.Context, cp *host.Checkpoint) error {
	if !cp.Verify() {
		return fmt.Errorf("%w: checkpoint of step %d does not match its root", host.ErrState, cp.Step)
	}
	if err := t.session.Restore(cp); err != nil {
		return err
	}
	t.step = cp.Step
	if t.mod.ExportedFunction("lockstep_restore") != nil {
		return t.callStatus(ctx, "lockstep_restore", cp.Step)
	}
	return nil
}

// CheckRestore checks that the step cp is the checkpoint of depends on nothing but the
// checkpoint prev before it, which is what a step means (and what a verifier replays): a
// fresh instance of the same module, seed and inputs, initialised and restored from prev,
// must run the step to cp's root. A task that keeps state outside its checkpoint (a Go
// variable where a Counter belongs, a tensor kept but never registered) fails it. It costs
// an instantiation, an init and a step; the fresh instance's log lines are not shown.
func (t *Task) CheckRestore(ctx context.Context, prev, cp *host.Checkpoint) error {
	if cp.Step != prev.Step+1 {
		return fmt.Errorf("BUG: restore check of step %d from the checkpoint of step %d", cp.Step, prev.Step)
	}
	fresh, err := t.module.instantiate(ctx, t.seed, t.inputs, nil)
	if err != nil {
		return fmt.Errorf("%w: step %d: instantiating a fresh instance: %w", ErrNotRestorable, cp.Step, err)
	}
	defer fresh.Close(ctx)
	fresh.stepExport = t.stepExport
	if _, err := fresh.Init(ctx); err != nil {
		return fmt.Errorf("%w: step %d: init of a fresh instance: %w", ErrNotRestorable, cp.Step, err)
	}
	if err := fresh.Restore(ctx, prev); err != nil {
		return fmt.Errorf("%w: step %d: restoring the checkpoint of step %d into a fresh instance: %w", ErrNotRestorable, cp.Step, prev.Step, err)
	}
	got, err := fresh.Step(ctx, cp.Step)
	if err != nil {
		return fmt.Errorf("%w: step %d: a fresh instance restored from the checkpoint of step %d failed it: %w", ErrNotRestorable, cp.Step, prev.Step, err)
	}
	if got.Root != cp.Root {
		return fmt.Errorf("%w: step %d computes root %x here, but %x in a fresh instance restored from the checkpoint of step %d: the task keeps state outside its checkpoint (a Go variable instead of guest.Counter, an RNG advanced across steps, a tensor kept but not registered with Param or State), so a verifier cannot replay it",
			ErrNotRestorable, cp.Step, cp.Root[:8], got.Root[:8], prev.Step)
	}
	return nil
}

// Eval runs lockstep_eval, if exported; the guest reports results as metrics.
func (t *Task) Eval(ctx context.Context) error {
	if t.mod.ExportedFunction("lockstep_eval") == nil {
		return nil
	}
	t.session.BeginStep(host.EvalStep)
	return t.callStatus(ctx, "lockstep_eval", t.step)
}

// Close releases the instance.
func (t *Task) Close(ctx context.Context) error { return t.mod.Close(ctx) }

// Output is what the guest handed the host with the output host function during its last
// export call (an RL task's scores), or nil.
func (t *Task) Output() []byte { return t.session.Output() }
