package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/runtime"
)

func traceCmd() *cobra.Command {
	var dir, engine string
	var step uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "trace RUN --step S",
		Short: "Recompute the operator trace of one committed step",
		Long: `Recompute the operator trace of step S of run RUN (0 is init): every operator call,
with its attributes and the hashes of its inputs and outputs, chained, and a last entry that
binds the trace to the step's state root. Training does not keep traces; this runs the step
again from the nearest stored checkpoint before it and checks every recomputed root against
the ledger, so the trace shown is the one of the committed step.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("step") {
				return fmt.Errorf("--step is required")
			}
			ctx := cmd.Context()
			d := dataDir(dir)
			led, err := ledger.Open(d, readOnly())
			if err != nil {
				return err
			}
			defer led.Close()
			r, err := runner.OpenReplay(ctx, led, args[0], runtime.Config{Engine: runtime.Engine(engine), CacheDir: filepath.Join(d, "wasm-cache")})
			if err != nil {
				return err
			}
			defer r.Close(ctx)
			// The operator calls' shapes, for the reader (the trace commits to hashes).
			shapes := map[int][2][][]int{}
			r.OnSession(func(sess *host.Session) {
				sess.SetOpHook(func(ev *host.OpEvent) {
					if ev.Step == step {
						shapes[ev.Seq] = [2][][]int{shapesOf(ev.Inputs), shapesOf(ev.Outputs)}
					}
				})
			})
			start := time.Now()
			cp, tr, ran, err := r.Step(ctx, step, true)
			if err != nil {
				return err
			}
			rep := traceReport(args[0], cp, tr)
			for i := range rep.Entries {
				if sh, ok := shapes[i]; ok {
					rep.Entries[i].InShapes, rep.Entries[i].OutShapes = sh[0], sh[1]
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printTrace(cmd.OutOrStdout(), rep)
			matched := "the root matches the ledger"
			if _, ok := r.Record(step); !ok {
				matched = fmt.Sprintf("the run commits a root every %d steps, not this one's; the committed steps before it matched", r.Run().CommitEvery)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recomputed %d step(s) from the nearest stored checkpoint in %v; %s\n", ran, time.Since(start).Round(time.Millisecond), matched)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&step, "step", 0, "the step to trace (0 is init)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	fl.StringVar(&engine, "engine", "", "wazero engine (default: the run's)")
	fl.StringVar(&dir, "data-dir", "", "node data directory (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	return cmd
}

type traceEntryJSON struct {
	Seq     uint64   `json:"seq"`
	Op      string   `json:"op"`
	Opcode  uint32   `json:"opcode"`
	Attrs   []uint32 `json:"attrs,omitempty"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
	Head    string   `json:"head"` // the chain's head after this entry
	// The shapes of an operator call's inputs and outputs (not part of the trace).
	InShapes  [][]int `json:"input_shapes,omitempty"`
	OutShapes [][]int `json:"output_shapes,omitempty"`
}

func shapesOf(ts []*kernels.Tensor) [][]int {
	out := make([][]int, len(ts))
	for i, t := range ts {
		out[i] = t.Shape()
	}
	return out
}

type traceJSON struct {
	Run     string           `json:"run"`
	Step    uint64           `json:"step"`
	Root    string           `json:"root"`
	Start   string           `json:"start"` // the head before the first entry
	Head    string           `json:"head"`
	Entries []traceEntryJSON `json:"entries"`
}

func hexes(hs [][32]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func traceReport(run string, cp *host.Checkpoint, tr *host.Trace) traceJSON {
	start := host.TraceStart(tr.Step)
	rep := traceJSON{Run: run, Step: tr.Step, Root: hex.EncodeToString(cp.Root[:]), Start: hex.EncodeToString(start[:]), Head: hex.EncodeToString(tr.Head[:])}
	for i, e := range tr.Entries {
		rep.Entries = append(rep.Entries, traceEntryJSON{Seq: e.Seq, Op: e.Op.String(), Opcode: uint32(e.Op), Attrs: e.Attrs,
			Inputs: hexes(e.Inputs), Outputs: hexes(e.Outputs), Head: hex.EncodeToString(tr.Heads[i][:])})
	}
	return rep
}

// printTrace shows one line per entry, hashes shortened to 8 hex digits.
func printTrace(w io.Writer, rep traceJSON) {
	fmt.Fprintf(w, "run %s step %d: %d entries, root %s\n", rep.Run, rep.Step, len(rep.Entries), rep.Root)
	short := func(hs []string) string {
		s := make([]string, len(hs))
		for i, h := range hs {
			s[i] = h[:8]
		}
		if len(s) > 6 {
			s = append(s[:5], fmt.Sprintf("... (%d)", len(hs)))
		}
		return strings.Join(s, " ")
	}
	for _, e := range rep.Entries {
		attrs := ""
		if len(e.Attrs) > 0 {
			attrs = fmt.Sprintf(" %v", e.Attrs)
		}
		shapes := ""
		if e.InShapes != nil {
			shapes = fmt.Sprintf("  %v -> %v", e.InShapes, e.OutShapes)
		}
		fmt.Fprintf(w, "%5d  %-16s%s  in [%s]  out [%s]  head %s%s\n", e.Seq, e.Op, attrs, short(e.Inputs), short(e.Outputs), e.Head[:8], shapes)
	}
}
