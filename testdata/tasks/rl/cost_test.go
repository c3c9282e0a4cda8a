package addition_test

import (
	"os"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/guest/rl"
)

// The cost of a member's round (generate, score the rows of 4 members, train) and of an
// evaluation, natively.
func TestCost(t *testing.T) {
	if os.Getenv("RL_EXPLORE") == "" {
		t.Skip("set RL_EXPLORE=1")
	}
	start := startState(t, 1, 20)
	const n = 5
	var gen, sc, tr, ev time.Duration
	for r := uint64(1); r <= n; r++ {
		rd := rl.Round{Number: r, QuestionSeed: r}
		t0 := time.Now()
		task := instance(t, r, start, roundInput(rd))
		cp, err := task.Generate(1)
		if err != nil {
			t.Fatal(err)
		}
		gen += time.Since(t0)
		rows := rolloutRows(cp)
		var all []rl.Row
		for range 4 {
			all = append(all, rows...)
		}
		t0 = time.Now()
		task = instance(t, r, nil, roundInput(rd), batchInput(all))
		if _, err := task.Score(1); err != nil {
			t.Fatal(err)
		}
		sc += time.Since(t0)
		t0 = time.Now()
		task = instance(t, r, cp, roundInput(rd), batchInput(rows))
		if _, err := task.Train(1); err != nil {
			t.Fatal(err)
		}
		tr += time.Since(t0)
		t0 = time.Now()
		evalMetrics(t, cp)
		ev += time.Since(t0)
	}
	t.Logf("per call: generate %v, score %v, train %v (member-round %v); eval %v",
		gen/n, sc/n, tr/n, (gen+sc+tr)/n, ev/n)
}
