package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/runtime"
)

// Options say what a Runner stores.
type Options struct {
	CheckpointEvery uint64 // a full checkpoint every this many steps (and of the last)
	KeepLast        uint64 // also keep the full checkpoints of the last this many committed steps
	// CommitEvery: a state root only every this many steps (and of the last), for models
	// whose state is too big to hash every step. CheckpointEvery must be a multiple of it.
	CommitEvery uint64
	// CheckRestore: check restore-safety (runtime.Task.CheckRestore) at steps 1 and 2,
	// every this many steps and the last; 0: never. A step that fails is not committed.
	CheckRestore uint64
	// Committed is called with the checkpoints of each group of steps once they are
	// committed (synced to the ledger), in step order.
	Committed func([]*host.Checkpoint)
}

// Runner runs a task instance and commits its steps to a run in the ledger; with a nil
// ledger it only runs them.
type Runner struct {
	led       *ledger.Ledger
	run       ledger.RunMeta
	task      *runtime.Task
	opts      Options
	commits   int
	pending   []ledger.Pending
	lastFlush time.Time
	advanced  uint64           // the last step run without a root (0: none)
	checked   int              // restore checks passed
	last      *host.Checkpoint // the newest checkpoint committed
	window    []uint64         // the stored steps KeepLast counts, oldest first
}

const (
	gcEvery     = 1000                  // commits between value-log garbage collections
	groupCommit = 20 * time.Millisecond // the longest a step waits to be committed
)

// New returns a Runner of task for run (led may be nil: nothing is committed; task may be
// nil where the caller runs the task and only calls Commit).
func New(led *ledger.Ledger, run ledger.RunMeta, task *runtime.Task, o Options) *Runner {
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 1
	}
	if o.CommitEvery == 0 {
		o.CommitEvery = 1
	}
	return &Runner{led: led, run: run, task: task, opts: o}
}

// Init runs the task's init and commits step 0.
func (r *Runner) Init(ctx context.Context) (*host.Checkpoint, error) {
	if err := r.task.SetStepExport(r.run.Call); err != nil {
		return nil, err
	}
	cp, err := r.task.Init(ctx)
	if err != nil {
		return nil, err
	}
	return cp, r.Commit(cp, false)
}

// Start begins a run that continues the state from (its meta's From is from's root): it
// runs the task's init, restores from rebased to step 0, and commits that as step 0.
func (r *Runner) Start(ctx context.Context, from *host.Checkpoint) (*host.Checkpoint, error) {
	if r.run.From != fmt.Sprintf("%x", from.Root) {
		return nil, fmt.Errorf("BUG: run %s continues %.16s, not %x", r.run.ID, r.run.From, from.Root[:8])
	}
	if err := r.task.SetStepExport(r.run.Call); err != nil {
		return nil, err
	}
	if _, err := r.task.Init(ctx); err != nil {
		return nil, err
	}
	cp := host.Rebase(from, 0)
	if err := r.task.Restore(ctx, cp); err != nil {
		return nil, err
	}
	return cp, r.Commit(cp, false)
}

// Step runs step s and stages its commitment; final commits everything staged, with a
// full checkpoint of s. Between committed steps (CommitEvery) it computes no root and
// returns a nil checkpoint. A step due for a restore check is checked before it is
// committed.
func (r *Runner) Step(ctx context.Context, s uint64, final bool) (*host.Checkpoint, error) {
	var prev *host.Checkpoint
	check := r.checkDue(s, final)
	if check {
		prev = r.task.Session().Checkpoint()
	}
	if s%r.opts.CommitEvery != 0 && !final {
		if err := r.task.Advance(ctx, s); err != nil {
			r.advanced = 0 // the session holds a failed step: nothing of it is to be committed
			return nil, fmt.Errorf("step %d: %w", s, err)
		}
		r.advanced = s
		if check {
			return nil, r.checkRestore(ctx, prev, r.task.Session().Checkpoint())
		}
		return nil, nil
	}
	r.advanced = 0
	cp, err := r.task.Step(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", s, err)
	}
	if check {
		if err := r.checkRestore(ctx, prev, cp); err != nil {
			return nil, err
		}
	}
	if err := r.Commit(cp, final); err != nil {
		return nil, fmt.Errorf("committing step %d: %w", s, err)
	}
	return cp, nil
}

func (r *Runner) checkDue(s uint64, final bool) bool {
	n := r.opts.CheckRestore
	return n > 0 && (s <= 2 || s%n == 0 || final)
}

func (r *Runner) checkRestore(ctx context.Context, prev, cp *host.Checkpoint) error {
	if err := r.task.CheckRestore(ctx, prev, cp); err != nil {
		r.advanced = 0 // the step is not to be committed
		return err
	}
	r.checked++
	return nil
}

// Checked is the number of restore checks passed.
func (r *Runner) Checked() int { return r.checked }

// Interrupt commits what is staged, with a full checkpoint of the last step, so that a
// resume continues from it. After a failed step it commits the steps before it.
func (r *Runner) Interrupt() error {
	if r.advanced != 0 { // the last step run has no root yet: commit it
		r.pending = append(r.pending, ledger.Pending{Checkpoint: r.task.Session().Checkpoint()})
		r.advanced = 0
	}
	if n := len(r.pending); n > 0 {
		r.pending[n-1].Store = true
		return r.flush(false)
	}
	if r.last == nil || r.led == nil { // nothing committed by this runner yet
		return nil
	}
	// Everything was committed already, the last step perhaps with its root alone.
	return r.led.StoreCheckpoint(r.run.ID, r.last)
}

// Resume restores the run's newest stored checkpoint into the task (after its init) and
// recomputes the committed steps after it, checking each root against its signed record.
// It returns the newest stored checkpoint's step, the first step still to run and the
// current checkpoint.
func (r *Runner) Resume(ctx context.Context) (restored, next uint64, cp *host.Checkpoint, err error) {
	initial, err := r.task.Init(ctx)
	if err != nil {
		return 0, 0, nil, err
	}
	cpStep, root, last, err := r.led.LatestCheckpoint(r.run.ID)
	if errors.Is(err, ledger.ErrNotFound) {
		// Stopped before its init was committed: start it now.
		return 0, 1, initial, r.Commit(initial, false)
	}
	if err != nil {
		return 0, 0, nil, err
	}
	if cp, err = r.led.Checkpoint(root); err != nil {
		return 0, 0, nil, err
	}
	if err := r.task.Restore(ctx, cp); err != nil {
		return 0, 0, nil, err
	}
	recs, err := records(r.led, r.run.ID)
	if err != nil {
		return 0, 0, nil, err
	}
	r.window = r.window[:0] // the checkpoints an earlier --keep-last kept, to be dropped in turn
	for _, s := range slices.Sorted(maps.Keys(recs)) {
		if recs[s].Checkpoint {
			r.window = append(r.window, s)
		}
	}
	for s := cpStep + 1; s <= last; s++ {
		rec, committed := recs[s]
		if !committed {
			if err := r.task.Advance(ctx, s); err != nil {
				return 0, 0, nil, fmt.Errorf("recomputing step %d: %w", s, err)
			}
			continue
		}
		if cp, err = r.task.Step(ctx, s); err != nil {
			return 0, 0, nil, fmt.Errorf("recomputing committed step %d: %w", s, err)
		}
		if cp.Root != rec.Root {
			return 0, 0, nil, fmt.Errorf("%w: step %d recomputed to %x, the ledger committed %x", ErrMismatch, s, cp.Root[:8], rec.Root[:8])
		}
	}
	return cpStep, last + 1, cp, nil
}

// Commit stages cp's step and commits the group when it is due: after groupCommit, when a
// full checkpoint is to be stored, or at the end (final). Init and Step call it; a caller
// that runs the task itself calls it after each step.
func (r *Runner) Commit(cp *host.Checkpoint, final bool) error {
	if r.led == nil {
		return nil
	}
	store := cp.Step%r.opts.CheckpointEvery == 0 || final || r.opts.KeepLast > 0
	r.pending = append(r.pending, ledger.Pending{Checkpoint: cp, Store: store})
	if store || final || time.Since(r.lastFlush) >= groupCommit {
		return r.flush(final)
	}
	return nil
}

// flush commits the staged steps, then applies retention and garbage collection.
func (r *Runner) flush(final bool) error {
	if r.led == nil || len(r.pending) == 0 {
		return nil
	}
	batch := r.pending
	r.pending, r.lastFlush = nil, time.Now()
	if _, err := r.led.CommitBatch(r.run.ID, batch, time.Now()); err != nil {
		return err
	}
	r.last = batch[len(batch)-1].Checkpoint
	if r.opts.Committed != nil {
		cps := make([]*host.Checkpoint, len(batch))
		for i, p := range batch {
			cps[i] = p.Checkpoint
		}
		r.opts.Committed(cps)
	}
	if err := r.retain(batch); err != nil {
		return err
	}
	for range batch {
		if r.commits++; r.commits%gcEvery == 0 {
			if err := r.gc(); err != nil {
				return err
			}
		}
	}
	if final {
		return r.gc()
	}
	return nil
}

// retain keeps, besides every CheckpointEvery-th, the full checkpoints of the last
// KeepLast committed steps: it drops, in one transaction, those the batch pushed out of
// that window.
func (r *Runner) retain(batch []ledger.Pending) error {
	keep := r.opts.KeepLast
	if keep == 0 {
		return nil
	}
	for _, p := range batch {
		if p.Store {
			r.window = append(r.window, p.Checkpoint.Step)
		}
	}
	if uint64(len(r.window)) <= keep {
		return nil
	}
	n := uint64(len(r.window)) - keep
	var drop []uint64
	for _, s := range r.window[:n] {
		if s%r.opts.CheckpointEvery != 0 { // every K-th stays
			drop = append(drop, s)
		}
	}
	r.window = r.window[n:]
	if len(drop) == 0 {
		return nil
	}
	return r.led.Prune(r.run.ID, drop...)
}

// records returns a run's step records by step.
func records(led *ledger.Ledger, run string) (map[uint64]ledger.StepRecord, error) {
	recs, err := led.Steps(run)
	if err != nil {
		return nil, err
	}
	by := make(map[uint64]ledger.StepRecord, len(recs))
	for _, rec := range recs {
		by[rec.Step] = rec
	}
	return by, nil
}

func (r *Runner) gc() error {
	if _, err := r.led.Sweep(); err != nil {
		return err
	}
	return r.led.CollectGarbage()
}
