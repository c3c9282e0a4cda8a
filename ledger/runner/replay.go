package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/runtime"
)

// ErrMismatch is wrapped when a recomputed step does not reach its committed root.
var ErrMismatch = errors.New("recomputed root differs from the committed one")

// Replayer recomputes the steps of one run.
type Replayer struct {
	led    *ledger.Ledger
	meta   ledger.RunMeta
	recs   map[uint64]ledger.StepRecord // by step
	last   uint64                       // the last committed step
	inputs []host.Input
	rt     *runtime.Runtime
	mod    *runtime.Module
	hook   func(*host.Session)
}

// OnSession calls f with the host session of every instance the Replayer starts, before
// init: for verifiers that watch operator calls (host.Session.SetOpHook).
func (r *Replayer) OnSession(f func(*host.Session)) { r.hook = f }

// OpenReplay prepares the recomputation of run's steps with cfg (its Fuel is the run's; an
// empty Engine means the run's own).
func OpenReplay(ctx context.Context, led *ledger.Ledger, run string, cfg runtime.Config) (*Replayer, error) {
	meta, err := led.Run(run)
	if err != nil {
		return nil, err
	}
	wasm, err := led.Module(meta)
	if err != nil {
		return nil, err
	}
	inputs, err := led.Inputs(meta)
	if err != nil {
		return nil, err
	}
	recs, err := records(led, run)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("run %s has no committed steps", run)
	}
	last := uint64(0)
	for s := range recs {
		last = max(last, s)
	}
	if cfg.Engine == "" {
		cfg.Engine = runtime.Engine(meta.Engine)
	}
	cfg.Fuel = meta.Fuel
	rt, err := runtime.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	mod, err := rt.Load(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return &Replayer{led: led, meta: meta, recs: recs, last: last, inputs: inputs, rt: rt, mod: mod}, nil
}

// Close releases the runtime.
func (r *Replayer) Close(ctx context.Context) error { return r.rt.Close(ctx) }

// Run is the run's metadata.
func (r *Replayer) Run() ledger.RunMeta { return r.meta }

// Module is the run's admitted module, and Inputs its inputs: what a referee re-runs a
// step's guest code with.
func (r *Replayer) Module() *runtime.Module { return r.mod }

// Inputs are the run's inputs.
func (r *Replayer) Inputs() []host.Input { return r.inputs }

// Committed is the number of the run's last committed step.
func (r *Replayer) Committed() uint64 { return r.last }

// Record returns the signed record of step s, if the run committed a root for it (it may
// commit one only every K steps).
func (r *Replayer) Record(s uint64) (ledger.StepRecord, bool) {
	rec, ok := r.recs[s]
	return rec, ok
}

// Step recomputes step s (0 is init) in a fresh instance: init, then the nearest stored
// checkpoint before s restored, then the steps up to s run, each that has a committed root
// checked against it (step s's root is computed whether or not the run committed one). With trace, it returns step s's trace, ending with the entry that binds
// it to the root. It returns how many steps it ran besides init.
func (r *Replayer) Step(ctx context.Context, s uint64, trace bool) (*host.Checkpoint, *host.Trace, uint64, error) {
	var cp *host.Checkpoint
	var tr *host.Trace
	ran, err := r.recompute(ctx, s, s, trace, func(c *host.Checkpoint, t *host.Trace) { cp, tr = c, t })
	return cp, tr, ran, err
}

// Range recomputes steps a to b in one pass, from the nearest stored checkpoint before a,
// checking every committed root; it returns how many steps it ran besides init.
func (r *Replayer) Range(ctx context.Context, a, b uint64) (uint64, error) {
	if a > b {
		return 0, fmt.Errorf("empty range of steps %d-%d", a, b)
	}
	return r.recompute(ctx, a, b, false, nil)
}

// recompute runs steps up to b in a fresh instance, from the nearest stored checkpoint
// before a, checking each root; each gets the checkpoints of steps a to b, with the
// trace of step b if trace.
func (r *Replayer) recompute(ctx context.Context, a, b uint64, trace bool, each func(*host.Checkpoint, *host.Trace)) (uint64, error) {
	if b > r.last {
		return 0, fmt.Errorf("run %s has no committed step %d (its last is %d)", r.meta.ID, b, r.last)
	}
	task, err := r.mod.Instantiate(ctx, r.meta.Seed, r.inputs)
	if err != nil {
		return 0, err
	}
	defer task.Close(ctx)
	sess := task.Session()
	if r.hook != nil {
		r.hook(sess)
	}
	give := func(cp *host.Checkpoint) error {
		if err := r.check(cp); err != nil {
			return err
		}
		if each == nil || cp.Step < a {
			return nil
		}
		var tr *host.Trace
		if trace && cp.Step == b {
			if tr, err = sess.StepTrace(cp); err != nil {
				return err
			}
		}
		each(cp, tr)
		return nil
	}
	if err := task.SetStepExport(r.meta.Call); err != nil {
		return 0, err
	}
	sess.SetTracing(trace && b == 0 && r.meta.From == "")
	cp, err := task.Init(ctx)
	if err != nil {
		return 0, fmt.Errorf("init: %w", err)
	}
	if r.meta.From != "" { // step 0 is a state restored after init, not init's own
		if cp, err = r.led.Checkpoint(r.recs[0].Root); err != nil {
			return 0, fmt.Errorf("the state run %s continues: %w", r.meta.ID, err)
		}
		if err := task.Restore(ctx, cp); err != nil {
			return 0, fmt.Errorf("restoring the state the run continues: %w", err)
		}
	}
	if err := give(cp); err != nil {
		return 0, err
	}
	from := uint64(1)
	if a > 0 {
		if c, ok := r.nearestCheckpoint(a - 1); ok && c > 0 {
			stored, err := r.led.Checkpoint(r.recs[c].Root)
			if err != nil {
				return 0, err
			}
			if err := task.Restore(ctx, stored); err != nil {
				return 0, fmt.Errorf("restoring the checkpoint of step %d: %w", c, err)
			}
			from = c + 1
		}
	}
	for k := from; k <= b; k++ {
		if err := ctx.Err(); err != nil {
			return k - from, err
		}
		sess.SetTracing(trace && k == b)
		if _, committed := r.recs[k]; !committed && k != b {
			if err := task.Advance(ctx, k); err != nil {
				return k - from, fmt.Errorf("step %d: %w", k, err)
			}
			continue
		}
		if cp, err = task.Step(ctx, k); err != nil {
			return k - from, fmt.Errorf("step %d: %w", k, err)
		}
		if err := give(cp); err != nil {
			if errors.Is(err, ErrMismatch) && from > 1 {
				err = fmt.Errorf("%w (re-executed from the stored checkpoint of step %d: if re-executing from init agrees with the ledger, the task keeps state outside its checkpoints, which lockstep run --check-restore shows)", err, from-1)
			}
			return k - from, err
		}
	}
	return b + 1 - from, nil
}

// nearestCheckpoint is the last step at or before s whose full checkpoint is stored.
func (r *Replayer) nearestCheckpoint(s uint64) (uint64, bool) {
	for c := int64(s); c >= 0; c-- {
		if r.recs[uint64(c)].Checkpoint {
			return uint64(c), true
		}
	}
	return 0, false
}

// check compares a recomputed root with the committed one, where the run committed one.
func (r *Replayer) check(cp *host.Checkpoint) error {
	rec, ok := r.recs[cp.Step]
	if ok && cp.Root != rec.Root {
		return fmt.Errorf("%w: step %d recomputed to %x, the ledger committed %x", ErrMismatch, cp.Step, cp.Root[:8], rec.Root[:8])
	}
	return nil
}
