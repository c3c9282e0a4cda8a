package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/runtime"
)

func verifyCmd() *cobra.Command {
	var dir, engine, steps string
	var sample int
	cmd := &cobra.Command{
		Use:   "verify RUN | verify EXPORT.lsx",
		Short: "Re-execute a run's steps and check every root against its signed records",
		Long: `Re-execute the steps of a committed run, or of an exported run file, in the sandbox and
check that every step reaches the state root its signed record commits to. The records'
signatures and the stored checkpoints are checked first. By default every step is
re-executed; --steps A-B re-executes a range (from the nearest stored checkpoint before A),
--sample N re-executes N steps drawn at random, each from the checkpoint before it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			if steps != "" && sample > 0 {
				return fmt.Errorf("--steps and --sample exclude each other")
			}
			d, run := dataDir(dir), args[0]
			export := fileExists(args[0])
			if export { // an exported run: check it into a ledger of its own
				tmp, err := os.MkdirTemp("", "lockstep-verify-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				d = tmp
			}
			o := ledger.DefaultOptions()
			o.ReadOnly = !export // a run in the node's ledger is only read
			led, err := ledger.Open(d, o)
			if err != nil {
				return err
			}
			defer led.Close()
			if export {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				meta, err := led.Import(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				run = meta.ID
				fmt.Fprintf(w, "%s: run %s by node %s, signatures and checkpoints checked on import\n", args[0], meta.ID, meta.Node)
			} else {
				rep, err := led.Verify(run)
				if err != nil {
					return err
				}
				if !rep.OK() {
					return fmt.Errorf("run %s does not verify: %s", run, strings.Join(rep.Problems, "; "))
				}
			}
			r, err := runner.OpenReplay(ctx, led, run, runtime.Config{Engine: runtime.Engine(engine), CacheDir: filepath.Join(d, "wasm-cache")})
			if err != nil {
				return err
			}
			defer r.Close(ctx)
			start := time.Now()
			last := r.Committed()
			switch {
			case sample > 0:
				var committed []int
				for s := uint64(0); s <= last; s++ {
					if _, ok := r.Record(s); ok {
						committed = append(committed, int(s))
					}
				}
				rand.Shuffle(len(committed), func(i, j int) { committed[i], committed[j] = committed[j], committed[i] })
				picked := committed[:min(sample, len(committed))]
				slices.Sort(picked)
				ran := uint64(0)
				for _, s := range picked {
					_, _, n, err := r.Step(ctx, uint64(s), false)
					if err != nil {
						return err
					}
					ran += n
				}
				fmt.Fprintf(w, "re-executed %d sampled steps of %d committed (%d steps run from their checkpoints) in %v: every root matches\n",
					len(picked), len(committed), ran, time.Since(start).Round(time.Millisecond))
			default:
				a, b := uint64(0), last
				if steps != "" {
					if a, b, err = parseRange(steps); err != nil {
						return err
					}
				}
				ran, err := r.Range(ctx, a, b)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "re-executed steps %d-%d of run %s (%d steps run) in %v: every root matches the signed records\n",
					a, b, run, ran, time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&steps, "steps", "", "re-execute only steps A-B")
	fl.IntVar(&sample, "sample", 0, "re-execute N steps drawn at random")
	fl.StringVar(&engine, "engine", "", "wazero engine (default: the run's)")
	fl.StringVar(&dir, "data-dir", "", "node data directory (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	return cmd
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// parseRange reads "A-B" (or "A": one step).
func parseRange(s string) (uint64, uint64, error) {
	as, bs, found := strings.Cut(s, "-")
	if !found {
		bs = as
	}
	a, err1 := strconv.ParseUint(as, 10, 64)
	b, err2 := strconv.ParseUint(bs, 10, 64)
	if err1 != nil || err2 != nil || a > b {
		return 0, 0, fmt.Errorf("--steps %q: want A-B with A <= B", s)
	}
	return a, b, nil
}
