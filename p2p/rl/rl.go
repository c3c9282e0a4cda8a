// Package rl is collaborative reinforcement learning in rounds, after Gensyn's RL Swarm
// and SAPO (swarm sampling policy optimisation): the computation of one member, without
// the network (package p2p/swarm carries it: RLNode).
//
// Every member keeps a policy of its own. Round r, for member m:
//
//  1. Generate: from its newest state, m samples its rollouts for the round's questions
//     (lockstep_rl_generate). The questions are the task's function of QuestionSeed(swarm
//     seed, r), the same for every member; the sampling seed is SampleSeed(swarm seed, r,
//     m). So m's rollouts are a pure function of its state root, the round and its address:
//     anyone holding that state regenerates them bit for bit (Generate with m's address),
//     and a rollout m could not have sampled is disputable like any step.
//  2. Score: m scores its own rows and its peers' with the task's checker
//     (lockstep_rl_score); a peer's claimed rewards are never used.
//  3. Train: m trains one step (lockstep_rl_train) on a batch chosen by Batch: per
//     question, its own first G−J rows and J rows transplanted from peers, the
//     best-scoring first. The batch is an input of the step (content-addressed data), so
//     training too is a pure function of state and inputs.
//
// Each of generate and train is a run in the ledger that continues the state before it
// (ledger.RunMeta.From) and calls the export as its step 1 (RunMeta.Call): a dispute over
// either is a Verde game over step 1 of that run. The member's starting state is the
// task's init with the swarm's seed and Warmup ordinary (supervised) steps.
package rl

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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
	"github.com/lockstep-ml/lockstep/runtime"
)

// The exports of an RL task (guest/ABI.md, "RL tasks"), its state tensor of rollouts and
// the inputs the host gives its calls.
const (
	GenerateExport = "lockstep_rl_generate"
	ScoreExport    = "lockstep_rl_score"
	TrainExport    = "lockstep_rl_train"
	RolloutsLeaf   = "rl/rollouts"
	RoundInput     = "rl/round"
	BatchInput     = "rl/batch"
)

// Config is what every member of an RL swarm must agree on, beside the task and its
// inputs.
type Config struct {
	Name   string // the swarm's name
	Seed   uint64 // the swarm's seed: the starting policy and every round's questions
	Warmup int    // supervised steps (lockstep_step) that make the starting state
}

// DefaultTransplant, as Batch's j, takes half of a group from peers.
const DefaultTransplant = -1

// State is a member's policy after a round (Round 0: the starting state).
type State struct {
	Round      uint64
	Checkpoint *host.Checkpoint
	Run        string
}

// Root is the state root a member announces.
func (s *State) Root() [32]byte { return s.Checkpoint.Root }

// Gen is a member's generation for a round: the state after lockstep_rl_generate, and
// its rollout rows (the rl/rollouts tensor as little-endian int32).
type Gen struct {
	Round      uint64
	Member     common.Address
	Prev       *State
	Checkpoint *host.Checkpoint
	Rows       []byte
	Run        string
}

// Root is the generation's state root, which commits to its rows.
func (g *Gen) Root() [32]byte { return g.Checkpoint.Root }

// Trainer computes a member's rounds, storing each generation and training in its ledger.
type Trainer struct {
	rt     *runtime.Runtime
	led    *ledger.Ledger
	cfg    Config
	task   *runtime.Module
	wasm   []byte
	inputs []host.Input
	rows   int // N: rows per generation
	width  int // 1+T: int32 words per row
	group  int // G: rows per question
	tag    string
	// Fault, if set, changes the operator calls of every generation this trainer runs for
	// itself: the test-only hook that makes a member publish doctored rollouts. No flag of
	// a normal node sets it.
	Fault func(*host.OpEvent)
}

// New loads an RL task and reads its rollout layout from an init with the swarm's seed.
func New(ctx context.Context, rt *runtime.Runtime, led *ledger.Ledger, task []byte, inputs []host.Input, cfg Config) (*Trainer, error) {
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("rl: %d warm-up steps", cfg.Warmup)
	}
	mod, err := rt.Load(ctx, task)
	if err != nil {
		return nil, fmt.Errorf("rl: the task: %w", err)
	}
	for _, e := range []string{GenerateExport, ScoreExport, TrainExport} {
		if err := mod.HasStepExport(e); err != nil {
			return nil, fmt.Errorf("rl: not an RL task (guest/ABI.md, \"RL tasks\"): %w", err)
		}
	}
	t := &Trainer{rt: rt, led: led, cfg: cfg, task: mod, wasm: task, inputs: inputs}
	inst, err := mod.Instantiate(ctx, cfg.Seed, inputs)
	if err != nil {
		return nil, fmt.Errorf("rl: the task: %w", err)
	}
	defer inst.Close(ctx)
	cp, err := inst.Init(ctx)
	if err != nil {
		return nil, fmt.Errorf("rl: the task's init: %w", err)
	}
	ro, ok := cp.Tensors[RolloutsLeaf]
	if !ok || ro.DType() != kernels.Int32 || len(ro.Shape()) != 2 || ro.Shape()[0] < 1 || ro.Shape()[1] < 2 {
		return nil, fmt.Errorf("rl: the task registers no int32 state tensor %s of shape [N, 1+T]", RolloutsLeaf)
	}
	t.rows, t.width = ro.Shape()[0], ro.Shape()[1]
	h := sha256.New()
	fmt.Fprintf(h, "lockstep/rl/swarm/v1|%s|%x|%d|%d", cfg.Name, mod.Hash, cfg.Seed, cfg.Warmup)
	for _, in := range inputs {
		fmt.Fprintf(h, "|%s=%x", in.Name, in.Hash)
	}
	t.tag = fmt.Sprintf("%x", h.Sum(nil)[:6])
	return t, nil
}

// Tag names the swarm: a hash of its name, task, inputs and configuration.
func (t *Trainer) Tag() string { return t.tag }

// Config returns the configuration the trainer was made with.
func (t *Trainer) Config() Config { return t.cfg }

// Module is the loaded task (for a referee's sandbox).
func (t *Trainer) Module() *runtime.Module { return t.task }

// Layout is the task's rollout layout: rows per generation and int32 words per row.
func (t *Trainer) Layout() (rows, width int) { return t.rows, t.width }

// QuestionSeed is the seed of round's questions: the same for every member.
func QuestionSeed(swarmSeed, round uint64) uint64 {
	return seedOf("lockstep/rl/questions/v1", swarmSeed, round, nil)
}

// SampleSeed is the seed of member's instance in round: its sampling randomness.
func SampleSeed(swarmSeed, round uint64, member common.Address) uint64 {
	return seedOf("lockstep/rl/sample/v1", swarmSeed, round, member.Bytes())
}

func seedOf(domain string, swarmSeed, round uint64, extra []byte) uint64 {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(binary.LittleEndian.AppendUint64(nil, swarmSeed))
	h.Write(binary.LittleEndian.AppendUint64(nil, round))
	h.Write(extra)
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// roundInput is the rl/round input of a round: the round and its question seed.
func (t *Trainer) roundInput(round uint64) host.Input {
	b := binary.LittleEndian.AppendUint64(nil, round)
	return host.NewInput(RoundInput, binary.LittleEndian.AppendUint64(b, QuestionSeed(t.cfg.Seed, round)))
}

func (t *Trainer) with(extra ...host.Input) []host.Input {
	return append(append([]host.Input(nil), t.inputs...), extra...)
}

// Labels of the ledger runs; each names the swarm.
func (t *Trainer) startLabel() string { return "rl start, swarm " + t.tag }
func (t *Trainer) genLabel(round uint64, m common.Address) string {
	return fmt.Sprintf("rl generate, round %d, member %s, swarm %s", round, m.Hex(), t.tag)
}
func (t *Trainer) trainLabel(round uint64) string {
	return fmt.Sprintf("rl train, round %d, swarm %s", round, t.tag)
}

// Genesis is the starting state: the task's init with the swarm's seed and Warmup
// supervised steps, the same for every member. A ledger that has it already reuses it.
func (t *Trainer) Genesis(ctx context.Context) (*State, error) {
	if s, ok := t.find(t.startLabel(), t.cfg.Seed, uint64(t.cfg.Warmup)); ok {
		return &State{Round: 0, Checkpoint: s.cp, Run: s.run}, nil
	}
	meta, err := t.led.CreateRun(ledger.RunMeta{Seed: t.cfg.Seed, Engine: string(t.rt.Engine()), Fuel: runtime.DefaultConfig().Fuel, Every: uint64(max(t.cfg.Warmup, 1)), Steps: uint64(t.cfg.Warmup), Created: time.Now(), Label: t.startLabel()}, t.wasm, t.inputs)
	if err != nil {
		return nil, err
	}
	inst, err := t.task.Instantiate(ctx, t.cfg.Seed, t.inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	r := runner.New(t.led, meta, inst, runner.Options{CheckpointEvery: uint64(max(t.cfg.Warmup, 1))})
	cp, err := r.Init(ctx)
	if err != nil {
		return nil, fmt.Errorf("rl: the starting state: %w", err)
	}
	for s := 1; s <= t.cfg.Warmup; s++ {
		if cp, err = r.Step(ctx, uint64(s), s == t.cfg.Warmup); err != nil {
			return nil, fmt.Errorf("rl: warm-up: %w", err)
		}
	}
	return &State{Round: 0, Checkpoint: cp, Run: meta.ID}, nil
}

// Generate samples member's rollouts of round from prev (its own state, or a peer's state
// to regenerate the peer's rollouts) and stores the generation as a run in the ledger.
func (t *Trainer) Generate(ctx context.Context, prev *State, round uint64, member common.Address, self bool) (*Gen, error) {
	if round <= prev.Round {
		return nil, fmt.Errorf("rl: generating round %d from the state of round %d", round, prev.Round)
	}
	seed := SampleSeed(t.cfg.Seed, round, member)
	var fault func(*host.OpEvent)
	if self {
		fault = t.Fault
	}
	cp, run, err := t.step(ctx, prev.Checkpoint, seed, t.with(t.roundInput(round)), GenerateExport, t.genLabel(round, member), fault)
	if err != nil {
		return nil, fmt.Errorf("rl: generating round %d: %w", round, err)
	}
	ro := cp.Tensors[RolloutsLeaf]
	if ro == nil || ro.DType() != kernels.Int32 || ro.Len() != t.rows*t.width {
		return nil, fmt.Errorf("rl: round %d: the generation left no %s of %d×%d", round, RolloutsLeaf, t.rows, t.width)
	}
	return &Gen{Round: round, Member: member, Prev: prev, Checkpoint: cp, Rows: int32Bytes(ro.Int32s()), Run: run}, nil
}

// GenerateSandbox is the seed and inputs of member's generation of round: what a referee
// re-runs its guest code with.
func (t *Trainer) GenerateSandbox(round uint64, member common.Address) (uint64, []host.Input) {
	return SampleSeed(t.cfg.Seed, round, member), t.with(t.roundInput(round))
}

// Train trains member's policy on batch (rows chosen by Batch) from its generation g,
// and returns its state after round g.Round.
func (t *Trainer) Train(ctx context.Context, g *Gen, batch []byte) (*State, error) {
	if err := t.CheckRows(batch, 0); err != nil {
		return nil, err
	}
	seed := SampleSeed(t.cfg.Seed, g.Round, g.Member)
	cp, run, err := t.step(ctx, g.Checkpoint, seed, t.with(t.roundInput(g.Round), host.NewInput(BatchInput, batch)), TrainExport, t.trainLabel(g.Round), nil)
	if err != nil {
		return nil, fmt.Errorf("rl: training round %d: %w", g.Round, err)
	}
	return &State{Round: g.Round, Checkpoint: cp, Run: run}, nil
}

// step stores and runs one step of export that continues the state from.
func (t *Trainer) step(ctx context.Context, from *host.Checkpoint, seed uint64, inputs []host.Input, export, label string, fault func(*host.OpEvent)) (*host.Checkpoint, string, error) {
	meta, err := t.led.CreateRun(ledger.RunMeta{Seed: seed, Engine: string(t.rt.Engine()), Fuel: runtime.DefaultConfig().Fuel, Every: 1, Steps: 1, Created: time.Now(), Label: label, Call: export, From: fmt.Sprintf("%x", from.Root)}, t.wasm, inputs)
	if err != nil {
		return nil, "", err
	}
	inst, err := t.task.Instantiate(ctx, seed, inputs)
	if err != nil {
		return nil, "", err
	}
	defer inst.Close(ctx)
	inst.Session().SetOpHook(fault)
	r := runner.New(t.led, meta, inst, runner.Options{})
	if _, err := r.Start(ctx, from); err != nil {
		return nil, "", err
	}
	cp, err := r.Step(ctx, 1, true)
	if err != nil {
		return nil, "", err
	}
	return cp, meta.ID, nil
}

// Score scores rows of round with the task's checker: one reward in [0, 1] per row.
func (t *Trainer) Score(ctx context.Context, round uint64, rows []byte) ([]float32, error) {
	if err := t.CheckRows(rows, 0); err != nil {
		return nil, err
	}
	inputs := t.with(t.roundInput(round), host.NewInput(BatchInput, rows))
	inst, err := t.task.Instantiate(ctx, t.cfg.Seed, inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	if _, err := inst.Init(ctx); err != nil {
		return nil, err
	}
	if err := inst.SetStepExport(ScoreExport); err != nil {
		return nil, err
	}
	if err := inst.Advance(ctx, 1); err != nil {
		return nil, fmt.Errorf("rl: scoring round %d: %w", round, err)
	}
	out := inst.Output()
	m := len(rows) / (4 * t.width)
	if len(out) != 4*m {
		return nil, fmt.Errorf("rl: the task scored %d rows with %d bytes, not %d", m, len(out), 4*m)
	}
	scores := make([]float32, m)
	for i := range scores {
		v := math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("rl: the task scored row %d %v, outside [0, 1]", i, v)
		}
		scores[i] = v
	}
	return scores, nil
}

// Eval runs the task's eval on a state (held-out accuracy, for the example task).
func (t *Trainer) Eval(ctx context.Context, s *State) (map[string]float64, error) {
	inst, err := t.task.Instantiate(ctx, t.cfg.Seed, t.inputs)
	if err != nil {
		return nil, err
	}
	defer inst.Close(ctx)
	if _, err := inst.Init(ctx); err != nil {
		return nil, err
	}
	if err := inst.Restore(ctx, s.Checkpoint); err != nil {
		return nil, err
	}
	if err := inst.Eval(ctx); err != nil {
		return nil, err
	}
	return inst.Session().Metrics(), nil
}

// CheckRows checks that rows is a whole number of rows, at least one and at most
// MaxBatchRows; with n > 0, exactly n rows. Rows from a peer are checked before anything
// uses them; their values are the task's to judge (a row it cannot read scores 0).
func (t *Trainer) CheckRows(rows []byte, n int) error {
	w := 4 * t.width
	if len(rows) == 0 || len(rows)%w != 0 {
		return fmt.Errorf("rl: %d bytes of rows; a row has %d", len(rows), w)
	}
	if n > 0 && len(rows) != n*w {
		return fmt.Errorf("rl: %d rows; a generation has %d", len(rows)/w, n)
	}
	if m := len(rows) / w; m > MaxBatchRows {
		return fmt.Errorf("rl: %d rows, more than a call takes (%d)", m, MaxBatchRows)
	}
	return nil
}

// MaxBatchRows is the most rows a score or train call takes (guest/ABI.md).
const MaxBatchRows = 1 << 16

// MaxGenerations is how many members' generations (its own included) fit in one score
// call of this task: a member takes the rows of at most MaxGenerations−1 peers a round.
func (t *Trainer) MaxGenerations() int { return MaxBatchRows / t.rows }

// Batch chooses the rows member trains on in a round: for each question, in the order
// the questions first appear in own, own's first G−J rows of it (G its rows of the
// question) and then J rows of it from peers, the highest-scoring first, ties broken by
// the peers' order and then the row order. Questions the peers lack take fewer
// transplanted rows. own and each peers[i] are whole generations; scores have one reward
// per row, own's first and then each peer's, in order.
func (t *Trainer) Batch(own []byte, peers [][]byte, scores []float32, j int) ([]byte, error) {
	w := 4 * t.width
	all := [][]byte{own}
	all = append(all, peers...)
	n := 0
	for _, g := range all {
		n += len(g) / w
	}
	if len(scores) != n {
		return nil, fmt.Errorf("rl: %d scores for %d rows", len(scores), n)
	}
	type row struct {
		q      int32
		from   int // 0: own
		idx    int
		score  float32
		data   []byte
		picked bool
	}
	var rows []row
	k := 0
	for from, g := range all {
		for i := 0; i+w <= len(g); i += w {
			rows = append(rows, row{q: int32(binary.LittleEndian.Uint32(g[i:])), from: from, idx: i / w, score: scores[k], data: g[i : i+w]})
			k++
		}
	}
	var order []int32
	seen := map[int32]int{}
	for _, r := range rows {
		if r.from == 0 {
			if _, ok := seen[r.q]; !ok {
				order = append(order, r.q)
			}
			seen[r.q]++
		}
	}
	g := 0
	for _, c := range seen {
		g = max(g, c)
	}
	if j == DefaultTransplant {
		j = g / 2
	}
	if j < 0 || j > g {
		return nil, fmt.Errorf("rl: %d transplanted rows per question; a group has %d", j, g)
	}
	var out []byte
	for _, q := range order {
		mine := 0
		for _, r := range rows {
			if r.from == 0 && r.q == q && mine < g-j {
				out = append(out, r.data...)
				mine++
			}
		}
		var cands []row
		for _, r := range rows {
			if r.from > 0 && r.q == q {
				cands = append(cands, r)
			}
		}
		sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
		for i := 0; i < len(cands) && i < j; i++ {
			out = append(out, cands[i].data...)
		}
	}
	return out, nil
}

// found is a ledger run of this swarm found by label, with its last checkpoint.
type found struct {
	run string
	cp  *host.Checkpoint
}

// find returns the checkpoint of step last of the newest complete run labelled label with
// the given seed.
func (t *Trainer) find(label string, seed, last uint64) (found, bool) {
	runs, err := t.led.Runs()
	if err != nil {
		return found{}, false
	}
	var best found
	var bestTime time.Time
	for _, m := range runs {
		if m.Label != label || m.Seed != seed || m.Module != t.task.HashHex() || (best.cp != nil && !m.Created.After(bestTime)) {
			continue
		}
		steps, err := t.led.Steps(m.ID)
		if err != nil || len(steps) == 0 || steps[len(steps)-1].Step != last {
			continue // killed before its last step was committed
		}
		cp, err := t.led.Checkpoint(steps[len(steps)-1].Root)
		if err != nil {
			continue
		}
		best, bestTime = found{run: m.ID, cp: cp}, m.Created
	}
	return best, best.cp != nil
}

// GenRun returns the ledger run of member's generation of round (its own, or the one
// this member regenerated to check member), if the ledger has it complete.
func (t *Trainer) GenRun(round uint64, member common.Address) (ledger.RunMeta, bool) {
	f, ok := t.find(t.genLabel(round, member), SampleSeed(t.cfg.Seed, round, member), 1)
	if !ok {
		return ledger.RunMeta{}, false
	}
	meta, err := t.led.Run(f.run)
	return meta, err == nil
}

// Latest returns the member's newest state in the ledger: the training of the highest
// round, or nil if it has none (then Genesis starts it).
func (t *Trainer) Latest() (*State, error) {
	runs, err := t.led.Runs()
	if err != nil {
		return nil, err
	}
	var best *State
	for _, m := range runs {
		r, ok := t.trainRound(m.Label)
		if !ok || m.Module != t.task.HashHex() || (best != nil && r <= best.Round) {
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
	}
	return best, nil
}

// trainRound parses a training run's label of this swarm.
func (t *Trainer) trainRound(label string) (uint64, bool) {
	rest, ok := strings.CutPrefix(label, "rl train, round ")
	if !ok {
		return 0, false
	}
	num, tail, ok := strings.Cut(rest, ", swarm ")
	if !ok || tail != t.tag {
		return 0, false
	}
	var r uint64
	if _, err := fmt.Sscan(num, &r); err != nil || fmt.Sprint(r) != num {
		return 0, false
	}
	return r, true
}

// Prune removes the generation and training runs of rounds before keepFrom from the
// ledger, except the run of keep (the member's newest state): it keeps a window of recent
// rounds, which disputes and restarts need.
func (t *Trainer) Prune(keepFrom uint64, keep *State) (int, error) {
	runs, err := t.led.Runs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range runs {
		if m.Module != t.task.HashHex() || !strings.HasSuffix(m.Label, ", swarm "+t.tag) {
			continue
		}
		var r uint64
		if _, err := fmt.Sscanf(m.Label, "rl generate, round %d,", &r); err != nil {
			var ok bool
			if r, ok = t.trainRound(m.Label); !ok {
				continue
			}
		}
		if r < keepFrom && (keep == nil || m.ID != keep.Run) {
			if _, err := t.led.DeleteRun(m.ID); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Doctor is the fault of a member that publishes rollouts its state did not sample, for
// tests and the demo (Trainer.Fault): the first token of the first rollout it writes
// into rl/rollouts is changed. No flag of a normal node sets it.
func Doctor(ev *host.OpEvent) {
	if ev.Op != host.OpAssign || len(ev.Outputs) == 0 || ev.Outputs[0].DType() != kernels.Int32 || ev.Outputs[0].Len() < 2 {
		return
	}
	v := ev.Outputs[0].Int32s()
	v[1] = (v[1] + 1) % 10
	if out, err := kernels.NewInt32(ev.Outputs[0].Shape(), v); err == nil {
		ev.Outputs[0] = out
	}
}

func int32Bytes(v []int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}
