package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every fast kernel must equal the reference bit for bit, on awkward shapes, all
// transpose variants, and inputs with signed zeros, subnormals, infinities and NaNs.
func TestGemmMatchesReference(t *testing.T) {
	dims := []int{1, 3, 7, 13, 16, 17, 64, 257}
	if testing.Short() {
		dims = []int{1, 7, 17, 64}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, kern := range fastKernels() {
		for _, m := range dims {
			for _, k := range dims {
				for _, n := range dims {
					for variant := 0; variant < 4; variant++ {
						ta, tb := variant&1 == 1, variant&2 == 2
						a := randTensor(t, rng, -2, 2, m*k)
						b := randTensor(t, rng, -2, 2, k*n)
						if variant == 3 {
							sprinkle(rng, a, 50)
							sprinkle(rng, b, 50)
						}
						ma, mb := matrix{data: a.f32, rows: m, cols: k, trans: ta}, matrix{data: b.f32, rows: k, cols: n, trans: tb}
						if ta {
							ma.rows, ma.cols = k, m
						}
						if tb {
							mb.rows, mb.cols = n, k
						}
						want := make([]float32, m*n)
						matmulRef(ma, mb, want)
						for _, workers := range []int{1, 3} {
							got := make([]float32, m*n)
							for i := range got {
								got[i] = 12345 // the kernel must overwrite, not accumulate
							}
							gemmWith(kern, ma, mb, got, workers)
							canonSlice(got)
							canonSlice(want)
							if i := bitsDiffer(got, want); i >= 0 {
								t.Fatalf("%s kernel, m=%d k=%d n=%d transA=%v transB=%v workers=%d: element %d is %v (%#08x), reference %v (%#08x)",
									name, m, k, n, ta, tb, workers, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
							}
						}
					}
				}
			}
		}
	}
}

// K larger than one block makes the kernel resume from partial sums kept in C.
func TestGemmAcrossKBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, kern := range fastKernels() {
		for _, shape := range [][3]int{{5, 1000, 19}, {37, 3 * kcBlock, 33}, {1, kcBlock + 1, 1}} {
			m, k, n := shape[0], shape[1], shape[2]
			a, b := randTensor(t, rng, -1, 1, m*k), randTensor(t, rng, -1, 1, k*n)
			ma, mb := matrix{data: a.f32, rows: m, cols: k}, matrix{data: b.f32, rows: k, cols: n}
			want, got := make([]float32, m*n), make([]float32, m*n)
			matmulRef(ma, mb, want)
			gemmWith(kern, ma, mb, got, 2)
			if i := bitsDiffer(got, want); i >= 0 {
				t.Fatalf("%s kernel %v: element %d differs: %v vs %v", name, shape, i, got[i], want[i])
			}
		}
	}
}
