package kernels

// Reductions along one axis (SPEC.md, "Reductions"): each output element is the
// sequential sum, from +0, of its inputs in increasing index along the axis.

// splitAt returns the products of the dimensions before, at and after axis.
func splitAt(shape []int, axis int) (outer, n, inner int) {
	return numel(shape[:axis]), shape[axis], numel(shape[axis+1:])
}

func dropAxis(shape []int, axis int) []int {
	out := append([]int(nil), shape[:axis]...)
	return append(out, shape[axis+1:]...)
}

func sumAxis(op string, x *Tensor, axis int) (*Tensor, int, error) {
	if err := wantF32(op, x); err != nil {
		return nil, 0, err
	}
	ax, err := normAxis(op, axis, len(x.shape))
	if err != nil {
		return nil, 0, err
	}
	outer, n, inner := splitAt(x.shape, ax)
	shape := dropAxis(x.shape, ax)
	// An empty axis leaves the others, which alone may be too many: [0, 1<<30, 8].
	if _, err := checkShape(op, shape); err != nil {
		return nil, 0, err
	}
	out := newF32(shape)
	parallelFor(outer, max(1, 1<<14/max(1, n*inner)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			dst := out.f32[o*inner : (o+1)*inner]
			for k := 0; k < n; k++ {
				src := x.f32[(o*n+k)*inner : (o*n+k+1)*inner]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	})
	return out, n, nil
}

// Sum returns the sum of x along axis (negative counts from the end); the axis is removed.
func Sum(x *Tensor, axis int) (*Tensor, error) {
	out, _, err := sumAxis("sum", x, axis)
	if err != nil {
		return nil, err
	}
	canonSlice(out.f32)
	return out, nil
}

// Mean returns Sum(x, axis) / n, one division per element, n the axis length.
func Mean(x *Tensor, axis int) (*Tensor, error) {
	out, n, err := sumAxis("mean", x, axis)
	if err != nil {
		return nil, err
	}
	fn := float32(n)
	for i := range out.f32 {
		out.f32[i] = canon(out.f32[i] / fn)
	}
	return out, nil
}

// SumBackward broadcasts dy (shape with axis removed) back along axis of length n.
func SumBackward(dy *Tensor, shape []int, axis int) (*Tensor, error) {
	return expandAxis("sum_backward", dy, shape, axis, false)
}

// MeanBackward broadcasts dy / n back along axis, n = shape[axis].
func MeanBackward(dy *Tensor, shape []int, axis int) (*Tensor, error) {
	return expandAxis("mean_backward", dy, shape, axis, true)
}

// checkGradAxis validates the operands of a backward that restores an axis: dy is
// float32, shape is a valid input shape, and axis is in range for it.
func checkGradAxis(op string, dy *Tensor, shape []int, axis int) (int, error) {
	if err := wantF32(op, dy); err != nil {
		return 0, err
	}
	if _, err := checkShape(op, shape); err != nil {
		return 0, err
	}
	return normAxis(op, axis, len(shape))
}

func expandAxis(op string, dy *Tensor, shape []int, axis int, divide bool) (*Tensor, error) {
	ax, err := checkGradAxis(op, dy, shape, axis)
	if err != nil {
		return nil, err
	}
	if want := dropAxis(shape, ax); !sameShape(want, dy.shape) {
		return nil, opErr(op, ErrShape, "gradient shape %v, want %v for input shape %v axis %d", dy.shape, want, shape, axis)
	}
	outer, n, inner := splitAt(shape, ax)
	out := newF32(append([]int(nil), shape...))
	fn := float32(n)
	for o := 0; o < outer; o++ {
		src := dy.f32[o*inner : (o+1)*inner]
		for k := 0; k < n; k++ {
			dst := out.f32[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range src {
				if divide {
					v = v / fn
				}
				dst[i] = canon(v)
			}
		}
	}
	return out, nil
}

// ArgMax returns, for each row along the last axis, the index of the greatest element as
// an int32 tensor (shape with the last axis removed). Ties go to the lowest index; a NaN
// counts as greater than every number, so the first NaN wins.
func ArgMax(x *Tensor) (*Tensor, error) {
	const op = "argmax"
	if err := wantF32(op, x); err != nil {
		return nil, err
	}
	if len(x.shape) == 0 || x.shape[len(x.shape)-1] == 0 {
		return nil, opErr(op, ErrShape, "shape %v has no last axis to reduce", x.shape)
	}
	n := x.shape[len(x.shape)-1]
	rows := len(x.f32) / n
	out := &Tensor{dtype: Int32, shape: x.shape[: len(x.shape)-1 : len(x.shape)-1], i32: make([]int32, rows)}
	out.shape = append([]int(nil), out.shape...)
	for r := 0; r < rows; r++ {
		row := x.f32[r*n : (r+1)*n]
		best := 0
		for j := 1; j < n; j++ {
			if row[best] != row[best] {
				break
			}
			if row[j] > row[best] || row[j] != row[j] {
				best = j
			}
		}
		out.i32[r] = int32(best)
	}
	return out, nil
}
