package verde

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// BenchmarkDispute disputes a digits run of 1000 steps and a charlm run of 200 steps, each
// against a copy with one bit of one in-place update flipped at a random step, and
// reports the referee's compute beside a full re-execution of the run (target: under
// 0.1%), the rounds, the bytes the parties sent, and what answering cost the parties.
//
//	go test ./ledger/verde -run '^$' -bench Dispute -benchtime 1x
func BenchmarkDispute(b *testing.B) {
	for _, c := range []struct {
		task, input string
		steps       uint64
	}{{"digits", "digits.csv.gz", 1000}, {"charlm", "opticks.txt", 200}} {
		b.Run(c.task, func(b *testing.B) {
			ctx := context.Background()
			wasm, err := os.ReadFile("../../testdata/tasks/" + c.task + "/" + c.task + ".wasm")
			if err != nil {
				b.Fatal(err)
			}
			data, err := os.ReadFile("../../testdata/data/" + c.input)
			if err != nil {
				b.Fatal(err)
			}
			inputs := []host.Input{host.NewInput(c.input, data)}
			rng := rand.New(rand.NewPCG(7, uint64(c.steps)))
			for i := 0; i < b.N; i++ {
				at := 1 + rng.Uint64N(c.steps)
				fault := func(ev *host.OpEvent) {
					if ev.Step == at && ev.Op.InPlace() && ev.Outputs[0].DType() == kernels.Float32 {
						v := append([]float32(nil), ev.Outputs[0].Float32s()...)
						v[0] = math.Float32frombits(math.Float32bits(v[0]) ^ 1<<5)
						ev.Outputs[0], _ = kernels.New(ev.Outputs[0].Shape(), v)
					}
				}
				tk := task{wasm: wasm, inputs: inputs, seed: 1, steps: c.steps, every: 50}
				parties := [2]*RunParty{partyFor(b, tk, faults{}), partyFor(b, tk, faults{op: fault})}
				start := time.Now()
				r, err := Referee{}.Play(ctx, "honest", parties[0], "cheat", parties[1], c.steps)
				if err != nil {
					b.Fatal(err)
				}
				game := time.Since(start)
				full := time.Now()
				if _, err := parties[0].r.Range(ctx, 0, c.steps); err != nil {
					b.Fatal(err)
				}
				fullTime := time.Since(full)
				frac := 100 * r.RefereeTime.Seconds() / fullTime.Seconds()
				b.ReportMetric(frac, "referee-%-of-reexec")
				b.ReportMetric(float64(r.Rounds), "rounds")
				b.ReportMetric(float64(r.Bytes), "bytes")
				b.ReportMetric(0, "ns/op")
				b.Logf("%s, %d steps, flip at step %d: %v", c.task, c.steps, at, r)
				b.Logf("referee %v against a full re-execution of %v: %.4f%% (target < 0.1%%); %d rounds (bound %d), %d bytes; the game took %v, the parties recomputed %d and %d steps",
					r.RefereeTime, fullTime.Round(time.Millisecond), frac, r.Rounds, int(math.Ceil(math.Log2(float64(c.steps))))+int(math.Ceil(math.Log2(float64(len(parties[0].traces[r.Step].Entries)))))+2,
					r.Bytes, game.Round(time.Millisecond), parties[0].Recomputed, parties[1].Recomputed)
			}
		})
	}
}
