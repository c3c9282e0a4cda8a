package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every backward operator against central finite differences of the float64 oracle:
// with a random cotangent w, the gradient of L = sum(w * f(x)) with respect to each input
// element is (L(x+h) - L(x-h)) / 2h, computed entirely in float64.

type gradCase struct {
	name   string
	inputs []*Tensor                           // the operands, float32
	diff   []bool                              // which operands to differentiate (nil: all)
	fwd    func(in []t64) t64                  // the float64 forward
	bwd    func(dy *Tensor) ([]*Tensor, error) // the kernels' backward, one gradient per operand
}

func finiteDiff(c gradCase, w t64, k int) []float64 {
	in := make([]t64, len(c.inputs))
	for i, x := range c.inputs {
		in[i] = to64(x)
	}
	loss := func() float64 {
		y := c.fwd(in)
		s := 0.0
		for i, v := range y.d {
			s += w.d[i] * v
		}
		return s
	}
	g := make([]float64, len(in[k].d))
	for j := range g {
		x0 := in[k].d[j]
		h := 1e-4 * math.Max(1, math.Abs(x0))
		in[k].d[j] = x0 + h
		up := loss()
		in[k].d[j] = x0 - h
		down := loss()
		in[k].d[j] = x0
		g[j] = (up - down) / (2 * h)
	}
	return g
}

func runGradCase(t *testing.T, rng *rand.Rand, c gradCase) {
	t.Helper()
	in := make([]t64, len(c.inputs))
	for i, x := range c.inputs {
		in[i] = to64(x)
	}
	out := c.fwd(in)
	dy := randTensor(t, rng, -1, 1, out.shape...)
	grads, err := c.bwd(dy)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if len(grads) != len(c.inputs) {
		t.Fatalf("%s: %d gradients for %d operands", c.name, len(grads), len(c.inputs))
	}
	for k, g := range grads {
		if c.diff != nil && !c.diff[k] {
			continue
		}
		if !sameShape(g.shape, c.inputs[k].shape) {
			t.Fatalf("%s: gradient %d shape %v, operand shape %v", c.name, k, g.shape, c.inputs[k].shape)
		}
		fd := finiteDiff(c, to64(dy), k)
		scale := 1e-6
		for _, v := range fd {
			scale = math.Max(scale, math.Abs(v))
		}
		for j, want := range fd {
			if d := math.Abs(float64(g.f32[j]) - want); !(d <= 2e-3*math.Abs(want)+1e-3*scale) {
				t.Fatalf("%s: d/d(operand %d)[%d] = %v, finite difference %v", c.name, k, j, g.f32[j], want)
			}
		}
	}
}

func pair(a, b *Tensor, err error) ([]*Tensor, error) { return []*Tensor{a, b}, err }
func one(a *Tensor, err error) ([]*Tensor, error)     { return []*Tensor{a}, err }

func TestBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	r := func(lo, hi float32, shape ...int) *Tensor { return randTensor(t, rng, lo, hi, shape...) }
	var cases []gradCase

	// matmul: all transpose variants, batched, shared right and shared left operands
	for _, mc := range []struct {
		a, b   []int
		ta, tb bool
	}{
		{[]int{7, 13}, []int{13, 5}, false, false},
		{[]int{13, 7}, []int{13, 5}, true, false},
		{[]int{7, 13}, []int{5, 13}, false, true},
		{[]int{13, 7}, []int{5, 13}, true, true},
		{[]int{2, 3, 4}, []int{2, 4, 5}, false, false},
		{[]int{2, 3, 4}, []int{4, 5}, false, false},
		{[]int{2, 4, 3}, []int{4, 5}, true, false},
		{[]int{2, 3, 4}, []int{5, 4}, false, true},
		{[]int{2, 4, 3}, []int{5, 4}, true, true},
		{[]int{3, 4}, []int{2, 4, 5}, false, false},
		{[]int{4, 3}, []int{2, 5, 4}, true, true},
	} {
		a, b, ta, tb := r(-1, 1, mc.a...), r(-1, 1, mc.b...), mc.ta, mc.tb
		cases = append(cases, gradCase{
			name: "matmul", inputs: []*Tensor{a, b},
			fwd: func(in []t64) t64 { return matmul64(in[0], in[1], ta, tb) },
			bwd: func(dy *Tensor) ([]*Tensor, error) { return pair(MatMulBackward(a, b, dy, ta, tb)) },
		})
	}

	// broadcasting arithmetic
	for _, sh := range [][2][]int{{{3, 4}, {4}}, {{3, 1}, {2, 1, 5}}, {{5}, {5}}} {
		a, b := r(-2, 2, sh[0]...), r(0.5, 2, sh[1]...)
		out, _ := broadcastShape("", a.shape, b.shape)
		cases = append(cases,
			gradCase{name: "add", inputs: []*Tensor{a, b},
				fwd: func(in []t64) t64 { return binary64(in[0], in[1], out, func(x, y float64) float64 { return x + y }) },
				bwd: func(dy *Tensor) ([]*Tensor, error) { return pair(AddBackward(dy, a.shape, b.shape)) }},
			gradCase{name: "sub", inputs: []*Tensor{a, b},
				fwd: func(in []t64) t64 { return binary64(in[0], in[1], out, func(x, y float64) float64 { return x - y }) },
				bwd: func(dy *Tensor) ([]*Tensor, error) { return pair(SubBackward(dy, a.shape, b.shape)) }},
			gradCase{name: "mul", inputs: []*Tensor{a, b},
				fwd: func(in []t64) t64 { return binary64(in[0], in[1], out, func(x, y float64) float64 { return x * y }) },
				bwd: func(dy *Tensor) ([]*Tensor, error) { return pair(MulBackward(dy, a, b)) }},
			gradCase{name: "div", inputs: []*Tensor{a, b},
				fwd: func(in []t64) t64 { return binary64(in[0], in[1], out, func(x, y float64) float64 { return x / y }) },
				bwd: func(dy *Tensor) ([]*Tensor, error) { return pair(DivBackward(dy, a, b)) }},
		)
	}

	// unary operators: forward in float64, backward from the kernels' own forward output
	// where the backward takes y
	away := func(lo, hi float32) *Tensor { // avoid the kink of relu at 0
		x := r(lo, hi, 3, 7)
		for i, v := range x.f32 {
			if math.Abs(float64(v)) < 0.05 {
				x.f32[i] = 0.5
			}
		}
		return x
	}
	sigmoid64 := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, uc := range []struct {
		name string
		x    *Tensor
		f64  func(float64) float64
		fwd  func(*Tensor) (*Tensor, error)
		bwd  func(x, y, dy *Tensor) (*Tensor, error)
	}{
		{"relu", away(-2, 2), func(x float64) float64 { return math.Max(x, 0) }, Relu,
			func(x, _, dy *Tensor) (*Tensor, error) { return ReluBackward(x, dy) }},
		{"gelu", r(-4, 4, 3, 7), gelu64, Gelu, func(x, _, dy *Tensor) (*Tensor, error) { return GeluBackward(x, dy) }},
		{"sigmoid", r(-6, 6, 3, 7), sigmoid64, Sigmoid, func(_, y, dy *Tensor) (*Tensor, error) { return SigmoidBackward(y, dy) }},
		{"tanh", r(-3, 3, 3, 7), math.Tanh, Tanh, func(_, y, dy *Tensor) (*Tensor, error) { return TanhBackward(y, dy) }},
		{"exp", r(-3, 3, 3, 7), math.Exp, Exp, func(_, y, dy *Tensor) (*Tensor, error) { return ExpBackward(y, dy) }},
		{"log", r(0.1, 5, 3, 7), math.Log, Log, func(x, _, dy *Tensor) (*Tensor, error) { return LogBackward(x, dy) }},
		{"sqrt", r(0.1, 5, 3, 7), math.Sqrt, Sqrt, func(_, y, dy *Tensor) (*Tensor, error) { return SqrtBackward(y, dy) }},
		{"square", r(-3, 3, 3, 7), func(x float64) float64 { return x * x }, Square,
			func(x, _, dy *Tensor) (*Tensor, error) { return SquareBackward(x, dy) }},
		{"scale", r(-3, 3, 3, 7), func(x float64) float64 { return x * float64(float32(-0.7)) },
			func(x *Tensor) (*Tensor, error) { return Scale(x, -0.7) },
			func(_, _, dy *Tensor) (*Tensor, error) { return ScaleBackward(dy, -0.7) }},
	} {
		uc := uc
		y := must[*Tensor](t)(uc.fwd(uc.x))
		cases = append(cases, gradCase{name: uc.name, inputs: []*Tensor{uc.x},
			fwd: func(in []t64) t64 {
				o := t64{shape: in[0].shape, d: make([]float64, len(in[0].d))}
				for i, v := range in[0].d {
					o.d[i] = uc.f64(v)
				}
				return o
			},
			bwd: func(dy *Tensor) ([]*Tensor, error) { return one(uc.bwd(uc.x, y, dy)) }})
	}

	// softmax family
	x := r(-3, 3, 4, 7)
	sm, lsm := must[*Tensor](t)(Softmax(x)), must[*Tensor](t)(LogSoftmax(x))
	cases = append(cases,
		gradCase{name: "softmax", inputs: []*Tensor{x}, fwd: func(in []t64) t64 { return softmax64(in[0], false) },
			bwd: func(dy *Tensor) ([]*Tensor, error) { return one(SoftmaxBackward(sm, dy)) }},
		gradCase{name: "log_softmax", inputs: []*Tensor{x}, fwd: func(in []t64) t64 { return softmax64(in[0], true) },
			bwd: func(dy *Tensor) ([]*Tensor, error) { return one(LogSoftmaxBackward(lsm, dy)) }},
	)
	labels := must[*Tensor](t)(NewInt32([]int{4}, []int32{6, 0, 3, 3}))
	cases = append(cases, gradCase{name: "cross_entropy", inputs: []*Tensor{x},
		fwd: func(in []t64) t64 { return t64{shape: []int{}, d: []float64{crossEntropy64(in[0], labels.i32)}} },
		bwd: func(dy *Tensor) ([]*Tensor, error) { return one(CrossEntropyBackward(x, labels, dy)) }})

	// layer norm
	lx, lg, lb := r(-2, 3, 5, 7), r(0.5, 1.5, 7), r(-1, 1, 7)
	const eps = 1e-5
	cases = append(cases, gradCase{name: "layer_norm", inputs: []*Tensor{lx, lg, lb},
		fwd: func(in []t64) t64 { return layerNorm64(in[0], in[1], in[2], float64(float32(eps))) },
		bwd: func(dy *Tensor) ([]*Tensor, error) {
			dx, dg, db, err := LayerNormBackward(lx, lg, dy, eps)
			return []*Tensor{dx, dg, db}, err
		}})

	// embedding (differentiable in the table only)
	table := r(-1, 1, 6, 4)
	idx := must[*Tensor](t)(NewInt32([]int{2, 3}, []int32{5, 0, 5, 2, 5, 1}))
	cases = append(cases, gradCase{name: "embedding", inputs: []*Tensor{table},
		fwd: func(in []t64) t64 {
			o := t64{shape: []int{2, 3, 4}}
			for _, k := range idx.i32 {
				o.d = append(o.d, in[0].d[int(k)*4:int(k)*4+4]...)
			}
			return o
		},
		bwd: func(dy *Tensor) ([]*Tensor, error) { return one(EmbeddingBackward(idx, dy, 6)) }})

	// reductions and layout
	sx := r(-1, 1, 3, 4, 5)
	for axis := 0; axis < 3; axis++ {
		axis := axis
		cases = append(cases,
			gradCase{name: "sum", inputs: []*Tensor{sx}, fwd: func(in []t64) t64 { return sum64(in[0], axis) },
				bwd: func(dy *Tensor) ([]*Tensor, error) { return one(SumBackward(dy, sx.shape, axis)) }},
			gradCase{name: "mean", inputs: []*Tensor{sx},
				fwd: func(in []t64) t64 {
					s := sum64(in[0], axis)
					for i := range s.d {
						s.d[i] /= float64(sx.shape[axis])
					}
					return s
				},
				bwd: func(dy *Tensor) ([]*Tensor, error) { return one(MeanBackward(dy, sx.shape, axis)) }})
	}
	cases = append(cases,
		gradCase{name: "transpose", inputs: []*Tensor{sx},
			fwd: func(in []t64) t64 {
				o := t64{shape: []int{5, 3, 4}, d: make([]float64, 60)}
				for i := range o.d {
					idx := unravel(i, o.shape)
					o.d[i] = in[0].d[(idx[1]*4+idx[2])*5+idx[0]]
				}
				return o
			},
			bwd: func(dy *Tensor) ([]*Tensor, error) { return one(TransposeBackward(dy, 2, 0, 1)) }},
		gradCase{name: "slice", inputs: []*Tensor{sx},
			fwd: func(in []t64) t64 {
				o := t64{shape: []int{3, 2, 5}}
				for i := 0; i < 30; i++ {
					idx := unravel(i, o.shape)
					o.d = append(o.d, in[0].d[(idx[0]*4+idx[1]+1)*5+idx[2]])
				}
				return o
			},
			bwd: func(dy *Tensor) ([]*Tensor, error) { return one(SliceBackward(dy, sx.shape, 1, 1)) }},
	)
	ca, cb := r(-1, 1, 2, 3), r(-1, 1, 2, 4)
	cases = append(cases, gradCase{name: "concat", inputs: []*Tensor{ca, cb},
		fwd: func(in []t64) t64 {
			o := t64{shape: []int{2, 7}}
			for row := 0; row < 2; row++ {
				o.d = append(o.d, in[0].d[row*3:row*3+3]...)
				o.d = append(o.d, in[1].d[row*4:row*4+4]...)
			}
			return o
		},
		bwd: func(dy *Tensor) ([]*Tensor, error) { return Split(dy, 1, 3, 4) }})
	// The mask sets a constant above the diagonal, so the gradient there is 0 whatever the
	// constant; the float64 forward uses a finite one to keep L finite.
	mx := r(-1, 1, 2, 4, 4)
	cases = append(cases, gradCase{name: "causal_mask", inputs: []*Tensor{mx},
		fwd: func(in []t64) t64 {
			o := t64{shape: in[0].shape, d: append([]float64(nil), in[0].d...)}
			for i := range o.d {
				if idx := unravel(i, o.shape); idx[2] > idx[1] {
					o.d[i] = -1
				}
			}
			return o
		},
		bwd: func(dy *Tensor) ([]*Tensor, error) { return one(CausalMaskBackward(dy)) }})
	dx := r(-1, 1, 5, 9)
	_, mask, err := Dropout(dx, 0.3, RNG{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, gradCase{name: "dropout", inputs: []*Tensor{dx},
		fwd: func(in []t64) t64 {
			o := t64{shape: in[0].shape, d: make([]float64, len(in[0].d))}
			for i, v := range in[0].d {
				o.d[i] = v * float64(mask.f32[i])
			}
			return o
		},
		bwd: func(dy *Tensor) ([]*Tensor, error) { return one(DropoutBackward(dy, mask)) }})

	for _, c := range cases {
		runGradCase(t, rng, c)
	}
	t.Logf("%d backward cases checked", len(cases))
}
