package addition_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/guest/rl"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

// With half of each group replaced by the right answer, Train learns like a supervised
// step: the held-out accuracy rises (a check of the loss's sign and scale; about 10 s).
func TestOracleTrain(t *testing.T) {
	if os.Getenv("RL_EXPLORE") == "" {
		t.Skip("set RL_EXPLORE=1")
	}
	cp := startState(t, 1, 200)
	var accs []string
	for r := uint64(1); r <= 15; r++ {
		rd := rl.Round{Number: r, QuestionSeed: mix(1, r)}
		task := instance(t, mix(1, r, 0), cp, roundInput(rd))
		cp2, err := task.Generate(1)
		if err != nil {
			t.Fatal(err)
		}
		rows := rolloutRows(cp2)
		qs := addition.RoundQuestions(rd.QuestionSeed)
		for i := range rows {
			if i%addition.Group < addition.Group/2 {
				rows[i] = append(rl.Row{rows[i][0]}, addition.Completion(qs[rows[i][0]])...)
			}
		}
		task = instance(t, mix(1, r, 0), cp2, roundInput(rd), batchInput(rows))
		if cp, err = task.Train(1); err != nil {
			t.Fatal(err)
		}
		m := task.Session().Metrics()
		accs = append(accs, fmt.Sprintf("%.2f(%.3f)", evalMetrics(t, cp)["accuracy"], m["loss"]))
	}
	t.Log(strings.Join(accs, " "))
}
