package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	"github.com/lockstep-ml/lockstep/runtime"
)

func disputeCmd() *cobra.Command {
	var out string
	var degree int
	cmd := &cobra.Command{
		Use:   "dispute A.lsx B.lsx",
		Short: "Settle a disagreement between two exported runs of the same task",
		Long: `Play Verde's dispute game between two exported runs of the same task (same module, seed
and inputs) that reach different roots: bisect over the steps on state roots, then over
the first disputed step's operator trace, and rule on the first disputed entry by replaying
that one operator. This node answers for each run by recomputing it from its records, so
a run whose records its own recomputation does not reproduce loses at the first such step;
between live nodes, each answers for itself. Prints the ruling, the rounds, the bytes exchanged and the referee's
compute beside a full re-execution's, and writes the ruling file (--out) that
'lockstep ruling check' re-checks offline.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDispute(cmd.Context(), cmd.OutOrStdout(), args[0], args[1], out, degree)
		},
	}
	cmd.Flags().StringVar(&out, "out", "ruling.json", "where to write the ruling file")
	cmd.Flags().IntVar(&degree, "degree", 2, "bisection degree: 2 is binary; k asks k-1 points a round")
	return cmd
}

// openExport imports an exported run into a ledger of its own in a temporary directory.
func openExport(ctx context.Context, path string) (*runner.Replayer, func(), error) {
	dir, err := os.MkdirTemp("", "lockstep-dispute-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	led, err := ledger.Open(dir, ledger.DefaultOptions())
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		led.Close()
		cleanup()
		return nil, nil, err
	}
	meta, err := led.Import(f)
	f.Close()
	if err != nil {
		led.Close()
		cleanup()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	r, err := runner.OpenReplay(ctx, led, meta.ID, runtime.Config{CacheDir: filepath.Join(dir, "wasm-cache")})
	if err != nil {
		led.Close()
		cleanup()
		return nil, nil, err
	}
	return r, func() { r.Close(ctx); led.Close(); cleanup() }, nil
}

func runDispute(ctx context.Context, w io.Writer, pathA, pathB, out string, degree int) error {
	ra, closeA, err := openExport(ctx, pathA)
	if err != nil {
		return err
	}
	defer closeA()
	rb, closeB, err := openExport(ctx, pathB)
	if err != nil {
		return err
	}
	defer closeB()
	ma, mb := ra.Run(), rb.Run()
	if ma.Module != mb.Module || ma.Seed != mb.Seed || fmt.Sprint(ma.Inputs) != fmt.Sprint(mb.Inputs) {
		return fmt.Errorf("the runs are not of the same task: module %s seed %d inputs %v against module %s seed %d inputs %v",
			ma.Module[:12], ma.Seed, ma.Inputs, mb.Module[:12], mb.Seed, mb.Inputs)
	}
	last := min(ra.Committed(), rb.Committed())
	a, b := verde.NewRunParty(ra), verde.NewRunParty(rb)
	na, nb := pathA, pathB
	fmt.Fprintf(w, "dispute over steps 0-%d of task %s (seed %d): %s (node %s) against %s (node %s)\n", last, ma.Module[:16], ma.Seed, na, ma.Node, nb, mb.Node)
	start := time.Now()
	sb := &verde.Sandbox{Module: ra.Module(), Seed: ma.Seed, Inputs: ra.Inputs(), Call: ma.Call}
	r, err := verde.Referee{Degree: degree, Sandbox: sb}.Play(ctx, na, a, nb, b, last)
	if errors.Is(err, verde.ErrNoDispute) {
		fmt.Fprintf(w, "no dispute: both runs reach the same root at step %d\n", last)
		return nil
	}
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(w, "ruling: %v\n", r)
	fmt.Fprintf(w, "%d rounds, %d bytes from the parties, %v in all; the parties recomputed %d and %d steps\n", r.Rounds, r.Bytes, took.Round(time.Millisecond), a.Recomputed, b.Recomputed)
	// The referee's compute beside what checking by re-execution costs: all the steps.
	full := time.Now()
	if _, err := ra.Range(ctx, 0, last); err != nil && !errors.Is(err, runner.ErrMismatch) {
		return err
	}
	fullTime := time.Since(full)
	fmt.Fprintf(w, "referee: %d operator replayed in %v; a full re-execution of %d steps takes %v (%.4f%%)\n",
		r.KernelOps, r.RefereeTime.Round(time.Microsecond), last, fullTime.Round(time.Millisecond), 100*r.RefereeTime.Seconds()/fullTime.Seconds())
	file := r.File(verde.Task{Module: ma.Module, Seed: ma.Seed, Inputs: ma.Inputs})
	if err := os.WriteFile(out, file.Encode(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "ruling file %s (check it with: lockstep ruling check %s)\n", out, out)
	return nil
}

func rulingCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ruling", Short: "Check dispute rulings"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check RULING.json",
		Short: "Re-check a ruling file offline: its digest, its evidence, and the one operator it replays",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			f, err := verde.ParseFile(b)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			what, err := verde.CheckFile(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: step %d, entry %d (%s), case %s\nconfirmed: %s\n", args[0], f.Step, f.Entry, f.Op, f.Case, what)
			return nil
		},
	})
	return cmd
}

// trainInto trains wasm for steps steps on a runtime of cfg into a new run of led (a full
// checkpoint every every steps), with fault applied to every operator call if not nil.
func trainInto(ctx context.Context, led *ledger.Ledger, cfg runtime.Config, wasm []byte, inputs []host.Input, seed, steps, every uint64, fault func(*host.OpEvent)) (ledger.RunMeta, error) {
	rt, err := runtime.New(ctx, cfg)
	if err != nil {
		return ledger.RunMeta{}, err
	}
	defer rt.Close(ctx)
	m, err := rt.Load(ctx, wasm)
	if err != nil {
		return ledger.RunMeta{}, err
	}
	meta, err := led.CreateRun(ledger.RunMeta{Seed: seed, Engine: string(m.Engine), Fuel: runtime.DefaultConfig().Fuel, Every: every, Steps: steps, Created: time.Now()}, wasm, inputs)
	if err != nil {
		return ledger.RunMeta{}, err
	}
	task, err := m.Instantiate(ctx, seed, inputs)
	if err != nil {
		return ledger.RunMeta{}, err
	}
	defer task.Close(ctx)
	task.Session().SetOpHook(fault)
	run := runner.New(led, meta, task, runner.Options{CheckpointEvery: every})
	if _, err := run.Init(ctx); err != nil {
		return ledger.RunMeta{}, err
	}
	for s := uint64(1); s <= steps; s++ {
		if _, err := run.Step(ctx, s, s == steps); err != nil {
			return ledger.RunMeta{}, err
		}
	}
	return meta, nil
}
