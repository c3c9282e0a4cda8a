package kernels

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// BenchmarkMatMul times MatMul and gonum's Sgemm on the same inputs in the same run and
// reports both rates and their ratio. Run with -cpu 1 for the one-core figure:
//
//	go test ./kernels -run '^$' -bench MatMul -cpu 1
func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			x, y := randTensor(b, rng, -1, 1, n, n), randTensor(b, rng, -1, 1, n, n)
			gc := make([]float32, n*n)
			ga := blas32.General{Rows: n, Cols: n, Stride: n, Data: x.f32}
			gb := blas32.General{Rows: n, Cols: n, Stride: n, Data: y.f32}
			gout := blas32.General{Rows: n, Cols: n, Stride: n, Data: gc}
			var ours, theirs time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := MatMul(x, y, false, false); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gout)
				ours, theirs = ours+t1.Sub(t0), theirs+time.Since(t1)
			}
			flops := 2 * float64(n) * float64(n) * float64(n) * float64(b.N)
			b.ReportMetric(flops/ours.Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(flops/theirs.Seconds()/1e9, "gonum-GFLOP/s")
			b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-gonum")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkElementwise reports the bytes moved per second (two inputs read, one output
// written) by Add, and by Gelu (one in, one out), beside a plain Go copy of the same bytes.
func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := randTensor(b, rng, -3, 3, n), randTensor(b, rng, -3, 3, n)
	bench := func(name string, bytes int, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(bytes))
			for i := 0; i < b.N; i++ {
				f()
			}
		})
	}
	dst := make([]float32, n)
	bench("copy", 8*n, func() { copy(dst, x.f32) })
	bench("add", 12*n, func() { _, _ = Add(x, y) })
	bench("mul-broadcast-row", 8*n+4*1024, func() { _, _ = Mul(x.reshaped(1024, 1024), y.reshaped(1024, 1024).row0()) })
	bench("relu", 8*n, func() { _, _ = Relu(x) })
	bench("exp", 8*n, func() { _, _ = Exp(x) })
	bench("gelu", 8*n, func() { _, _ = Gelu(x) })
	sm := x.reshaped(1024, 1024)
	bench("softmax-1024x1024", 8*n, func() { _, _ = Softmax(sm) })
	bench("hash", 4*n, func() { _ = Hash(x) })
	raw := make([]byte, 4*n)
	bench("sha256-raw", 4*n, func() { _ = sha256.Sum256(raw) })
}

func (t *Tensor) reshaped(shape ...int) *Tensor {
	return &Tensor{dtype: t.dtype, shape: shape, f32: t.f32}
}
func (t *Tensor) row0() *Tensor {
	n := t.shape[len(t.shape)-1]
	return &Tensor{dtype: Float32, shape: []int{n}, f32: t.f32[:n]}
}
