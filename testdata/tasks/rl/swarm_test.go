package addition_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/guest/rl"
	"github.com/lockstep-ml/lockstep/host"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

// The swarm simulation: RL rounds in process, natively, without the network, with the
// host's rule (guest/ABI.md, "RL tasks"): every member generates from its own state,
// every member scores every member's rows, and member m trains, per question, on its own
// first G−J rows and the J best of its peers' rows (by reward, then peer order, then row
// order). J = 0 is a member training alone.

func mix(xs ...uint64) uint64 {
	z := uint64(0x9E3779B97F4A7C15)
	for _, x := range xs {
		z ^= x
		z += 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
	}
	return z
}

func instance(t testing.TB, seed uint64, cp *host.Checkpoint, inputs ...host.Input) *native.Task {
	t.Helper()
	task := native.New(&addition.Task{}, seed, inputs, host.DefaultLimits(), nil)
	if _, err := task.Init(); err != nil {
		t.Fatal(err)
	}
	if cp != nil {
		if err := task.Restore(cp); err != nil {
			t.Fatal(err)
		}
	}
	return task
}

// startState is the swarm's starting state: init with the swarm seed, then w warm-up steps.
func startState(t testing.TB, swarm uint64, w int) *host.Checkpoint {
	t.Helper()
	task := instance(t, swarm, nil)
	cp := task.Session().Checkpoint()
	for s := 1; s <= w; s++ {
		var err error
		if cp, err = task.Step(uint64(s)); err != nil {
			t.Fatal(err)
		}
	}
	return cp
}

func evalMetrics(t testing.TB, cp *host.Checkpoint) map[string]float64 {
	t.Helper()
	task := instance(t, 0, cp)
	if err := task.Eval(); err != nil {
		t.Fatal(err)
	}
	return task.Session().Metrics()
}

func roundInput(r rl.Round) host.Input { return host.NewInput(rl.RoundInput, r.Bytes()) }
func batchInput(rows []rl.Row) host.Input {
	return host.NewInput(rl.BatchInput, rl.EncodeRows(rows))
}

func rolloutRows(cp *host.Checkpoint) []rl.Row {
	v := cp.Tensors[rl.RolloutsState].Int32s()
	w := 1 + addition.T
	rows := make([]rl.Row, len(v)/w)
	for i := range rows {
		rows[i] = rl.Row(v[i*w : (i+1)*w])
	}
	return rows
}

// swarm is a simulated swarm: each member's state, and the rule's J.
type swarm struct {
	seed    uint64
	j       int
	members []*host.Checkpoint
	cost    time.Duration // generate, score and train, all members, all rounds
	rounds  int
	reward  float64 // the members' mean reward in generate, summed over rounds
}

func newSwarm(seed uint64, members, j int, start *host.Checkpoint) *swarm {
	s := &swarm{seed: seed, j: j}
	for range members {
		s.members = append(s.members, start)
	}
	return s
}

// batchFor builds member m's training batch from every member's rows and their rewards,
// as the host's rule does (p2p/rl Trainer.Batch): for each question in the order it first
// appears in m's own rows, m's first G−J rows of it (G: the most rows m has of a
// question), then the J best of the peers' rows of it, by reward, ties by peer order, then
// row order.
func batchFor(m, j int, rows [][]rl.Row, rewards [][]float32) []rl.Row {
	type cand struct {
		row    rl.Row
		reward float32
	}
	var order []int32
	count := map[int32]int{}
	for _, r := range rows[m] {
		if count[r.Question()] == 0 {
			order = append(order, r.Question())
		}
		count[r.Question()]++
	}
	g := 0
	for _, c := range count {
		g = max(g, c)
	}
	var batch []rl.Row
	for _, q := range order {
		own := 0
		for _, r := range rows[m] {
			if r.Question() == q && own < g-j {
				batch = append(batch, r)
				own++
			}
		}
		var cs []cand // in peer order, then row order: the stable sort keeps it for ties
		for p := range rows {
			if p == m {
				continue
			}
			for i, r := range rows[p] {
				if r.Question() == q {
					cs = append(cs, cand{r, rewards[p][i]})
				}
			}
		}
		slices.SortStableFunc(cs, func(a, b cand) int {
			switch {
			case a.reward > b.reward:
				return -1
			case a.reward < b.reward:
				return 1
			}
			return 0
		})
		for _, c := range cs[:min(j, len(cs))] {
			batch = append(batch, c.row)
		}
	}
	return batch
}

// round runs round r of the swarm.
func (s *swarm) round(t testing.TB, r uint64) {
	t.Helper()
	t0 := time.Now()
	rd := rl.Round{Number: r, QuestionSeed: mix(s.seed, r)}
	n := len(s.members)
	rows := make([][]rl.Row, n)
	for m := range s.members {
		task := instance(t, mix(s.seed, r, uint64(m)), s.members[m], roundInput(rd))
		cp, err := task.Generate(1)
		if err != nil {
			t.Fatal(err)
		}
		s.members[m], rows[m] = cp, rolloutRows(cp)
		s.reward += task.Session().Metrics()["reward"] / float64(n)
	}
	var all []rl.Row
	for _, rs := range rows {
		all = append(all, rs...)
	}
	var rewards [][]float32
	for m := range s.members { // every member scores every member's rows
		task := instance(t, mix(s.seed, r, uint64(m)), nil, roundInput(rd), batchInput(all))
		got, err := task.Score(1)
		if err != nil {
			t.Fatal(err)
		}
		if m == 0 {
			for p := range rows {
				rewards = append(rewards, got[p*addition.Rows:(p+1)*addition.Rows])
			}
		}
	}
	for m := range s.members {
		batch := batchFor(m, s.j, rows, rewards)
		task := instance(t, mix(s.seed, r, uint64(m)), s.members[m], roundInput(rd), batchInput(batch))
		cp, err := task.Train(1)
		if err != nil {
			t.Fatal(err)
		}
		s.members[m] = cp
	}
	s.cost += time.Since(t0)
	s.rounds++
}

// accuracy is the members' mean held-out accuracy.
func (s *swarm) accuracy(t testing.TB) float64 {
	sum := 0.0
	for _, cp := range s.members {
		sum += evalMetrics(t, cp)["accuracy"]
	}
	return sum / float64(len(s.members))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// The warm-up curve: held-out accuracy after w supervised steps, for each swarm seed.
func TestWarmupCurve(t *testing.T) {
	if os.Getenv("RL_EXPLORE") == "" {
		t.Skip("set RL_EXPLORE=1")
	}
	every := envInt("RL_EVERY", 50)
	for _, seed := range []uint64{1, 2, 3}[:envInt("RL_SEEDS", 3)] {
		// One instance at a time: the SDK's native runs share the package's state.
		var cp *host.Checkpoint
		task := instance(t, seed, nil)
		var line []string
		for s := 1; s <= envInt("RL_W", 600); s++ {
			var err error
			if cp, err = task.Step(uint64(s)); err != nil {
				t.Fatal(err)
			}
			if s%every == 0 {
				line = append(line, fmt.Sprintf("%d:%.3f", s, evalMetrics(t, cp)["accuracy"]))
				task = instance(t, seed, cp)
			}
		}
		t.Logf("seed %d: %s", seed, strings.Join(line, " "))
	}
}

// Sharing against training alone, over swarm seeds. RL_SOLO=1 runs the lone member only.
func TestSwarmBenefit(t *testing.T) {
	if os.Getenv("RL_EXPLORE") == "" {
		t.Skip("set RL_EXPLORE=1")
	}
	rounds, w := envInt("RL_ROUNDS", 30), envInt("RL_W", addition.Warmup)
	soloOnly := os.Getenv("RL_SOLO") != ""
	t.Logf("W %d LR %v temperature %v Q %d G %d", w, addition.LR, addition.Temperature, addition.Questions, addition.Group)
	final3 := func(a []float64) float64 { return (a[len(a)-1] + a[len(a)-2] + a[len(a)-3]) / 3 }
	for _, seed := range []uint64{1, 2, 3}[:envInt("RL_SEEDS", 3)] {
		start := startState(t, seed, w)
		a0 := evalMetrics(t, start)["accuracy"]
		solo := newSwarm(seed, 1, 0, start)
		shared := newSwarm(seed, 4, addition.Group/2, start)
		var as, ac, rs, rc []float64
		for r := uint64(1); r <= uint64(rounds); r++ {
			solo.reward, shared.reward = 0, 0
			solo.round(t, r)
			as, rs = append(as, solo.accuracy(t)), append(rs, solo.reward)
			if !soloOnly {
				shared.round(t, r)
				ac, rc = append(ac, shared.accuracy(t)), append(rc, shared.reward)
			}
		}
		// The threshold: halfway from the start to the lone member's final accuracy (the
		// mean of its last three rounds, as one round's is noisy).
		final := final3(as)
		threshold := a0 + (final-a0)/2
		if soloOnly {
			t.Logf("seed %d: start %.3f, solo final %.3f\n solo acc   %s\n solo reward   %s\n cost per member-round %v",
				seed, a0, final, curve(as), curve(rs), solo.cost/time.Duration(solo.rounds))
			continue
		}
		t.Logf("seed %d: start %.3f, solo final %.3f, shared final %.3f, threshold %.3f; rounds to threshold: solo %d, shared %d\n solo acc   %s\n shared acc %s\n solo reward   %s\n shared reward %s\n cost per member-round: solo %v, shared %v",
			seed, a0, final, final3(ac), threshold, reach(as, threshold), reach(ac, threshold), curve(as), curve(ac), curve(rs), curve(rc),
			solo.cost/time.Duration(solo.rounds), shared.cost/time.Duration(shared.rounds*4))
	}
}

// reach returns the first round (from 1) whose accuracy is at least threshold, or -1.
func reach(acc []float64, threshold float64) int {
	for i, a := range acc {
		if a >= threshold {
			return i + 1
		}
	}
	return -1
}

func curve(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, " ")
}
