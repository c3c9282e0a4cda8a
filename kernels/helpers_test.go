package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randTensor returns a tensor of the given shape with elements uniform in [lo, hi),
// drawn from a seeded PCG so each test is reproducible.
func randTensor(t testing.TB, rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t.Helper()
	data := make([]float32, numel(shape))
	for i := range data {
		data[i] = lo + (hi-lo)*rng.Float32()
	}
	x, err := New(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// bitsEqual reports the first index where a and b differ in bits, or -1.
func bitsDiffer(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// specials are the values that most often break a fast path: signed zeros, subnormals,
// infinities, NaN, and the extremes.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1e-40, float32(math.Inf(1)),
	float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1, -1,
}

// sprinkle overwrites about one element in every `every` with a special value.
func sprinkle(rng *rand.Rand, x *Tensor, every int) {
	for i := range x.f32 {
		if rng.IntN(every) == 0 {
			x.f32[i] = canon(specials[rng.IntN(len(specials))])
		}
	}
}
