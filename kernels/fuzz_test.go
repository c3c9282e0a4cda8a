package kernels

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// FuzzGemm: for any shape, transpose flags, worker count and data, every kernel equals
// the reference bit for bit. The seeds are the awkward shapes of the tables.
func FuzzGemm(f *testing.F) {
	for _, s := range [][3]uint8{{1, 1, 1}, {7, 13, 3}, {17, 1, 33}, {6, 255, 16}, {5, 3, 200}} {
		f.Add(s[0], s[1], s[2], uint8(0), uint64(1))
		f.Add(s[0], s[1], s[2], uint8(7), uint64(2))
	}
	f.Fuzz(func(t *testing.T, m, k, n, flags uint8, seed uint64) {
		if m == 0 || n == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		ta, tb, workers := flags&1 == 1, flags&2 == 2, 1+int(flags>>2)%4
		a, b := randTensor(t, rng, -2, 2, int(m)*int(k)), randTensor(t, rng, -2, 2, int(k)*int(n))
		if flags&32 != 0 {
			sprinkle(rng, a, 20)
			sprinkle(rng, b, 20)
		}
		ma, mb := matrix{data: a.f32, rows: int(m), cols: int(k), trans: ta}, matrix{data: b.f32, rows: int(k), cols: int(n), trans: tb}
		if ta {
			ma.rows, ma.cols = ma.cols, ma.rows
		}
		if tb {
			mb.rows, mb.cols = mb.cols, mb.rows
		}
		want := make([]float32, int(m)*int(n))
		matmulRef(ma, mb, want)
		canonSlice(want)
		for name, kern := range fastKernels() {
			got := make([]float32, len(want))
			gemmWith(kern, ma, mb, got, workers)
			canonSlice(got)
			if i := bitsDiffer(got, want); i >= 0 {
				t.Fatalf("%s kernel m=%d k=%d n=%d ta=%v tb=%v workers=%d: element %d is %v, reference %v", name, m, k, n, ta, tb, workers, i, got[i], want[i])
			}
		}
	})
}

// FuzzShapes: operators given arbitrary shapes either succeed with a consistent result
// shape or return an *OpError; they never panic.
func FuzzShapes(f *testing.F) {
	f.Add([]byte{2, 3, 3, 4}, uint8(0))
	f.Add([]byte{3, 1, 5, 4, 1}, uint8(1))
	f.Add([]byte{0, 7, 7, 0}, uint8(2))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 255}, uint8(3))
	f.Fuzz(func(t *testing.T, dims []byte, which uint8) {
		if len(dims) > 12 {
			return
		}
		half := len(dims) / 2
		sa, sb := toShape(dims[:half]), toShape(dims[half:])
		a, errA := Zeros(sa...)
		b, errB := Zeros(sb...)
		if errA != nil || errB != nil {
			return // too large: that it errs is checked in TestBadInput
		}
		var err error
		var out *Tensor
		switch which % 6 {
		case 0:
			out, err = MatMul(a, b, which&8 != 0, which&16 != 0)
		case 1:
			out, err = Add(a, b)
		case 2:
			out, err = Concat(0, a, b)
		case 3:
			out, err = Transpose(a, reversed(len(sa))...)
		case 4:
			out, err = Softmax(a)
		case 5:
			out, err = Reshape(a, sb...)
		}
		var oe *OpError
		if err != nil && !errors.As(err, &oe) {
			t.Fatalf("error %v is not an *OpError", err)
		}
		if err == nil && numel(out.shape) != len(out.f32) {
			t.Fatalf("result shape %v does not match %d elements", out.shape, len(out.f32))
		}
	})
}

func toShape(b []byte) []int {
	s := make([]int, len(b))
	for i, v := range b {
		s[i] = int(v % 9)
	}
	return s
}

func reversed(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = n - 1 - i
	}
	return p
}
