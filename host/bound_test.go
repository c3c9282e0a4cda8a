package host

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/kernels"
)

// operands draws the inputs and attribute words of one call of op: shapes around one base
// shape, so that many calls are valid and many are not, and attributes that are either
// the operator's own kind (axes, permutations, shapes, sizes, RNGs, hyperparameters) or
// arbitrary words.
type operands struct {
	rng  *rand.Rand
	base []int
}

func (o *operands) dim() int {
	if o.rng.IntN(8) == 0 {
		return 0
	}
	return 1 + o.rng.IntN(4)
}

func (o *operands) shape() []int {
	s := slices.Clone(o.base)
	switch o.rng.IntN(9) {
	case 0, 1, 2: // the base
	case 3:
		if len(s) >= 2 {
			s[len(s)-1], s[len(s)-2] = s[len(s)-2], s[len(s)-1]
		}
	case 4:
		if len(s) > 0 {
			s[o.rng.IntN(len(s))] = 1
		}
	case 5:
		s = s[o.rng.IntN(len(s)+1):]
	case 6:
		s = append([]int{o.dim()}, s...)
	case 7:
		if len(s) > 0 {
			s = append(s[:len(s)-1:len(s)-1], o.dim(), o.dim())
		}
	default:
		s = make([]int, o.rng.IntN(4))
		for i := range s {
			s[i] = o.dim()
		}
	}
	return s
}

func (o *operands) tensor(int32s bool) *kernels.Tensor {
	shape := o.shape()
	n := 1
	for _, d := range shape {
		n *= d
	}
	if int32s {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(o.rng.IntN(4))
		}
		t, _ := kernels.NewInt32(shape, v)
		return t
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(o.rng.NormFloat64())
	}
	t, _ := kernels.New(shape, v)
	return t
}

func (o *operands) word() uint32 {
	switch o.rng.IntN(6) {
	case 0:
		return math.Float32bits([]float32{0.5, 1, 1e-5, 0.9, float32(math.NaN())}[o.rng.IntN(5)])
	case 1:
		return uint32(1 << (10 + o.rng.IntN(12))) // large: the bound must see it coming
	}
	return uint32(int32(o.rng.IntN(8) - 3))
}

func ints(v []int) []uint32 {
	w := make([]uint32, len(v))
	for i, x := range v {
		w[i] = uint32(int32(x))
	}
	return w
}

// fitted returns operands that fit together, for the operators whose operands random
// shapes rarely fit (nil for the others).
func (o *operands) fitted(op Opcode) ([]*kernels.Tensor, []uint32) {
	f32 := func(shape ...int) *kernels.Tensor {
		x, _ := kernels.Zeros(shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(o.rng.NormFloat64())
		}
		return x
	}
	labels := func(n, c int) *kernels.Tensor {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(o.rng.IntN(c))
		}
		x, _ := kernels.NewInt32([]int{n}, v)
		return x
	}
	n, c := 1+o.rng.IntN(4), 1+o.rng.IntN(4)
	switch op {
	case OpMatMulBackward:
		batch := o.base[:o.rng.IntN(min(2, len(o.base))+1)]
		m, k, nn := o.dim(), o.dim(), o.dim()
		ta, tb := o.rng.IntN(2) == 1, o.rng.IntN(2) == 1
		sa, sb := []int{m, k}, []int{k, nn}
		if ta {
			sa = []int{k, m}
		}
		if tb {
			sb = []int{nn, k}
		}
		switch o.rng.IntN(3) {
		case 0:
			sa = append(slices.Clone(batch), sa...)
			sb = append(slices.Clone(batch), sb...)
		case 1:
			sa = append(slices.Clone(batch), sa...)
		default:
			sb = append(slices.Clone(batch), sb...)
		}
		flag := func(b bool) uint32 {
			if b {
				return 1
			}
			return 0
		}
		return []*kernels.Tensor{f32(sa...), f32(sb...), f32(append(slices.Clone(batch), m, nn)...)}, []uint32{flag(ta), flag(tb)}
	case OpCrossEntropy:
		return []*kernels.Tensor{f32(n, c), labels(n, c)}, nil
	case OpCrossEntropyBackward:
		return []*kernels.Tensor{f32(n, c), labels(n, c), kernels.Scalar(1)}, nil
	case OpLayerNorm, OpLayerNormBackward:
		x := f32(append(slices.Clone(o.base), c)...)
		return []*kernels.Tensor{x, f32(c), f32(x.Shape()...)}, []uint32{math.Float32bits(1e-5)}
	}
	return nil, nil
}

// call returns operands for op: usually its own arity and attribute kinds, sometimes not.
func (o *operands) call(op Opcode) ([]*kernels.Tensor, []uint32) {
	if o.rng.IntN(2) == 0 {
		if in, a := o.fitted(op); in != nil {
			return in, a
		}
	}
	spec := ops[op]
	n := spec.inputs
	if n < 0 {
		n = 1 + o.rng.IntN(4)
	}
	if o.rng.IntN(20) == 0 {
		n = o.rng.IntN(4)
	}
	in := make([]*kernels.Tensor, n)
	for i := range in {
		intsWanted := (op == OpCrossEntropy || op == OpCrossEntropyBackward || op == OpEmbedding) && i == 1 || op == OpEmbeddingBackward && i == 0
		in[i] = o.tensor(intsWanted != (o.rng.IntN(10) == 0))
	}
	if o.rng.IntN(4) == 0 {
		w := make([]uint32, o.rng.IntN(10))
		for i := range w {
			w[i] = o.word()
		}
		return in, w
	}
	f := func(v float32) uint32 { return math.Float32bits(v) }
	axis := uint32(int32(o.rng.IntN(5) - 2))
	rng6 := []uint32{o.rng.Uint32(), 0, 1, 0, o.rng.Uint32(), 0}
	rank := len(o.base)
	if n > 0 {
		rank = in[0].Rank()
	}
	var a []uint32
	switch op {
	case OpMatMul, OpMatMulBackward:
		a = []uint32{uint32(o.rng.IntN(2)), uint32(o.rng.IntN(2))}
	case OpReduceTo, OpReshape:
		a = ints(o.shape())
		if op == OpReshape && o.rng.IntN(2) == 0 {
			a = []uint32{math.MaxUint32}
		}
	case OpScale, OpLayerNorm, OpLayerNormBackward, OpClipGradNorm:
		a = []uint32{o.word()}
	case OpEmbeddingBackward:
		a = []uint32{uint32(o.rng.IntN(5))}
	case OpSum, OpMean, OpConcat:
		a = []uint32{axis}
	case OpSumBackward, OpMeanBackward, OpSliceBackward:
		shape := o.shape()
		a = []uint32{axis}
		if op == OpSliceBackward {
			a = append(a, uint32(o.rng.IntN(3)))
		}
		a = append(a, ints(shape)...)
	case OpTranspose:
		p := o.rng.Perm(rank)
		a = ints(p)
	case OpSlice:
		a = []uint32{axis, uint32(o.rng.IntN(3)), uint32(o.rng.IntN(4))}
	case OpSplit:
		a = []uint32{axis}
		for range o.rng.IntN(4) {
			a = append(a, uint32(o.rng.IntN(3)))
		}
	case OpUniform:
		a = append(rng6, ints(o.shape())...)
	case OpNormal:
		a = append(append(rng6, f(0), f(1)), ints(o.shape())...)
	case OpDropout:
		a = append(rng6, f(0.25))
	case OpSGD:
		a = []uint32{f(0.1), f(float32(o.rng.IntN(2)) * 0.9), f(0.01)}
	case OpAdamW:
		a = []uint32{1, 0, f(1e-3), f(0.9), f(0.999), f(1e-8), f(0.01)}
	}
	return in, a
}

// outputBound is a real upper bound, for every operator: on random operands, valid and
// not, no call makes more output elements than the bound, or allocates more than its
// bytes plus a fixed allocation per worker; the operator makes exactly outputCount
// outputs; and it reads as f32 exactly the words floatAttrs names.
func TestOutputBound(t *testing.T) {
	trials := 400
	if testing.Short() {
		trials = 100
	}
	// Fixed allocations: a gemm A panel per worker, shapes, closures, span refills.
	slack := uint64(64<<10 + runtime.GOMAXPROCS(0)*80<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for op := Opcode(1); op < opEnd; op++ {
		valid := 0
		for range trials {
			o := &operands{rng: rng}
			o.base = make([]int, rng.IntN(5))
			for i := range o.base {
				o.base[i] = o.dim()
			}
			in, attrs := o.call(op)
			if checkBound(t, op, attrs, in, slack) {
				valid++
			}
		}
		if valid == 0 {
			t.Errorf("%s: no valid call among %d random ones; the test does not cover it", op, trials)
		}
	}
}

// checkBound runs one call and checks it against outputBound; it reports whether the
// call succeeded.
func checkBound(t *testing.T, op Opcode, attrs []uint32, in []*kernels.Tensor, slack uint64) bool {
	t.Helper()
	bound := outputBound(op, attrs, in)
	if bound < 0 || bound > boundCap {
		t.Fatalf("%s %v on %v: bound %d", op, attrs, in, bound)
	}
	if bound > 1<<24 {
		return false // a refused call: the bound is what keeps it from running
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	outs, a, err := apply(op, attrs, in)
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 4*uint64(bound)+slack {
		t.Errorf("%s %v on %v allocated %d bytes, bound %d elements", op, attrs, in, alloc, bound)
	}
	if a != nil {
		for i := range 64 {
			if a.floats&(1<<i) != 0 && !slices.Contains(floatAttrs(op), i) {
				t.Errorf("%s reads attribute %d as f32, floatAttrs does not list it", op, i)
			}
		}
	}
	if err != nil {
		return false
	}
	made := int64(0)
	for _, o := range outs {
		made += int64(o.Len())
	}
	if made > bound {
		t.Errorf("%s %v on %v made %d output elements, bound %d", op, attrs, in, made, bound)
	}
	if len(outs) != outputCount(op, attrs, len(in)) {
		t.Errorf("%s made %d outputs, outputCount says %d", op, len(outs), outputCount(op, attrs, len(in)))
	}
	for _, i := range floatAttrs(op) {
		if a.floats&(1<<i) == 0 {
			t.Errorf("%s did not read attribute %d as f32, floatAttrs lists it", op, i)
		}
	}
	return true
}

// Calls whose kernels would allocate far more than their inputs and outputs suggest:
// the bound covers them, and the allocation check above would catch it if it did not.
func TestOutputBoundAmplifiers(t *testing.T) {
	z := func(shape ...int) *kernels.Tensor { x, _ := kernels.Zeros(shape...); return x }
	idx := func(n int) *kernels.Tensor { x, _ := kernels.NewInt32([]int{n}, make([]int32, n)); return x }
	rep := func(x *kernels.Tensor, n int) []*kernels.Tensor {
		r := make([]*kernels.Tensor, n)
		for i := range r {
			r[i] = x
		}
		return r
	}
	slack := uint64(64<<10 + runtime.GOMAXPROCS(0)*80<<10)
	cases := []struct {
		name  string
		op    Opcode
		attrs []uint32
		in    []*kernels.Tensor
	}{
		{"thin matmul: gemm pads b to 16 columns", OpMatMul, []uint32{0, 0}, []*kernels.Tensor{z(1, 1<<15), z(1<<15, 1)}},
		{"thin matmul, b transposed", OpMatMul, []uint32{0, 1}, []*kernels.Tensor{z(8, 1<<14), z(1, 1<<14)}},
		{"batched matmul with k = 0", OpMatMul, []uint32{0, 0}, []*kernels.Tensor{z(64, 64, 0), z(64, 0, 64)}},
		// (Small matrices per batch entry: a gemm call's own fixed scratch stays out of it.)
		{"matmul backward, shared a", OpMatMulBackward, []uint32{0, 0}, []*kernels.Tensor{z(8, 8), z(4096, 8, 1), z(4096, 8, 1)}},
		{"matmul backward, shared b, a transposed", OpMatMulBackward, []uint32{1, 0}, []*kernels.Tensor{z(4096, 8, 8), z(8, 8), z(4096, 8, 8)}},
		{"matmul backward, shared b", OpMatMulBackward, []uint32{0, 1}, []*kernels.Tensor{z(16, 64, 64), z(64, 64), z(16, 64, 64)}},
		{"sum over an empty axis", OpSum, []uint32{0}, []*kernels.Tensor{z(0, 512, 512)}},
		{"concat of one tensor many times", OpConcat, []uint32{0}, rep(z(64, 64), 64)},
		{"embedding", OpEmbedding, nil, []*kernels.Tensor{z(4, 256), idx(1024)}},
		{"embedding backward", OpEmbeddingBackward, []uint32{1 << 12}, []*kernels.Tensor{idx(1), z(1, 64)}},
		{"clip over copies of one tensor", OpClipGradNorm, []uint32{math.Float32bits(1)}, rep(z(128, 128), 16)},
		{"layer norm backward", OpLayerNormBackward, []uint32{0}, []*kernels.Tensor{z(256, 256), z(256), z(256, 256)}},
		{"mul backward of an outer product", OpMulBackward, nil, []*kernels.Tensor{z(256, 256), z(256, 1), z(1, 256)}},
		{"sub backward", OpSubBackward, nil, []*kernels.Tensor{z(256, 256), z(256, 1), z(1, 256)}},
		{"broadcast add", OpAdd, nil, []*kernels.Tensor{z(512, 1), z(1, 512)}},
		{"sum backward", OpSumBackward, []uint32{0, 512, 1, 512}, []*kernels.Tensor{z(1, 512)}},
		{"slice backward", OpSliceBackward, []uint32{0, 0, 512, 512}, []*kernels.Tensor{z(1, 512)}},
		{"uniform", OpUniform, []uint32{0, 0, 0, 0, 0, 0, 512, 512}, nil},
		{"dropout", OpDropout, []uint32{0, 0, 0, 0, 0, 0, math.Float32bits(0.5)}, []*kernels.Tensor{z(512, 512)}},
		{"adamw", OpAdamW, []uint32{1, 0, 0, 0, 0, math.Float32bits(1e-8), 0}, []*kernels.Tensor{z(256, 256), z(256, 256), z(256, 256), z(256, 256)}},
		{"transpose of a scalar", OpTranspose, nil, []*kernels.Tensor{kernels.Scalar(1)}},
	}
	for _, c := range cases {
		if !checkBound(t, c.op, c.attrs, c.in, slack) {
			t.Errorf("%s: the call failed or was not run", c.name)
		}
	}
}
