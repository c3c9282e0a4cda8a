package addition_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/guest/rl"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

func TestCheckerAndQuestions(t *testing.T) {
	q := addition.Question{A: 7, B: 35}
	if got := addition.Prompt(q); !slices.Equal(got, []int32{0, 7, addition.Plus, 3, 5, addition.Equals}) {
		t.Errorf("prompt %v", got)
	}
	e := int32(addition.End)
	for _, c := range []struct {
		name       string
		q          addition.Question
		completion []int32
		want       float32
	}{
		{"exact", q, []int32{4, 2, e, e}, 1},
		{"exact, junk after the end", q, []int32{4, 2, e, 7}, 1},
		{"one digit wrong", q, []int32{4, 3, e, e}, 0},
		{"no end token", q, []int32{4, 2, 1, e}, 0},
		{"all wrong", q, []int32{1, 1, 1, 1}, 0},
		{"a token out of range", q, []int32{4, 2, e, 13}, 0},
		{"a negative token", q, []int32{-1, 2, e, e}, 0},
		{"0 + 0", addition.Question{}, []int32{0, e, e, e}, 1},
		{"99 + 99", addition.Question{A: 99, B: 99}, []int32{1, 9, 8, e}, 1},
		{"99 + 99, the end too early", addition.Question{A: 99, B: 99}, []int32{1, 9, e, e}, 0},
	} {
		if got := addition.Reward(c.q, c.completion); got != c.want {
			t.Errorf("%s: reward %v, want %v", c.name, got, c.want)
		}
	}
	// The held-out questions are never asked in a round.
	for seed := uint64(0); seed < 200; seed++ {
		for _, q := range addition.RoundQuestions(seed) {
			if addition.HeldOut(q) {
				t.Fatalf("round with question seed %d asks the held-out %v", seed, q)
			}
		}
	}
	if n := len(addition.HeldOutQuestions()); n < 500 || n > 800 {
		t.Errorf("%d held-out questions", n)
	}
}

// same reports whether two checkpoints hold the same tensors, but for the names skipped.
func same(a, b *host.Checkpoint, skip ...string) bool {
	for _, name := range slices.Sorted(maps.Keys(a.Tensors)) {
		if !slices.Contains(skip, name) && !kernels.Equal(a.Tensors[name], b.Tensors[name]) {
			return false
		}
	}
	return len(a.Tensors) == len(b.Tensors)
}

// Generate writes the rows into rl/rollouts and nothing else; they are a function of the
// state, the instance seed and the round, ordered by question, and score like the
// checker says.
func TestGenerate(t *testing.T) {
	start := startState(t, 1, 50)
	rd := rl.Round{Number: 3, QuestionSeed: 99}
	generate := func(seed uint64, r rl.Round) (*host.Checkpoint, float64) {
		task := instance(t, seed, start, roundInput(r))
		cp, err := task.Generate(1)
		if err != nil {
			t.Fatal(err)
		}
		return cp, task.Session().Metrics()["reward"]
	}
	a, reward := generate(10, rd)
	b, _ := generate(10, rd)
	c, _ := generate(11, rd)
	d, _ := generate(10, rl.Round{Number: 4, QuestionSeed: 99})
	if a.Root != b.Root {
		t.Fatal("the same state, seed and round generated different rollouts")
	}
	if same(a, c) || same(a, d) {
		t.Fatal("another instance seed or round generated the same rollouts")
	}
	if !same(a, start, rl.RolloutsState) || same(a, start) {
		t.Fatal("generate changed more than the rollouts, or not them")
	}
	rows := rolloutRows(a)
	qs := addition.RoundQuestions(rd.QuestionSeed)
	var total float32
	for i, r := range rows {
		if r.Question() != int32(i/addition.Group) {
			t.Fatalf("row %d answers question %d", i, r.Question())
		}
		total += addition.Reward(qs[r.Question()], r.Completion())
	}
	if want := float64(total) / float64(len(rows)); reward != want {
		t.Errorf("generate reported reward %v, the checker gives %v", reward, want)
	}
}

// Score hands over the checker's reward of each row, malformed rows 0, and changes no
// state.
func TestScore(t *testing.T) {
	rd := rl.Round{Number: 1, QuestionSeed: 5}
	qs := addition.RoundQuestions(rd.QuestionSeed)
	e := int32(addition.End)
	right := append(rl.Row{2}, addition.Completion(qs[2])...)
	batch := []rl.Row{right, {2, 0, e, e, e}, {int32(addition.Questions), 1, 2, e, e}, {-1, 1, 2, e, e}, {0, 99, 1, 2, 3}, {1, 1, 1, 1, 1}}
	task := instance(t, 4, nil, roundInput(rd), batchInput(batch))
	before := task.Session().Checkpoint()
	got, err := task.Score(1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, addition.Reward(qs[2], batch[1].Completion()), 0, 0, 0, addition.Reward(qs[1], batch[5].Completion())}
	if !slices.Equal(got, want) {
		t.Errorf("rewards %v, want %v", got, want)
	}
	if after := task.Session().Checkpoint(); !same(before, after) || string(after.Blob) != string(before.Blob) {
		t.Error("score changed the state")
	}
	// A batch that is not whole rows is refused.
	task = instance(t, 4, nil, roundInput(rd), host.NewInput(rl.BatchInput, make([]byte, 12)))
	if _, err := task.Score(1); err == nil {
		t.Error("a batch of 12 bytes was scored")
	}
}

// Train changes the parameters (and the optimizer's state), not the rollouts, and takes
// malformed rows without failing.
func TestTrain(t *testing.T) {
	start := startState(t, 1, 20)
	rd := rl.Round{Number: 1, QuestionSeed: 5}
	task := instance(t, 8, start, roundInput(rd))
	gen, err := task.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	batch := append(rolloutRows(gen), rl.Row{-5, 1, 2, 3, 4}, rl.Row{0, 77, 1, 2, 3})
	task = instance(t, 8, gen, roundInput(rd), batchInput(batch))
	cp, err := task.Train(1)
	if err != nil {
		t.Fatal(err)
	}
	if !kernels.Equal(cp.Tensors[rl.RolloutsState], gen.Tensors[rl.RolloutsState]) {
		t.Error("train changed the rollouts")
	}
	for _, name := range []string{"tok", "head.w", "block0.attn.q.w"} {
		if kernels.Equal(cp.Tensors[name], gen.Tensors[name]) {
			t.Errorf("train left %s as it was", name)
		}
	}
	if m := task.Session().Metrics(); m["loss"] == 0 || m["reward"] <= 0 {
		t.Errorf("train metrics %v", m)
	}
}

// The sloppy teacher of the warm-up drops every carry.
func TestSloppy(t *testing.T) {
	for _, c := range []struct {
		a, b, want int32
		carries    bool
	}{
		{7, 32, 39, false},
		{7, 35, 32, true},
		{57, 68, 15, true},
		{95, 5, 90, true},
		{50, 60, 10, true},
		{99, 99, 88, true},
		{0, 0, 0, false},
	} {
		q := addition.Question{A: c.a, B: c.b}
		if got := addition.Sloppy(q); got.A+got.B != c.want {
			t.Errorf("sloppy %d+%d = %d, want %d", c.a, c.b, got.A+got.B, c.want)
		}
		if got := addition.Carries(q); got != c.carries {
			t.Errorf("%d+%d carries: %v, want %v", c.a, c.b, got, c.carries)
		}
	}
}

// Eval's one teacher-forced pass gives the accuracy of greedy decoding in T passes.
func TestEvalIsGreedy(t *testing.T) {
	for _, w := range []int{30, 120} {
		cp := startState(t, 2, w)
		task := native.New(addition.NewSamplingEvalTask(), 0, nil, host.DefaultLimits(), nil)
		if _, err := task.Init(); err != nil {
			t.Fatal(err)
		}
		if err := task.Restore(cp); err != nil {
			t.Fatal(err)
		}
		if err := task.Eval(); err != nil {
			t.Fatal(err)
		}
		want := task.Session().Metrics()["accuracy"]
		if got := evalMetrics(t, cp)["accuracy"]; got != want {
			t.Errorf("after %d warm-up steps: accuracy %v, by sampling %v", w, got, want)
		}
		t.Logf("after %d warm-up steps: accuracy %v", w, want)
	}
}
