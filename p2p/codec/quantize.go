package codec

import (
	"errors"
	"fmt"
	"math"
)

// The arithmetic here reaches a hash: every product is rounded to float32 by an explicit
// conversion before anything adds to it, so no compiler can fuse it (RATIONALE.md, "Why
// float32(a*b) + c everywhere?").

// scaleOf is the scale of a block whose largest magnitude is m.
func scaleOf(m float32) float32 { return m / 127 }

// quantize is x/s rounded half away from zero and clamped to [-127, 127]; 0 if s is 0.
// The quotient is rounded to float32 first, and math.Round of a float64 is exact.
func quantize(x, s float32) int8 {
	if s == 0 {
		return 0
	}
	q := math.Round(float64(float32(x / s)))
	return int8(max(-127, min(127, q)))
}

// dequantize is the value q stands for in a block of scale s.
func dequantize(q int8, s float32) float32 { return float32(float32(q) * s) }

// checkScale refuses a scale that is not finite, has its sign bit set (-0 included), or
// whose largest value, 127·s, overflows.
func checkScale(s float32) error {
	switch {
	case math.Float32bits(s)>>31 != 0:
		return errors.New("negative")
	case math.IsNaN(float64(s)) || math.IsInf(float64(s), 0):
		return errors.New("not finite")
	case math.IsInf(float64(dequantize(127, s)), 0):
		return errors.New("127 times it overflows")
	}
	return nil
}

// quantizeKept quantizes v at the kept indices, in blocks of block, and turns residual
// (a copy of v) into v − decoded at those indices.
func quantizeKept(v []float32, kept []uint32, block int, residual []float32) (*sparse, error) {
	u := &sparse{n: len(v), block: block, index: kept, scale: make([]float32, blocks(len(kept), block)), q: make([]int8, len(kept))}
	for b := range u.scale {
		lo, hi := b*block, min(len(kept), (b+1)*block)
		var m float32
		for _, i := range kept[lo:hi] {
			m = max(m, math.Float32frombits(magnitude(v[i])))
		}
		s := scaleOf(m)
		if err := checkScale(s); err != nil {
			return nil, fmt.Errorf("update: block %d (largest magnitude %g) cannot be quantized: its scale %g: %w", b, m, s, err)
		}
		u.scale[b] = s
		for j := lo; j < hi; j++ {
			i := kept[j]
			u.q[j] = quantize(v[i], s)
			residual[i] = v[i] - dequantize(u.q[j], s)
		}
	}
	return u, nil
}
