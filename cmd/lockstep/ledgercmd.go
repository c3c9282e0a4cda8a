package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
)

func idCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "id",
		Short: "Print this node's address and libp2p peer ID, one key (creating it on first use)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := dataDir(dir)
			key, err := ledger.LoadOrCreateKey(d)
			if err != nil {
				return err
			}
			id, err := p2p.PeerID(key)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "address %s\npeer id %s\nkey     %s/%s\n", ledger.Address(key).Hex(), id, d, ledger.KeyFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", "", "node data directory (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	return cmd
}

func ledgerCmd() *cobra.Command {
	var dir string
	var asJSON bool
	// open wraps a subcommand: it opens the node's ledger with o, runs fn, closes it.
	type ledgerFn = func(cmd *cobra.Command, args []string, l *ledger.Ledger) error
	open := func(o ledger.Options, fn ledgerFn) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			l, err := ledger.Open(dataDir(dir), o)
			if err != nil {
				return err
			}
			defer l.Close()
			return fn(cmd, args, l)
		}
	}
	// withReader reads the ledger, or, while a running process holds it, asks that
	// process (ledger.ServeReads).
	withReader := func(fn func(cmd *cobra.Command, args []string, r ledger.Reader) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			r, done, err := openReader(dataDir(dir))
			if errors.Is(err, ledger.ErrNoLedger) && cmd.Name() == "runs" {
				return fn(cmd, args, nil) // no runs yet
			}
			if err != nil {
				return err
			}
			defer done()
			return fn(cmd, args, r)
		}
	}
	// withLedger opens the ledger for reading (it works on a full disk), writeLedger for
	// writing, changeLedger for writing to one that must exist already.
	withLedger := func(fn ledgerFn) func(*cobra.Command, []string) error { return open(readOnly(), fn) }
	writeLedger := func(fn ledgerFn) func(*cobra.Command, []string) error { return open(ledger.DefaultOptions(), fn) }
	changeLedger := func(fn ledgerFn) func(*cobra.Command, []string) error {
		o := ledger.DefaultOptions()
		o.Existing = true
		return open(o, fn)
	}
	cmd := &cobra.Command{Use: "ledger", Short: "Inspect and verify the runs this node has committed"}
	cmd.PersistentFlags().StringVar(&dir, "data-dir", "", "node data directory (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	emit := func(cmd *cobra.Command, v any) error {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	cmd.AddCommand(&cobra.Command{
		Use: "runs", Short: "List runs", Args: cobra.NoArgs,
		RunE: withReader(func(cmd *cobra.Command, _ []string, l ledger.Reader) error {
			var runs []ledger.RunMeta
			if l != nil { // nil: no ledger yet
				var err error
				if runs, err = l.Runs(); err != nil {
					return err
				}
			}
			if runs == nil {
				runs = []ledger.RunMeta{}
			}
			if asJSON {
				return emit(cmd, runs)
			}
			w := cmd.OutOrStdout()
			if len(runs) == 0 {
				fmt.Fprintf(w, "no runs in %s\n", dataDir(dir))
				return nil
			}
			fmt.Fprintf(w, "%-12s  %-19s  %-16s  %-6s  %s\n", "RUN", "CREATED", "MODULE", "SEED", "STEPS COMMITTED")
			for _, r := range runs {
				recs, err := l.Steps(r.ID)
				if err != nil {
					return err
				}
				last := "none"
				if len(recs) > 0 {
					last = fmt.Sprint(recs[len(recs)-1].Step)
				}
				fmt.Fprintf(w, "%-12s  %-19s  %-16s  %-6d  %s of %d\n", r.ID, r.Created.Format("2006-01-02 15:04:05"), r.Module[:16], r.Seed, last, r.Steps)
			}
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "rm RUN...",
		Short: "Remove runs: their step records, and the checkpoints, module and inputs no other run uses",
		Long: `Remove runs from the ledger. A run is unlisted first, then its step records go, with the
checkpoints, module and inputs no other run uses. Its signed history is gone with it:
export it first (lockstep ledger export) to keep a copy. An interrupted removal is
finished by running it again.`,
		Args: cobra.MinimumNArgs(1),
		RunE: changeLedger(func(cmd *cobra.Command, args []string, l *ledger.Ledger) error {
			for _, id := range args {
				rm, err := l.DeleteRun(id)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed run %s: %d step records, %d checkpoints, %d blobs no other run used\n", id, rm.Steps, rm.Checkpoints, rm.Blobs)
			}
			return l.CollectGarbage() // give the space back now, not at some later commit
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "show RUN", Short: "Show a run's metadata and step table", Args: cobra.ExactArgs(1),
		RunE: withReader(func(cmd *cobra.Command, args []string, l ledger.Reader) error {
			meta, err := l.Run(args[0])
			if err != nil {
				return err
			}
			recs, err := l.Steps(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return emit(cmd, map[string]any{"run": meta, "steps": recs})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "run %s by node %s, created %s\nmodule %s, seed %d, engine %s, checkpoint every %d steps\n",
				meta.ID, meta.Node, meta.Created.Format(time.RFC3339), meta.Module, meta.Seed, meta.Engine, meta.Every)
			for name, h := range meta.Inputs {
				fmt.Fprintf(w, "input %s %s\n", name, h)
			}
			fmt.Fprintf(w, "%6s  %-64s  %-10s  %s\n", "STEP", "ROOT", "CHECKPOINT", "COMMITTED")
			for _, r := range recs {
				ck := ""
				if r.Checkpoint {
					ck = "stored"
				}
				fmt.Fprintf(w, "%6d  %s  %-10s  %s\n", r.Step, hex.EncodeToString(r.Root[:]), ck, time.Unix(0, r.Time).Format(time.RFC3339))
			}
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "verify RUN", Short: "Check a run's signatures and re-hash its module, inputs and stored checkpoints", Args: cobra.ExactArgs(1),
		RunE: withLedger(func(cmd *cobra.Command, args []string, l *ledger.Ledger) error {
			rep, err := l.Verify(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if err := emit(cmd, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "run %s: %d step records; the module, %d inputs and %d stored checkpoints re-hashed\n", args[0], rep.Steps, rep.Inputs, rep.Checkpoints)
				for _, p := range rep.Problems {
					fmt.Fprintf(cmd.OutOrStdout(), "  problem: %s\n", p)
				}
			}
			if !rep.OK() {
				return fmt.Errorf("run %s does not verify: %d problems", args[0], len(rep.Problems))
			}
			if !asJSON {
				fmt.Fprintln(cmd.OutOrStdout(), "verified: every record is signed by the run's node, the module and inputs match their hashes and every stored checkpoint matches its root")
			}
			return nil
		}),
	})
	var out string
	var force bool
	export := &cobra.Command{
		Use: "export RUN --out FILE", Short: "Write a run (records, checkpoints, module, inputs) to one checksummed file", Args: cobra.ExactArgs(1),
		RunE: withLedger(func(cmd *cobra.Command, args []string, l *ledger.Ledger) error {
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("%s exists: pass --force to replace it", out)
			}
			tmp := out + ".tmp"
			f, err := os.Create(tmp)
			if err != nil {
				return err
			}
			if err := l.Export(args[0], f); err != nil {
				f.Close()
				os.Remove(tmp)
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(tmp, out); err != nil {
				return err
			}
			st, _ := os.Stat(out)
			fmt.Fprintf(cmd.OutOrStdout(), "exported run %s to %s (%d bytes)\n", args[0], out, st.Size())
			return nil
		}),
	}
	export.Flags().StringVar(&out, "out", "", "the file to write")
	export.Flags().BoolVar(&force, "force", false, "replace --out if it exists")
	export.MarkFlagRequired("out")
	cmd.AddCommand(export, &cobra.Command{
		Use: "import FILE", Short: "Check an exported run completely and add it to this node's ledger", Args: cobra.ExactArgs(1),
		RunE: writeLedger(func(cmd *cobra.Command, args []string, l *ledger.Ledger) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.IsDir() {
				return fmt.Errorf("%s is a directory, not an exported run", args[0])
			}
			had := map[string]int{} // steps per run before
			if runs, err := l.Runs(); err == nil {
				for _, r := range runs {
					recs, _ := l.Steps(r.ID)
					had[r.ID] = len(recs)
				}
			}
			meta, err := l.Import(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			recs, _ := l.Steps(meta.ID)
			before, held := had[meta.ID]
			switch {
			case !held:
				fmt.Fprintf(cmd.OutOrStdout(), "imported run %s by node %s: signatures and checkpoints verified\n", meta.ID, meta.Node)
			case len(recs) > before:
				fmt.Fprintf(cmd.OutOrStdout(), "run %s was here already: added %d step records it lacked, verified\n", meta.ID, len(recs)-before)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "run %s is here already with everything the export holds: nothing added\n", meta.ID)
			}
			return nil
		}),
	})
	return cmd
}
