// Package diloco is collaborative training on compressed updates (DiLoCo: Douillard et
// al., 2023; as in Prime Intellect's INTELLECT-1): the computation of one member, without
// the network (package p2p/swarm carries it).
//
// The swarm's state after round r is a checkpoint of the outer step (package outer, run
// in the sandbox): the task's parameters and the outer optimizer's velocities. In round
// r+1 every member
//
//  1. starts an instance of the task with its own seed (MemberSeed: its data are its
//     own), replaces the parameters of its fresh init with the swarm's, and trains Inner
//     steps (Inner);
//  2. publishes its update, the parameters before minus after, compressed with error
//     feedback (p2p/codec);
//  3. decodes the round's updates and runs the outer step on them in a fixed member
//     order (Outer): their mean, summed in that order, is the gradient of one Nesterov
//     step. Every honest member gets the same state root.
//
// A task's parameters are the state leaves that are not optimizer state, where optimizer
// state is a leaf named O/m/P or O/v/P for another leaf P (the SDK's optimizers name
// theirs so). The inner optimizer starts fresh every round, so a member's update is a
// function of the swarm's state, its seed and the round alone: anyone can recompute it.
//
// Each outer step is a run in the ledger (init from the state and the updates as inputs,
// then step 1), so a dispute over a round is a Verde game over step 1 of that run.
package diloco

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/p2p/diloco/outer"
	"github.com/lockstep-ml/lockstep/runtime"
)

//go:embed outer/outer.wasm
var outerWasm []byte

// OuterModule returns the Wasm module of the outer step.
func OuterModule() []byte { return outerWasm }

// Config is what every member of a swarm must agree on, beside the task and its inputs.
type Config struct {
	Name     string  // the swarm's name
	Seed     uint64  // the swarm's seed: its starting parameters and its members' data
	Inner    int     // inner steps per round (H)
	LR       float32 // outer learning rate
	Momentum float32 // outer Nesterov momentum (0: plain SGD)
}

// DefaultConfig: DiLoCo's outer optimizer (learning rate 0.7, Nesterov momentum 0.9) and
// 20 inner steps.
func DefaultConfig() Config { return Config{Seed: 1, Inner: 20, LR: 0.7, Momentum: 0.9} }

// State is the swarm's state after a round: step 1 of that round's outer run.
type State struct {
	Round      uint64
	Checkpoint *host.Checkpoint
	Run        string // the outer run in the ledger
	Note       []byte // what the caller stored with the outer step (Outer's note)
}

// NoteInput names the outer run's input that holds the caller's note (the swarm's
// manifest): not read by the outer step, kept so that a restarted member knows it.
const NoteInput = "note"

// Root is the state root members announce.
func (s *State) Root() [32]byte { return s.Checkpoint.Root }

// Trainer computes a member's part of each round, and the outer steps, storing each outer
// step in its ledger.
type Trainer struct {
	rt     *runtime.Runtime
	led    *ledger.Ledger
	cfg    Config
	task   *runtime.Module
	wasm   []byte
	inputs []host.Input
	outer  *runtime.Module
	params []outer.Param
	size   int
	tag    string // Tag
	// Fault, if set, changes the operator calls of every outer step this trainer runs:
	// the test-only hook that makes a faulty member. No flag of a normal node sets it.
	Fault func(*host.OpEvent)
}

// New loads the task and the outer step and finds the task's parameters (from an init with
// the swarm's seed).
func New(ctx context.Context, rt *runtime.Runtime, led *ledger.Ledger, task []byte, inputs []host.Input, cfg Config) (*Trainer, error) {
	if cfg.Inner < 1 {
		return nil, fmt.Errorf("diloco: %d inner steps per round; at least 1", cfg.Inner)
	}
	if !(cfg.LR > 0) || math.IsInf(float64(cfg.LR), 0) || !(cfg.Momentum >= 0 && cfg.Momentum < 1) {
		return nil, fmt.Errorf("diloco: outer learning rate %v must be > 0 and momentum %v in [0, 1)", cfg.LR, cfg.Momentum)
	}
	mod, err := rt.Load(ctx, task)
	if err != nil {
		return nil, fmt.Errorf("diloco: the task: %w", err)
	}
	om, err := rt.Load(ctx, outerWasm)
	if err != nil {
		return nil, fmt.Errorf("BUG: the outer step does not load: %w", err)
	}
	t := &Trainer{rt: rt, led: led, cfg: cfg, task: mod, wasm: task, inputs: inputs, outer: om}
	inst, err := mod.Instantiate(ctx, cfg.Seed, inputs)
	if err != nil {
		return nil, fmt.Errorf("diloco: the task: %w", err)
	}
	defer inst.Close(ctx)
	cp, err := inst.Init(ctx)
	if err != nil {
		return nil, fmt.Errorf("diloco: the task's init: %w", err)
	}
	t.params = Params(cp)
	if len(t.params) == 0 {
		return nil, fmt.Errorf("diloco: the task registers no parameters")
	}
	for _, p := range t.params {
		t.size += p.Size()
	}
	h := sha256.New()
	fmt.Fprintf(h, "lockstep/diloco/swarm/v1|%s|%x|%d|%d|%08x|%08x|%s", cfg.Name, mod.Hash, cfg.Seed, cfg.Inner, math.Float32bits(cfg.LR), math.Float32bits(cfg.Momentum), om.HashHex())
	for _, in := range inputs {
		fmt.Fprintf(h, "|%s=%x", in.Name, in.Hash)
	}
	t.tag = fmt.Sprintf("%x", h.Sum(nil)[:6])
	return t, nil
}

// Tag names the swarm a trainer belongs to: a hash of its name, task, inputs and
// configuration. Members with another tag train something else; a ledger's rounds are
// kept apart by it.
func (t *Trainer) Tag() string { return t.tag }

// OuterProgram returns the loaded module of the outer step (for a referee's sandbox).
func (t *Trainer) OuterProgram() *runtime.Module { return t.outer }

// Config returns the swarm configuration the trainer was made with.
func (t *Trainer) Config() Config { return t.cfg }

// Size is the number of parameter elements: the length of an update.
func (t *Trainer) Size() int { return t.size }

// Layout returns the task's parameters, in name order.
func (t *Trainer) Layout() []outer.Param { return append([]outer.Param(nil), t.params...) }

// Params returns the parameters among a checkpoint's tensors, in name order: every float32
// leaf that is not optimizer state (O/m/P or O/v/P for another leaf P).
func Params(cp *host.Checkpoint) []outer.Param {
	var out []outer.Param
	for name, tn := range cp.Tensors {
		if tn.DType() != kernels.Float32 || optimizerState(name, cp.Tensors) {
			continue
		}
		out = append(out, outer.Param{Name: name, Shape: tn.Shape()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func optimizerState(name string, leaves map[string]*kernels.Tensor) bool {
	for _, mark := range []string{"/m/", "/v/"} {
		if i := strings.Index(name, mark); i > 0 {
			if _, ok := leaves[name[i+len(mark):]]; ok {
				return true
			}
		}
	}
	return false
}

// MemberSeed is the seed of a member's task instance in a round: its data for the round
// are a function of the swarm's seed, the round and its address alone.
func MemberSeed(swarmSeed, round uint64, member common.Address) uint64 {
	h := sha256.New()
	h.Write([]byte("lockstep/diloco/member-seed/v1"))
	h.Write(binary.LittleEndian.AppendUint64(nil, swarmSeed))
	h.Write(binary.LittleEndian.AppendUint64(nil, round))
	h.Write(member.Bytes())
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// Genesis is the state before round 1: the parameters of the task's init with the swarm's
// seed, velocities zero (an outer run of round 0 with no updates).
func (t *Trainer) Genesis(ctx context.Context) (*State, error) {
	inst, err := t.task.Instantiate(ctx, t.cfg.Seed, t.inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	cp, err := inst.Init(ctx)
	if err != nil {
		return nil, err
	}
	state := make([]byte, 0, 8*t.size)
	for _, p := range t.params {
		state = appendFloats(state, cp.Tensors[p.Name].Float32s())
	}
	state = append(state, make([]byte, 4*t.size)...)
	return t.Load(ctx, 0, state)
}

// Load makes the state of round from its encoding (StateBytes): how a member that missed
// rounds takes a state fetched from a peer, whose root it then compares with the one the
// swarm announced.
func (t *Trainer) Load(ctx context.Context, round uint64, state []byte) (*State, error) {
	if len(state) != 8*t.size {
		return nil, fmt.Errorf("diloco: a state of %d bytes; this task's has %d", len(state), 8*t.size)
	}
	return t.run(ctx, round, state, nil, nil, t.LoadedLabel(round))
}

// StateBytes encodes a state as the outer step's state input: the parameters, then the
// velocities, in layout order.
func (t *Trainer) StateBytes(s *State) ([]byte, error) {
	b := make([]byte, 0, 8*t.size)
	for _, prefix := range []string{"", outer.Optimizer + "/v/"} {
		for _, p := range t.params {
			tn, ok := s.Checkpoint.Tensors[prefix+p.Name]
			if !ok || tn.DType() != kernels.Float32 || tn.Len() != p.Size() {
				return nil, fmt.Errorf("diloco: the state of round %d has no float32 %s of %d elements", s.Round, prefix+p.Name, p.Size())
			}
			b = appendFloats(b, tn.Float32s())
		}
	}
	return b, nil
}

// Inner trains a member's Inner steps from the swarm's state and returns its update (the
// parameters before minus after, in layout order) and the loss of its last step.
func (t *Trainer) Inner(ctx context.Context, s *State, member common.Address) ([]float32, float64, error) {
	inst, err := t.task.Instantiate(ctx, MemberSeed(t.cfg.Seed, s.Round+1, member), t.inputs)
	if err != nil {
		return nil, 0, err
	}
	defer inst.Close(ctx)
	if err := t.startFrom(ctx, inst, s); err != nil {
		return nil, 0, err
	}
	for i := 1; i <= t.cfg.Inner; i++ {
		if err := inst.Advance(ctx, uint64(i)); err != nil {
			return nil, 0, fmt.Errorf("round %d, inner step %d: %w", s.Round+1, i, err)
		}
	}
	loss := inst.Session().Metrics()["loss"]
	after := inst.Session().Checkpoint()
	delta := make([]float32, 0, t.size)
	for _, p := range t.params {
		before, now := s.Checkpoint.Tensors[p.Name].Float32s(), after.Tensors[p.Name].Float32s()
		for i := range before {
			delta = append(delta, before[i]-now[i])
		}
	}
	return delta, loss, nil
}

// startFrom initialises inst and replaces its parameters with the swarm's: the inner
// optimizer and counters stay as the fresh init made them.
func (t *Trainer) startFrom(ctx context.Context, inst *runtime.Task, s *State) error {
	cp, err := inst.Init(ctx)
	if err != nil {
		return err
	}
	tensors := make(map[string]*kernels.Tensor, len(cp.Tensors))
	for name, tn := range cp.Tensors {
		tensors[name] = tn
	}
	for _, p := range t.params {
		tensors[p.Name] = s.Checkpoint.Tensors[p.Name]
	}
	start := &host.Checkpoint{Step: 0, Tensors: tensors, Blob: cp.Blob}
	start.Root = host.CheckpointRoot(0, start.Leaves(), start.Blob)
	return inst.Restore(ctx, start)
}

// Eval runs the task's eval on the swarm's parameters and returns its metrics (the
// held-out loss, for the example tasks).
func (t *Trainer) Eval(ctx context.Context, s *State) (map[string]float64, error) {
	inst, err := t.task.Instantiate(ctx, t.cfg.Seed, t.inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	if err := t.startFrom(ctx, inst, s); err != nil {
		return nil, err
	}
	if err := inst.Eval(ctx); err != nil {
		return nil, err
	}
	return inst.Session().Metrics(), nil
}

// Outer runs the outer step of round prev.Round+1 on the updates, in the order given (the
// round's member order), and returns the new state. note, if any, is stored with it.
func (t *Trainer) Outer(ctx context.Context, prev *State, updates [][]float32, note []byte) (*State, error) {
	for i, u := range updates {
		if len(u) != t.size {
			return nil, fmt.Errorf("diloco: update %d has %d elements; the task has %d", i, len(u), t.size)
		}
	}
	state, err := t.StateBytes(prev)
	if err != nil {
		return nil, err
	}
	return t.run(ctx, prev.Round+1, state, updates, note, t.OuterLabel(prev.Round+1))
}

// run stores and runs the outer step of round with the given state and updates.
func (t *Trainer) run(ctx context.Context, round uint64, state []byte, updates [][]float32, note []byte, label string) (*State, error) {
	lay, err := json.Marshal(outer.Layout{Round: round, Members: len(updates), LR: t.cfg.LR, Momentum: t.cfg.Momentum, Params: t.params})
	if err != nil {
		return nil, err
	}
	inputs := []host.Input{host.NewInput(outer.LayoutInput, lay), host.NewInput(outer.StateInput, state)}
	for i, u := range updates {
		inputs = append(inputs, host.NewInput(outer.UpdateName(i), appendFloats(nil, u)))
	}
	if note != nil {
		inputs = append(inputs, host.NewInput(NoteInput, note))
	}
	meta, err := t.led.CreateRun(ledger.RunMeta{Engine: string(t.rt.Engine()), Fuel: runtime.DefaultConfig().Fuel, Every: 1, Steps: 1, Created: time.Now(), Label: label}, outerWasm, inputs)
	if err != nil {
		return nil, err
	}
	inst, err := t.outer.Instantiate(ctx, 0, inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	inst.Session().SetOpHook(t.Fault)
	r := runner.New(t.led, meta, inst, runner.Options{})
	if _, err := r.Init(ctx); err != nil {
		return nil, fmt.Errorf("outer step of round %d: %w", round, err)
	}
	cp, err := r.Step(ctx, 1, true)
	if err != nil {
		return nil, fmt.Errorf("outer step of round %d: %w", round, err)
	}
	return &State{Round: round, Checkpoint: cp, Run: meta.ID, Note: note}, nil
}

// OuterLabel labels the ledger run of a round's outer step; LoadedLabel the run of a
// state taken whole (the start, or a state fetched to catch up). Both name the swarm.
func (t *Trainer) OuterLabel(round uint64) string {
	return fmt.Sprintf("diloco outer step, round %d, swarm %s", round, t.tag)
}
func (t *Trainer) LoadedLabel(round uint64) string {
	return fmt.Sprintf("diloco state, round %d, swarm %s", round, t.tag)
}

// roundOf parses a label of either kind of this trainer's swarm.
func (t *Trainer) roundOf(label string) (uint64, bool) {
	for _, f := range []string{"diloco outer step, round %d, swarm ", "diloco state, round %d, swarm "} {
		var r uint64
		if n, err := fmt.Sscanf(label, f+t.tag, &r); n == 1 && err == nil && label == fmt.Sprintf(f, r)+t.tag {
			return r, true
		}
	}
	return 0, false
}

// OuterRun returns the ledger run of round's outer step, if this ledger has it.
func (t *Trainer) OuterRun(round uint64) (ledger.RunMeta, bool, error) {
	runs, err := t.led.Runs()
	if err != nil {
		return ledger.RunMeta{}, false, err
	}
	for _, m := range runs {
		if m.Label != t.OuterLabel(round) {
			continue
		}
		// A run killed before its step was committed is left behind: the one that counts
		// has step 1.
		if steps, err := t.led.Steps(m.ID); err == nil && len(steps) == 2 && steps[1].Step == 1 {
			return m, true, nil
		}
	}
	return ledger.RunMeta{}, false, nil
}

// Prune removes from the ledger the outer runs of rounds before keepFrom (and the states
// taken whole of those rounds): a swarm's ledger holds a window of recent rounds, which is
// what disputes and catch-up need, not every round since the start.
func (t *Trainer) Prune(keepFrom uint64) (int, error) {
	runs, err := t.led.Runs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range runs {
		if r, ok := t.roundOf(m.Label); ok && r < keepFrom && m.Module == t.outer.HashHex() {
			if _, err := t.led.DeleteRun(m.ID); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Latest returns the newest state the ledger holds (of the highest round whose step 1 is
// committed with its checkpoint), or nil: where a restarted member resumes.
func (t *Trainer) Latest() (*State, error) {
	runs, err := t.led.Runs()
	if err != nil {
		return nil, err
	}
	var best *State
	for _, m := range runs {
		r, ok := t.roundOf(m.Label)
		if !ok || m.Module != t.outer.HashHex() || (best != nil && r <= best.Round) {
			continue
		}
		steps, err := t.led.Steps(m.ID)
		if err != nil || len(steps) < 2 || steps[1].Step != 1 {
			continue // killed before its step was committed
		}
		cp, err := t.led.Checkpoint(steps[1].Root)
		if err != nil {
			continue
		}
		best = &State{Round: r, Checkpoint: cp, Run: m.ID}
		if inputs, err := t.led.Inputs(m); err == nil {
			for _, in := range inputs {
				if in.Name == NoteInput {
					best.Note = in.Data
				}
			}
		}
	}
	return best, nil
}
func appendFloats(b []byte, fs []float32) []byte {
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}
