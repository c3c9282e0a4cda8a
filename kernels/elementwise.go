package kernels

import "math"

// Elementwise operators (SPEC.md, "Elementwise"). Binary operators broadcast as NumPy
// does: shapes align at the last axis, and a dimension of 1 (or a missing one) stretches.

type binaryCode uint8

const (
	opAdd binaryCode = iota
	opSub
	opMul
	opDiv
)

var binaryNames = [...]string{opAdd: "add", opSub: "sub", opMul: "mul", opDiv: "div"}

// broadcastShape returns the NumPy broadcast of shapes a and b.
func broadcastShape(op string, a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, opErr(op, ErrShape, "shapes %v and %v do not broadcast (axis %d: %d vs %d)", a, b, i, da, db)
		}
	}
	return out, nil
}

// bcastStrides returns, for each axis of out, the element stride of in along it (0 where
// in is broadcast). in must broadcast to out.
func bcastStrides(in, out []int) []int {
	s := make([]int, len(out))
	stride := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(in) - len(out) + i
		if j >= 0 && in[j] != 1 {
			s[i] = stride
		}
		if j >= 0 {
			stride *= in[j]
		}
	}
	return s
}

// pairStrides returns the broadcast strides of two operands over out, for forRows, with
// each operand's stride along the last axis and the row length.
func pairStrides(a, b, out []int) (strides [][]int, sa, sb, row int) {
	strides = [][]int{bcastStrides(a, out), bcastStrides(b, out)}
	row = 1
	if last := len(out) - 1; last >= 0 {
		sa, sb, row = strides[0][last], strides[1][last], out[last]
	}
	return strides, sa, sb, row
}

// forRows calls fn for each row (last axis) of out in row-major order, with the flat out
// offset of the row and each operand's offset; the operands' strides along the last axis
// are strides[k][last].
func forRows(out []int, strides [][]int, fn func(o int, offs []int)) {
	if numel(out) == 0 {
		return
	}
	rank := len(out)
	offs := make([]int, len(strides))
	if rank == 0 {
		fn(0, offs)
		return
	}
	idx := make([]int, rank)
	row := out[rank-1]
	for o := 0; o < numel(out); o += row {
		fn(o, offs)
		// advance the odometer over axes 0..rank-2
		for ax := rank - 2; ax >= 0; ax-- {
			idx[ax]++
			for k := range offs {
				offs[k] += strides[k][ax]
			}
			if idx[ax] < out[ax] {
				break
			}
			for k := range offs {
				offs[k] -= strides[k][ax] * out[ax]
			}
			idx[ax] = 0
		}
	}
}

func broadcastBinary(code binaryCode, a, b *Tensor) (*Tensor, error) {
	op := binaryNames[code]
	if err := wantF32(op, a, b); err != nil {
		return nil, err
	}
	shape, err := broadcastShape(op, a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	if _, err := checkShape(op, shape); err != nil {
		return nil, err
	}
	out := newF32(shape)
	if sameShape(a.shape, b.shape) {
		parallelFor(len(out.f32), 1<<14, func(lo, hi int) {
			binaryLoop(code, out.f32[lo:hi], a.f32[lo:hi], b.f32[lo:hi], 1, 1)
		})
		return out, nil
	}
	strides, sa, sb, row := pairStrides(a.shape, b.shape, shape)
	forRows(shape, strides, func(o int, offs []int) {
		binaryLoop(code, out.f32[o:o+row], a.f32[offs[0]:], b.f32[offs[1]:], sa, sb)
	})
	return out, nil
}

// binaryLoop computes dst[i] = a[i*sa] (op) b[i*sb], canonicalizing NaNs.
func binaryLoop(code binaryCode, dst, a, b []float32, sa, sb int) {
	switch code {
	case opAdd:
		for i := range dst {
			dst[i] = a[i*sa] + b[i*sb]
		}
	case opSub:
		for i := range dst {
			dst[i] = a[i*sa] - b[i*sb]
		}
	case opMul:
		for i := range dst {
			dst[i] = a[i*sa] * b[i*sb]
		}
	case opDiv:
		for i := range dst {
			dst[i] = a[i*sa] / b[i*sb]
		}
	}
	canonSlice(dst)
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) (*Tensor, error) { return broadcastBinary(opAdd, a, b) }

// Sub returns a - b with broadcasting.
func Sub(a, b *Tensor) (*Tensor, error) { return broadcastBinary(opSub, a, b) }

// Mul returns a * b with broadcasting.
func Mul(a, b *Tensor) (*Tensor, error) { return broadcastBinary(opMul, a, b) }

// Div returns a / b with broadcasting.
func Div(a, b *Tensor) (*Tensor, error) { return broadcastBinary(opDiv, a, b) }

// ReduceTo sums g over the axes along which shape was broadcast to g's shape, so that the
// result has shape `shape`: the gradient of a broadcast operand. Each result element is
// the sequential sum, from +0, of the elements of g it was broadcast to, in increasing
// flat index of g. If shape equals g's shape, the result is a copy of g.
func ReduceTo(g *Tensor, shape []int) (*Tensor, error) {
	const op = "reduce_to"
	if err := wantF32(op, g); err != nil {
		return nil, err
	}
	if _, err := checkShape(op, shape); err != nil {
		return nil, err
	}
	if b, err := broadcastShape(op, shape, g.shape); err != nil || !sameShape(b, g.shape) {
		return nil, opErr(op, ErrShape, "shape %v does not broadcast to %v", shape, g.shape)
	}
	out := newF32(append([]int(nil), shape...))
	if sameShape(shape, g.shape) {
		copy(out.f32, g.f32)
		return out, nil
	}
	strides := [][]int{bcastStrides(shape, g.shape)}
	last := len(g.shape) - 1
	s, row := strides[0][last], g.shape[last]
	forRows(g.shape, strides, func(o int, offs []int) {
		dst := out.f32[offs[0]:]
		for i, v := range g.f32[o : o+row] {
			dst[i*s] += v
		}
	})
	canonSlice(out.f32)
	return out, nil
}

// AddBackward returns the gradients of a + b for operands of shapes aShape and bShape.
func AddBackward(dy *Tensor, aShape, bShape []int) (da, db *Tensor, err error) {
	if da, err = ReduceTo(dy, aShape); err != nil {
		return nil, nil, err
	}
	if db, err = ReduceTo(dy, bShape); err != nil {
		return nil, nil, err
	}
	return da, db, nil
}

// SubBackward returns the gradients of a - b: ReduceTo(dy) and ReduceTo(-dy).
func SubBackward(dy *Tensor, aShape, bShape []int) (da, db *Tensor, err error) {
	if da, err = ReduceTo(dy, aShape); err != nil {
		return nil, nil, err
	}
	neg, err := Scale(dy, -1)
	if err != nil {
		return nil, nil, err
	}
	if db, err = ReduceTo(neg, bShape); err != nil {
		return nil, nil, err
	}
	return da, db, nil
}

// MulBackward returns the gradients of a * b: ReduceTo(dy*b) and ReduceTo(dy*a).
func MulBackward(dy, a, b *Tensor) (da, db *Tensor, err error) {
	return productBackward("mul_backward", dy, a, b, func(g, x, y float32) (float32, float32) {
		return g * y, g * x
	})
}

// DivBackward returns the gradients of a / b: with t = dy/b, ReduceTo(t) and
// ReduceTo(-(t * (a/b))).
func DivBackward(dy, a, b *Tensor) (da, db *Tensor, err error) {
	return productBackward("div_backward", dy, a, b, func(g, x, y float32) (float32, float32) {
		t := g / y
		return t, -(t * (x / y))
	})
}

func productBackward(op string, dy, a, b *Tensor, f func(g, x, y float32) (float32, float32)) (da, db *Tensor, err error) {
	if err := wantF32(op, dy, a, b); err != nil {
		return nil, nil, err
	}
	shape, err := broadcastShape(op, a.shape, b.shape)
	if err != nil {
		return nil, nil, err
	}
	if !sameShape(shape, dy.shape) {
		return nil, nil, opErr(op, ErrShape, "gradient shape %v is not the broadcast shape %v", dy.shape, shape)
	}
	ga, gb := newF32(shape), newF32(append([]int(nil), shape...))
	strides, sa, sb, row := pairStrides(a.shape, b.shape, shape)
	forRows(shape, strides, func(o int, offs []int) {
		for i := 0; i < row; i++ {
			ga.f32[o+i], gb.f32[o+i] = f(dy.f32[o+i], a.f32[offs[0]+i*sa], b.f32[offs[1]+i*sb])
		}
	})
	if da, err = ReduceTo(ga, a.shape); err != nil {
		return nil, nil, err
	}
	if db, err = ReduceTo(gb, b.shape); err != nil {
		return nil, nil, err
	}
	return da, db, nil
}

// unary applies f to every element of x, in parallel across elements.
func unary(op string, x *Tensor, f func(float32) float32) (*Tensor, error) {
	if err := wantF32(op, x); err != nil {
		return nil, err
	}
	out := newF32(x.Shape())
	parallelFor(len(out.f32), 1<<12, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out.f32[i] = canon(f(x.f32[i]))
		}
	})
	return out, nil
}

// binarySameShape applies f elementwise to two tensors of identical shape.
func binarySameShape(op string, a, b *Tensor, f func(x, y float32) float32) (*Tensor, error) {
	if err := wantF32(op, a, b); err != nil {
		return nil, err
	}
	if !sameShape(a.shape, b.shape) {
		return nil, opErr(op, ErrShape, "shapes %v and %v differ", a.shape, b.shape)
	}
	out := newF32(a.Shape())
	parallelFor(len(out.f32), 1<<12, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out.f32[i] = canon(f(a.f32[i], b.f32[i]))
		}
	})
	return out, nil
}

// unaryLoop is unary for cheap operators: f works on whole chunks, so its loop inlines
// instead of calling a function per element.
func unaryLoop(op string, x *Tensor, f func(dst, src []float32)) (*Tensor, error) {
	if err := wantF32(op, x); err != nil {
		return nil, err
	}
	out := newF32(x.Shape())
	parallelFor(len(out.f32), 1<<14, func(lo, hi int) {
		f(out.f32[lo:hi], x.f32[lo:hi])
		canonSlice(out.f32[lo:hi])
	})
	return out, nil
}

// Scale returns x * s.
func Scale(x *Tensor, s float32) (*Tensor, error) {
	return unaryLoop("scale", x, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = v * s
		}
	})
}

// Square returns x * x.
func Square(x *Tensor) (*Tensor, error) {
	return unaryLoop("square", x, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = v * v
		}
	})
}

// Sqrt returns the correctly rounded square root; NaN for negative elements.
func Sqrt(x *Tensor) (*Tensor, error) { return unary("sqrt", x, sqrtf) }

// Exp returns e^x (SPEC.md error bound).
func Exp(x *Tensor) (*Tensor, error) { return unary("exp", x, expf) }

// Log returns ln x (SPEC.md error bound); -Inf at 0, NaN below 0.
func Log(x *Tensor) (*Tensor, error) { return unary("log", x, logf) }

// Tanh returns tanh x (SPEC.md error bound).
func Tanh(x *Tensor) (*Tensor, error) { return unary("tanh", x, tanhf) }

// Sigmoid returns 1/(1+e^-x) (SPEC.md error bound).
func Sigmoid(x *Tensor) (*Tensor, error) { return unary("sigmoid", x, sigmoidf) }

// Gelu returns the tanh-form GELU, x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
func Gelu(x *Tensor) (*Tensor, error) { return unary("gelu", x, geluf) }

// Relu returns x where x > 0, +0 where x <= 0, and NaN where x is NaN.
func Relu(x *Tensor) (*Tensor, error) {
	return unaryLoop("relu", x, func(dst, src []float32) {
		for i, v := range src {
			// Branch-free: clear every bit of a value whose sign bit is set. That maps
			// negatives and -0 to +0 and keeps positives; NaN is restored below.
			b := math.Float32bits(v)
			dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
			if v != v {
				dst[i] = v
			}
		}
	})
}

func relu(v float32) float32 {
	if v > 0 || v != v {
		return v
	}
	return 0
}

// ScaleBackward returns dy * s.
func ScaleBackward(dy *Tensor, s float32) (*Tensor, error) { return Scale(dy, s) }

// SquareBackward returns dy * (x + x).
func SquareBackward(x, dy *Tensor) (*Tensor, error) {
	return binarySameShape("square_backward", x, dy, func(x, g float32) float32 { return g * (x + x) })
}

// SqrtBackward returns dy / (y + y) where y = sqrt(x).
func SqrtBackward(y, dy *Tensor) (*Tensor, error) {
	return binarySameShape("sqrt_backward", y, dy, func(y, g float32) float32 { return g / (y + y) })
}

// ExpBackward returns dy * y where y = exp(x).
func ExpBackward(y, dy *Tensor) (*Tensor, error) {
	return binarySameShape("exp_backward", y, dy, func(y, g float32) float32 { return g * y })
}

// LogBackward returns dy / x.
func LogBackward(x, dy *Tensor) (*Tensor, error) {
	return binarySameShape("log_backward", x, dy, func(x, g float32) float32 { return g / x })
}

// TanhBackward returns dy * (1 - y*y) where y = tanh(x).
func TanhBackward(y, dy *Tensor) (*Tensor, error) {
	return binarySameShape("tanh_backward", y, dy, func(y, g float32) float32 { return g * (1 - float32(y*y)) })
}

// SigmoidBackward returns (dy * y) * (1 - y) where y = sigmoid(x).
func SigmoidBackward(y, dy *Tensor) (*Tensor, error) {
	return binarySameShape("sigmoid_backward", y, dy, func(y, g float32) float32 { return float32(g*y) * (1 - y) })
}

// GeluBackward returns dy * gelu'(x), with gelu' as SPEC.md defines it.
func GeluBackward(x, dy *Tensor) (*Tensor, error) {
	return binarySameShape("gelu_backward", x, dy, func(x, g float32) float32 {
		if x != x {
			return x
		}
		return g * geluGradf(x)
	})
}

// ReluBackward returns dy where x > 0, +0 where x <= 0, NaN where x is NaN.
func ReluBackward(x, dy *Tensor) (*Tensor, error) {
	return binarySameShape("relu_backward", x, dy, func(x, g float32) float32 {
		switch {
		case x > 0:
			return g
		case x != x:
			return float32(math.NaN())
		}
		return 0
	})
}
