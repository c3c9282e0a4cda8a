package guest_test

import (
	"math"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
)

// HoldOut is a pure function of its seed, and its two sets are disjoint and cover the
// rows.
func TestHoldOut(t *testing.T) {
	for _, c := range []struct {
		name     string
		n, nTest int
		seed     uint64
	}{
		{"a fifth", 100, 20, 1},
		{"digits' split", 1797, 300, 0x5EED_D161},
		{"no test rows", 10, 0, 2},
		{"only test rows", 10, 10, 3},
		{"no rows", 0, 0, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			train, test := guest.HoldOut(c.n, c.nTest, c.seed)
			if len(train) != c.n-c.nTest || len(test) != c.nTest {
				t.Fatalf("%d train and %d test rows, want %d and %d", len(train), len(test), c.n-c.nTest, c.nTest)
			}
			all := slices.Sorted(slices.Values(append(slices.Clone(train), test...)))
			for i, r := range all {
				if r != int32(i) {
					t.Fatalf("the sets do not partition 0..%d: row %d at %d", c.n-1, r, i)
				}
			}
			train2, test2 := guest.HoldOut(c.n, c.nTest, c.seed)
			if !slices.Equal(train, train2) || !slices.Equal(test, test2) {
				t.Error("the same seed split differently")
			}
			// It is the split digits made by hand: the tail of Shuffle(n, seed, 0).
			if p := guest.Shuffle(c.n, c.seed, 0); !slices.Equal(append(slices.Clone(train), test...), p) {
				t.Error("the split is not Shuffle(n, seed, 0) cut before the last nTest rows")
			}
			if c.nTest > 0 && c.nTest < c.n {
				_ = append(train, -1) // must not write into test
				if test[0] == -1 {
					t.Error("appending to train overwrote test")
				}
				if _, other := guest.HoldOut(c.n, c.nTest, c.seed+1); slices.Equal(slices.Sorted(slices.Values(test)), slices.Sorted(slices.Values(other))) {
					t.Error("another seed held out the same rows")
				}
			}
		})
	}
	if err := call(t, func() error { guest.HoldOut(5, 6, 1); return guest.Err() }); err == nil {
		t.Error("HoldOut of 6 rows from 5 succeeded")
	}
}

func TestRows(t *testing.T) {
	data := []int32{0, 1, 10, 11, 20, 21}
	if got, want := guest.Rows(data, 2, []int32{2, 0, 2}), []int32{20, 21, 0, 1, 20, 21}; !slices.Equal(got, want) {
		t.Errorf("Rows = %v, want %v", got, want)
	}
	for name, f := range map[string]func(){
		"row out of range": func() { guest.Rows(data, 2, []int32{3}) },
		"negative row":     func() { guest.Rows(data, 2, []int32{-1}) },
		"ragged":           func() { guest.Rows([]float32{1, 2, 3}, 2, nil) },
	} {
		if err := call(t, func() error { f(); return guest.Err() }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// columnStats returns each column's mean and population standard deviation, in float64.
func columnStats(data []float32, width int) (mean, std []float64) {
	mean, std = make([]float64, width), make([]float64, width)
	n := float64(len(data) / width)
	for i, v := range data {
		mean[i%width] += float64(v)
	}
	for j := range mean {
		mean[j] /= n
	}
	for i, v := range data {
		d := float64(v) - mean[i%width]
		std[i%width] += d * d
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / n)
	}
	return mean, std
}

// Fitted on the training rows, the Standardizer gives them mean 0 and standard deviation
// 1 in every column that varies (a constant one is only centred), and maps the test rows
// with the training statistics.
func TestStandardizer(t *testing.T) {
	const width, n = 4, 200
	next := guest.Sample(1000, n*width, 9, 0)
	data := seq(n*width, func(i int) float32 {
		v := float32(next[i])
		switch i % width {
		case 0:
			return v / 1000 // [0, 1)
		case 1:
			return 1e4 + v/10 // a large offset
		case 2:
			return 7 // constant
		default:
			return -v * 3 // a large spread
		}
	})
	train, test := guest.HoldOut(n, 50, 1)
	trainX, testX := guest.Rows(data, width, train), guest.Rows(data, width, test)
	var gotTrain, gotTest, mean, std []float32
	mustCall(t, func() error {
		s := guest.FitStandardizer(guest.FromFloat32s(trainX, len(train), width))
		gotTrain = s.Apply(guest.FromFloat32s(trainX, len(train), width)).Float32s()
		gotTest = s.Apply(guest.FromFloat32s(testX, len(test), width)).Float32s()
		mean, std = s.Mean.Float32s(), s.Std.Float32s()
		return guest.Err()
	})
	m, sd := columnStats(gotTrain, width)
	wantMean, wantStd := columnStats(trainX, width)
	for j := range width {
		want := 1.0
		if j == 2 {
			want = 0
		}
		if math.Abs(m[j]) > 1e-5 || math.Abs(sd[j]-want) > 1e-5 {
			t.Errorf("column %d: mean %g, std %g after standardizing, want 0 and %g", j, m[j], sd[j], want)
		}
		if wantStd[j] == 0 {
			wantStd[j] = 1
		}
		if !near(float64(mean[j]), wantMean[j], 1e-6) || !near(float64(std[j]), wantStd[j], 1e-5) {
			t.Errorf("column %d: fitted mean %g, std %g, want %g and %g", j, mean[j], std[j], wantMean[j], wantStd[j])
		}
	}
	for i, v := range gotTest {
		j := i % width
		if want := (testX[i] - mean[j]) / std[j]; v != want {
			t.Fatalf("test value %d: %v, want (%v - %v) / %v = %v", i, v, testX[i], mean[j], std[j], want)
		}
	}
	for name, x := range map[string]func() *guest.Tensor{
		"a vector": func() *guest.Tensor { return guest.Zeros(4) },
		"no rows":  func() *guest.Tensor { return guest.Zeros(0, 4) },
	} {
		if err := call(t, func() error { guest.FitStandardizer(x()); return guest.Err() }); err == nil {
			t.Errorf("FitStandardizer of %s succeeded", name)
		}
	}
}
