package rl_test

import (
	"math"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/guest/rl"
	"github.com/lockstep-ml/lockstep/host"
)

// The tests run SDK code natively, on a host session, as a task's Init.

type initTask func() error

func (f initTask) Init(uint64) error { return f() }
func (f initTask) Step(uint64) error { return nil }

func mustCall(t *testing.T, f func() error) {
	t.Helper()
	if _, err := native.New(initTask(f), 1, nil, host.DefaultLimits(), nil).Init(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundAndRowsRoundTrip(t *testing.T) {
	r := rl.Round{Number: 7, QuestionSeed: 1<<63 | 5}
	if got, err := rl.ParseRound(r.Bytes()); err != nil || got != r {
		t.Fatalf("ParseRound(Bytes()) = %v, %v", got, err)
	}
	if _, err := rl.ParseRound(make([]byte, 15)); err == nil {
		t.Error("a 15-byte round parsed")
	}
	rows := []rl.Row{{0, 1, 2, -3}, {1, 1 << 30, 0, 12}}
	got, err := rl.DecodeRows(rl.EncodeRows(rows), 4)
	if err != nil || len(got) != 2 || !slices.Equal(got[0], rows[0]) || !slices.Equal(got[1], rows[1]) {
		t.Fatalf("DecodeRows(EncodeRows) = %v, %v", got, err)
	}
	if got[1].Question() != 1 || !slices.Equal(got[1].Completion(), []int32{1 << 30, 0, 12}) {
		t.Errorf("row 1: question %d, completion %v", got[1].Question(), got[1].Completion())
	}
	for _, c := range []struct {
		name  string
		b     []byte
		width int
	}{
		{"empty", nil, 4},
		{"a partial row", make([]byte, 20), 4},
		{"zero width", make([]byte, 16), 0},
		{"too many rows", make([]byte, 4*(rl.MaxBatchRows+1)), 1},
	} {
		if _, err := rl.DecodeRows(c.b, c.width); err == nil {
			t.Errorf("%s: decoded", c.name)
		}
	}
	w := []float32{0, 0.25, 1}
	if got, err := rl.DecodeRewards(rl.EncodeRewards(w)); err != nil || !slices.Equal(got, w) {
		t.Errorf("DecodeRewards(EncodeRewards) = %v, %v", got, err)
	}
}

// Advantages are r − mean over the rows of each group (and divided by the group's std
// plus AdvantageEps when normalized), whatever the order of the rows; an all-equal group
// gives exactly 0.
func TestAdvantages(t *testing.T) {
	rewards := []float32{1, 0, 0.5, 0, 1, 1, 0.25, 0}
	groups := []int32{3, 3, 9, 3, 9, 7, 9, 7}
	for _, normalize := range []bool{false, true} {
		var got []float32
		mustCall(t, func() error {
			got = rl.Advantages(rewards, groups, normalize).Float32s()
			return guest.Err()
		})
		for i, r := range rewards {
			var sum, sq, n float64
			for j, g := range groups {
				if g == groups[i] {
					sum += float64(rewards[j])
					n++
				}
			}
			mean := sum / n
			for j, g := range groups {
				if g == groups[i] {
					sq += (float64(rewards[j]) - mean) * (float64(rewards[j]) - mean)
				}
			}
			want := float64(r) - mean
			if normalize {
				want /= math.Sqrt(sq/n) + rl.AdvantageEps
			}
			if math.Abs(float64(got[i])-want) > 1e-5*max(1, math.Abs(want)) {
				t.Errorf("normalize %v: row %d advantage %v, want %v", normalize, i, got[i], want)
			}
		}
	}
	var same []float32
	mustCall(t, func() error {
		same = rl.Advantages([]float32{1, 1, 0, 0}, []int32{0, 0, 1, 1}, true).Float32s()
		return guest.Err()
	})
	for i, a := range same {
		if a != 0 {
			t.Errorf("an all-equal group: row %d advantage %v, want 0", i, a)
		}
	}
}

func TestCompletionMask(t *testing.T) {
	const end = 9
	rows := []rl.Row{{0, 1, end, end, end}, {0, end, 4, 4, 4}, {1, 1, 2, 3, 4}, {1, 1, 2, 3, end}}
	want := []float32{1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}
	mustCall(t, func() error {
		m, n := rl.CompletionMask(rows, end)
		if got := m.Float32s(); !slices.Equal(got, want) || n != 11 || !slices.Equal(m.Shape(), []int{4, 4}) {
			t.Errorf("mask %v %v (%d ones), want %v (11)", m.Shape(), got, n, want)
		}
		return guest.Err()
	})
}

// PolicyLoss is −Σ A·mask·logp / tokens, and its gradient with respect to logp is
// −A·mask / tokens.
func TestPolicyLoss(t *testing.T) {
	logp := []float32{-1, -2, -0.5, -3, -0.25, -4}
	adv := []float32{0.5, -1}
	mask := []float32{1, 1, 0, 1, 0, 0}
	mustCall(t, func() error {
		lp := guest.Param("logp", guest.FromFloat32s(logp, 2, 3))
		loss := rl.PolicyLoss(lp, guest.FromFloat32s(adv, 2), guest.FromFloat32s(mask, 2, 3), 3)
		guest.Backward(loss)
		want := -(0.5*(-1-2) + -1*(-3)) / 3.0
		if got := loss.Item(); math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("loss %v, want %v", got, want)
		}
		for i, g := range lp.Grad.Float32s() {
			if w := -float64(adv[i/3]*mask[i]) / 3; math.Abs(float64(g)-w) > 1e-6 {
				t.Errorf("gradient[%d] = %v, want %v", i, g, w)
			}
		}
		return guest.Err()
	})
}

// Sample: greedy decoding follows the argmax, rows stay end tokens after their end, and
// sampling draws from softmax(logits/temperature), reproducibly for one RNG.
func TestSample(t *testing.T) {
	const v, end = 4, 3
	// A "model" whose logits do not depend on the input: token probabilities p.
	p := []float64{0.5, 0.3, 0.15, 0.05}
	forward := func(ids *guest.Tensor) *guest.Tensor {
		b, l := ids.Dim(0), ids.Dim(1)
		logits := make([]float32, 0, b*l*v)
		for range b * l {
			for _, q := range p {
				logits = append(logits, float32(math.Log(q)))
			}
		}
		return guest.FromFloat32s(logits, b, l, v)
	}
	const rows, n = 2000, 3
	prompts := make([][]int32, rows)
	for i := range prompts {
		prompts[i] = []int32{0, 1}
	}
	var a, b, greedy [][]int32
	mustCall(t, func() error {
		a = rl.Sample(prompts, n, end, 1, &guest.RNG{Seed: 5}, forward)
		b = rl.Sample(prompts, n, end, 1, &guest.RNG{Seed: 5}, forward)
		greedy = rl.Sample(prompts[:3], n, end, 0, &guest.RNG{Seed: 5}, forward)
		return guest.Err()
	})
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("row %d: %v, then %v from the same RNG", i, a[i], b[i])
		}
		for k := 1; k < n; k++ {
			if a[i][k-1] == end && a[i][k] != end {
				t.Fatalf("row %d continues after its end: %v", i, a[i])
			}
		}
	}
	if !slices.Equal(greedy[0], []int32{0, 0, 0}) {
		t.Errorf("greedy completion %v, want the argmax 0 0 0", greedy[0])
	}
	counts := make([]float64, v)
	for _, c := range a {
		counts[c[0]]++
	}
	for k, q := range p { // first tokens: 2000 draws, 4 standard deviations
		if sd := math.Sqrt(rows * q * (1 - q)); math.Abs(counts[k]-rows*q) > 4*sd {
			t.Errorf("token %d drawn %v times in %d, want about %v", k, counts[k], rows, rows*q)
		}
	}
}

// TokenLogProbs picks log softmax(logits) at the ids.
func TestTokenLogProbs(t *testing.T) {
	logits := []float32{1, 2, 3, 0, 0, 0}
	ids := []int32{2, 1}
	mustCall(t, func() error {
		got := guest.TokenLogProbs(guest.FromFloat32s(logits, 2, 3), guest.FromInt32s(ids, 2)).Float32s()
		want := []float64{3 - math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)), -math.Log(3)}
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-6 {
				t.Errorf("log prob %d = %v, want %v", i, got[i], want[i])
			}
		}
		return guest.Err()
	})
}
