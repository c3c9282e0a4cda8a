package codec

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// With Beta 1, Feedback is Encode of the update plus the whole residual, bit for bit; with
// Beta b it is Encode of float32(b·residual) + update. Either way the residual it keeps is
// what the payload did not deliver.
func TestFeedbackCarriesTheResidual(t *testing.T) {
	const n, rounds = 3000, 6
	c := DefaultConfig()
	c.Level = zstd.SpeedFastest
	for _, beta := range []float32{1, 0.9, 0.5, 0} {
		f := Feedback{Beta: beta}
		var residual []float32
		for r := range rounds {
			delta := normalish(uint64(40+r), n)
			want := slices.Clone(delta)
			for i := range residual {
				want[i] = float32(beta*residual[i]) + delta[i]
			}
			wantPayload, wantResidual := mustEncode(t, want, c)
			payload, err := f.Encode(delta, c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(payload, n)
			if err != nil {
				t.Fatal(err)
			}
			wantDecoded, _ := Decode(wantPayload, n)
			if sum256(le(got)) != sum256(le(wantDecoded)) || sum256(le(f.Residual())) != sum256(le(wantResidual)) {
				t.Fatalf("beta %g, round %d: the payload or the residual differs from Encode's", beta, r)
			}
			residual = wantResidual
		}
	}
}

// A decayed residual stays bounded by the updates: with Beta < 1 it cannot exceed
// max|update|/(1−Beta), whatever is sent.
func TestFeedbackDecayBoundsTheResidual(t *testing.T) {
	const n, rounds, beta = 1000, 200, 0.9
	c := DefaultConfig()
	c.Level = zstd.SpeedFastest
	v := normalish(12, n)
	vmax := 0.0
	for _, x := range v {
		vmax = max(vmax, math.Abs(float64(x)))
	}
	f := Feedback{Beta: beta}
	for range rounds {
		if _, err := f.Encode(v, c); err != nil {
			t.Fatal(err)
		}
	}
	worst := 0.0
	for _, r := range f.Residual() {
		worst = max(worst, math.Abs(float64(r)))
	}
	if bound := vmax / (1 - beta) * (1 + 1e-5); worst > bound {
		t.Errorf("the residual reached %g, past %g", worst, bound)
	}
}

// A refused round leaves the residual as it was.
func TestFeedbackRefuses(t *testing.T) {
	c := DefaultConfig()
	f := Feedback{Beta: 0.9}
	if _, err := f.Encode(normalish(1, 100), c); err != nil {
		t.Fatal(err)
	}
	before := f.Residual()
	bad := normalish(2, 100)
	bad[7] = float32(math.NaN())
	for _, tc := range []struct {
		name  string
		f     Feedback
		delta []float32
		want  string
	}{
		{"NaN", f, bad, "element 7 of 100 is NaN"},
		{"length", f, normalish(3, 99), "99 elements after rounds of 100"},
		{"beta past 1", Feedback{Beta: 1.5, residual: f.residual}, normalish(3, 100), "decay 1.5 is not in [0, 1]"},
		{"beta NaN", Feedback{Beta: float32(math.NaN()), residual: f.residual}, normalish(3, 100), "decay NaN"},
	} {
		if _, err := tc.f.Encode(tc.delta, c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
		if !slices.Equal(tc.f.Residual(), before) {
			t.Errorf("%s: the residual changed", tc.name)
		}
	}
}
