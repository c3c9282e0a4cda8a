package host

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/kernels"
)

// BenchmarkTraceCost runs the operators of one MLP training step (batch 256, 784 -> h
// -> 10) through a Session, which hashes every output and chains the trace, and the same
// operators as bare kernels calls, in one run; it reports the share of step time the
// trace adds.
func BenchmarkTraceCost(b *testing.B) {
	for _, hidden := range []int{128, 1024} {
		b.Run(fmt.Sprintf("hidden=%d", hidden), func(b *testing.B) {
			rng := func(s uint64, shape ...int) *kernels.Tensor {
				t, _ := kernels.Normal(kernels.RNG{Seed: s}, 0, 0.1, shape...)
				return t
			}
			x, w1, w2 := rng(1, 256, 784), rng(2, 784, hidden), rng(3, hidden, 10)
			labels := make([]int32, 256)
			y, _ := kernels.NewInt32([]int{256}, labels)
			one := kernels.Scalar(1)
			type call struct {
				op    Opcode
				attrs []uint32
				in    []int // indices into the value list
			}
			// values: 0 x, 1 w1, 2 w2, 3 y, 4 one, then outputs appended in order
			steps := []call{
				{OpMatMul, []uint32{0, 0}, []int{0, 1}},             // 5 h
				{OpRelu, nil, []int{5}},                             // 6 a
				{OpMatMul, []uint32{0, 0}, []int{6, 2}},             // 7 logits
				{OpCrossEntropy, nil, []int{7, 3}},                  // 8 loss
				{OpCrossEntropyBackward, nil, []int{7, 3, 4}},       // 9 dlogits
				{OpMatMulBackward, []uint32{0, 0}, []int{6, 2, 9}},  // 10 da, 11 dw2
				{OpReluBackward, nil, []int{5, 10}},                 // 12 dh
				{OpMatMulBackward, []uint32{0, 0}, []int{0, 1, 12}}, // 13 dx, 14 dw1
			}
			var bare, traced time.Duration
			for i := 0; i < b.N; i++ {
				vals := []*kernels.Tensor{x, w1, w2, y, one}
				t0 := time.Now()
				for _, c := range steps {
					in := make([]*kernels.Tensor, len(c.in))
					for j, k := range c.in {
						in[j] = vals[k]
					}
					out, err := Apply(c.op, c.attrs, in)
					if err != nil {
						b.Fatal(err)
					}
					vals = append(vals, out...)
				}
				t1 := time.Now()
				s := NewSession(DefaultLimits(), nil, nil)
				hs := []uint32{}
				for _, t := range []*kernels.Tensor{x, w1, w2, y, one} {
					data := make([]byte, 4*t.Len())
					encodeElements(data, t)
					h, err := s.NewTensor(t.DType(), t.Shape(), data)
					if err != nil {
						b.Fatal(err)
					}
					hs = append(hs, h)
				}
				t2 := time.Now()
				for _, c := range steps {
					in := make([]uint32, len(c.in))
					for j, k := range c.in {
						in[j] = hs[k]
					}
					out, err := s.Op(c.op, c.attrs, in)
					if err != nil {
						b.Fatal(err)
					}
					hs = append(hs, out...)
				}
				bare += t1.Sub(t0)
				traced += time.Since(t2)
			}
			b.ReportMetric(float64(bare.Microseconds())/float64(b.N), "kernels-us/step")
			b.ReportMetric(float64(traced.Microseconds())/float64(b.N), "traced-us/step")
			b.ReportMetric(100*(traced.Seconds()-bare.Seconds())/bare.Seconds(), "trace-overhead-%")
			b.ReportMetric(0, "ns/op")
		})
	}
}
