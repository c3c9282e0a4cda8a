package main

import (
	"context"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	"github.com/lockstep-ml/lockstep/runtime"
)

// The demo is the main job on embedded defaults: it trains the digits task (an MLP on
// handwritten digits, built with the guest SDK and compiled to WebAssembly) in the
// sandbox, shows progress, and ends with the held-out accuracy and the final checkpoint
// root; it commits the run to the node's ledger and verifies it; then it replays the start
// of the run on the other wazero engine and checks that it reaches the same root.

//go:embed tasks/digits.wasm
var digitsWasm []byte

//go:embed tasks/rl.wasm
var rlWasm []byte

//go:embed tasks/digits.csv.gz
var digitsData []byte

const digitsInput = "digits.csv.gz"

type demoConfig struct {
	Steps   uint64
	Seed    uint64
	Replay  uint64
	Dispute uint64 // steps of the dispute act (0: none)
	Members int    // members of the swarm act (0: none)
	Rounds  uint64 // its rounds
	Inner   int    // its inner steps per round
	// RLMembers are the members of the RL act (0: none), RLRounds its rounds.
	RLMembers int
	RLRounds  uint64
	NoLedger  bool
	DataDir   string // the flag; dataDir resolves it
}

func demoCmd() *cobra.Command {
	c := demoConfig{Steps: 600, Seed: 1, Replay: 100, Dispute: 60, Members: 4, Rounds: 3, Inner: 20, RLMembers: 4, RLRounds: 3}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Train the digits task in the sandbox and check that it replays bit for bit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), c)
		},
	}
	cmd.Flags().Uint64Var(&c.Steps, "steps", c.Steps, "training steps")
	cmd.Flags().Uint64Var(&c.Seed, "seed", c.Seed, "task seed")
	cmd.Flags().Uint64Var(&c.Replay, "replay", c.Replay, "steps to replay on the other engine (0: none)")
	cmd.Flags().Uint64Var(&c.Dispute, "dispute", c.Dispute, "steps of the second act, a dispute with a faulty node (0: none)")
	cmd.Flags().IntVar(&c.Members, "swarm", c.Members, "members of the third act, a swarm on loopback with one faulty member (0: none)")
	cmd.Flags().Uint64Var(&c.Rounds, "rounds", c.Rounds, "rounds of the swarm act")
	cmd.Flags().IntVar(&c.RLMembers, "rl", c.RLMembers, "members of the fourth act, an RL swarm on loopback with one member that doctors its rollouts (0: none)")
	cmd.Flags().Uint64Var(&c.RLRounds, "rl-rounds", c.RLRounds, "rounds of the RL act")
	cmd.Flags().BoolVar(&c.NoLedger, "no-ledger", false, "do not commit the run to the node's ledger")
	cmd.Flags().StringVar(&c.DataDir, "data-dir", "", "node data directory: key, ledger, compiled-module cache (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	return cmd
}

// demoRuntime starts a runtime for engine, with the data dir's compile cache.
func demoRuntime(ctx context.Context, dir string, engine runtime.Engine) (*runtime.Runtime, error) {
	return runtime.New(ctx, demoRuntimeConfig(dir, engine))
}

// demoRuntimeConfig is a runtime configuration for engine with the data dir's compile
// cache, so that every runtime of the demo compiles the module at most once.
func demoRuntimeConfig(dir string, engine runtime.Engine) runtime.Config {
	cfg := runtime.Config{Engine: engine}
	if d := dataDir(dir); d != "" && os.MkdirAll(filepath.Join(d, "wasm-cache"), 0o755) == nil {
		cfg.CacheDir = filepath.Join(d, "wasm-cache")
	}
	return cfg
}

// trainDigits runs init and steps steps on engine, calling each(step, checkpoint, task)
// after init (step 0) and after every step.
func trainDigits(ctx context.Context, engine runtime.Engine, c demoConfig, steps uint64, each func(uint64, *host.Checkpoint, *runtime.Task)) (*runtime.Task, func(), error) {
	rt, err := demoRuntime(ctx, c.DataDir, engine)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { rt.Close(ctx) }
	m, err := rt.Load(ctx, digitsWasm)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	task, err := m.Instantiate(ctx, c.Seed, []host.Input{host.NewInput(digitsInput, digitsData)})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cp0, err := task.Init(ctx)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	each(0, cp0, task)
	for s := uint64(1); s <= steps; s++ {
		if err := ctx.Err(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("interrupted after step %d", s-1)
		}
		cp, err := task.Step(ctx, s)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		each(s, cp, task)
	}
	return task, cleanup, nil
}

func runDemo(ctx context.Context, w io.Writer, c demoConfig) error {
	if err := runDemoTraining(ctx, w, c); err != nil {
		return err
	}
	if c.Dispute > 0 {
		if err := demoDispute(ctx, w, c); err != nil {
			return err
		}
	}
	if c.Members > 0 && c.Members < 4 || c.RLMembers > 0 && c.RLMembers < 3 {
		return fmt.Errorf("demo: --swarm %d, --rl %d: the swarm act needs at least 4 members (three honest ones, so that a third can referee), the RL act 3", c.Members, c.RLMembers)
	}
	if c.Members > 0 {
		if err := demoSwarm(ctx, w, c); err != nil {
			return err
		}
	}
	if c.RLMembers > 0 {
		return demoRL(ctx, w, c)
	}
	return nil
}

func runDemoTraining(ctx context.Context, w io.Writer, c demoConfig) error {
	if c.Steps < 1 {
		return fmt.Errorf("demo: --steps must be at least 1")
	}
	engine := runtime.DefaultEngine()
	fmt.Fprintf(w, "Lockstep demo: an MLP learns handwritten digits inside the WebAssembly sandbox\n")
	fmt.Fprintf(w, "task: digits (guest SDK, %d KiB of Wasm), data: %d KiB, engine %s, seed %d, %s\n",
		len(digitsWasm)>>10, len(digitsData)>>10, engine, c.Seed, runtimeInfo())
	var led *ledger.Ledger
	var run ledger.RunMeta
	if !c.NoLedger && dataDir(c.DataDir) != "" {
		var err error
		if led, err = ledger.Open(dataDir(c.DataDir), ledger.DefaultOptions()); err != nil {
			return fmt.Errorf("demo: %w (or pass --no-ledger)", err)
		}
		defer led.Close()
		inputs := []host.Input{host.NewInput(digitsInput, digitsData)}
		run, err = led.CreateRun(ledger.RunMeta{Seed: c.Seed, Engine: string(engine), Fuel: runtime.DefaultConfig().Fuel, Every: 100, Steps: c.Steps, Created: time.Now()}, digitsWasm, inputs)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	commits := runner.New(led, run, nil, runner.Options{CheckpointEvery: 100})
	prog := newProgress(w, c.Steps, false)
	start := time.Now()
	var setup time.Duration
	var last *host.Checkpoint
	var rootAt string
	var commitErr error
	task, cleanup, err := trainDigits(ctx, engine, c, c.Steps, func(s uint64, cp *host.Checkpoint, task *runtime.Task) {
		last = cp
		if commitErr == nil {
			commitErr = commits.Commit(cp, s == c.Steps)
		}
		if s == 0 { // admitted, compiled and initialised: time the training from here
			setup, start = time.Since(start), time.Now()
			return
		}
		if s == c.Replay {
			rootAt = hex.EncodeToString(cp.Root[:])
		}
		prog.step(s, s, task.Session().Metrics(), time.Since(start))
	})
	prog.done()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer cleanup()
	if err := task.Eval(ctx); err != nil {
		return fmt.Errorf("demo: eval: %w", err)
	}
	acc := task.Session().Metrics()["accuracy"]
	fmt.Fprintf(w, "set up in %.1fs, trained %d steps in %.1fs: held-out accuracy %.1f%% (300 images the model never saw)\n",
		setup.Seconds(), c.Steps, time.Since(start).Seconds(), 100*acc)
	fmt.Fprintf(w, "final checkpoint root %s\n", hex.EncodeToString(last.Root[:]))
	if commitErr != nil {
		return fmt.Errorf("demo: committing to the ledger: %w", commitErr)
	}
	if led != nil {
		rep, err := led.Verify(run.ID)
		if err != nil || !rep.OK() {
			return fmt.Errorf("demo: the ledger does not verify: %v %v", err, rep.Problems)
		}
		fmt.Fprintf(w, "committed as run %s: %d steps signed by this node (%s), %d checkpoints stored and verified\n",
			run.ID, rep.Steps, led.Address().Hex(), rep.Checkpoints)
		fmt.Fprintf(w, "  see it with: lockstep ledger show %s\n", run.ID)
	}

	if c.Replay == 0 || c.Replay > c.Steps {
		return nil
	}
	other := runtime.EngineInterpreter
	if engine == runtime.EngineInterpreter {
		other = runtime.EngineCompiler
		if runtime.DefaultEngine() != runtime.EngineCompiler {
			return nil // only one engine here
		}
	}
	replayStart := time.Now()
	var replayRoot string
	_, cleanup2, err := trainDigits(ctx, other, c, c.Replay, func(s uint64, cp *host.Checkpoint, _ *runtime.Task) {
		replayRoot = hex.EncodeToString(cp.Root[:])
	})
	if err != nil {
		return fmt.Errorf("demo: replay: %w", err)
	}
	cleanup2()
	if replayRoot != rootAt {
		return fmt.Errorf("demo: replaying %d steps on the %s reached root %s, not %s", c.Replay, other, replayRoot, rootAt)
	}
	fmt.Fprintf(w, "replayed steps 1-%d on the %s in %.1fs: same root %s\n", c.Replay, other, time.Since(replayStart).Seconds(), rootAt)
	return nil
}

// demoDispute is the demo's second act: two nodes train the task; one of them flips a
// bit of one weight update (a fault injected in this code, not reachable from a flag);
// the dispute game finds the step and the operator, and a referee settles it by replaying
// that one operator.
func demoDispute(ctx context.Context, w io.Writer, c demoConfig) error {
	faultStep := c.Dispute*2/3 + 1
	fault := func(ev *host.OpEvent) {
		if ev.Step == faultStep && ev.Op.InPlace() && len(ev.Outputs) > 0 && ev.Outputs[0].DType() == kernels.Float32 {
			v := append([]float32(nil), ev.Outputs[0].Float32s()...)
			v[len(v)/2] = math.Float32frombits(math.Float32bits(v[len(v)/2]) ^ 1<<7)
			ev.Outputs[0], _ = kernels.New(ev.Outputs[0].Shape(), v)
		}
	}
	fmt.Fprintf(w, "\nAct 2: node B trains the same task but flips one bit of the first in-place update\n(gradient clipping or optimizer) of step %d; ", faultStep)
	fmt.Fprintf(w, "nodes A and B disagree on the final root, and a referee settles it.\n")
	inputs := []host.Input{host.NewInput(digitsInput, digitsData)}
	parties := make([]*verde.RunParty, 2)
	var replayA *runner.Replayer
	var roots [2][32]byte
	for i, f := range []func(*host.OpEvent){nil, fault} {
		dir, err := os.MkdirTemp("", "lockstep-demo-node-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		led, err := ledger.Open(dir, ledger.DefaultOptions())
		if err != nil {
			return err
		}
		defer led.Close()
		meta, err := trainInto(ctx, led, demoRuntimeConfig(c.DataDir, ""), digitsWasm, inputs, c.Seed, c.Dispute, 10, f)
		if err != nil {
			return err
		}
		r, err := runner.OpenReplay(ctx, led, meta.ID, demoRuntimeConfig(c.DataDir, ""))
		if err != nil {
			return err
		}
		defer r.Close(ctx)
		rec, _ := r.Record(c.Dispute)
		roots[i] = rec.Root
		parties[i] = verde.NewRunParty(r)
		if i == 0 {
			replayA = r
		}
		parties[i].Fault = f // node B answers for itself, fault and all
	}
	fmt.Fprintf(w, "node A: %d steps, root %x...; node B: root %x...\n", c.Dispute, roots[0][:6], roots[1][:6])
	start := time.Now()
	sb := &verde.Sandbox{Module: replayA.Module(), Seed: c.Seed, Inputs: inputs}
	r, err := verde.Referee{Sandbox: sb}.Play(ctx, "node A", parties[0], "node B", parties[1], c.Dispute)
	if err != nil {
		return fmt.Errorf("demo: dispute: %w", err)
	}
	fmt.Fprintf(w, "ruling: %v\n", r)
	fmt.Fprintf(w, "  %d rounds, %d bytes exchanged, %v; the nodes recomputed %d and %d steps to answer\n",
		r.Rounds, r.Bytes, time.Since(start).Round(time.Millisecond), parties[0].Recomputed, parties[1].Recomputed)
	full := time.Now()
	if _, err := replayA.Range(ctx, 0, c.Dispute); err != nil {
		return fmt.Errorf("demo: re-execution: %w", err)
	}
	fullTime := time.Since(full)
	fmt.Fprintf(w, "  the referee ran %d operator in %v; re-executing the %d steps takes %v (%.2f%% of it)\n",
		r.KernelOps, r.RefereeTime.Round(time.Microsecond), c.Dispute, fullTime.Round(time.Millisecond), 100*r.RefereeTime.Seconds()/fullTime.Seconds())
	return nil
}
