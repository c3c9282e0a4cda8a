package kernels

import "math"

// Layout operators move elements without arithmetic; their outputs are exact copies.

func rowMajorStrides(shape []int) []int {
	s := make([]int, len(shape))
	stride := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = stride
		stride *= shape[i]
	}
	return s
}

// anyDType checks that x is non-nil; layout operators work on either dtype.
func anyDType(op string, x *Tensor) error {
	if x == nil {
		return opErr(op, ErrArgument, "operand is nil")
	}
	return nil
}

func like(x *Tensor, shape []int) *Tensor {
	if x.dtype == Int32 {
		return &Tensor{dtype: Int32, shape: shape, i32: make([]int32, numel(shape))}
	}
	return newF32(shape)
}

// Transpose permutes the axes of x: axis i of the result is axis perm[i] of x.
func Transpose(x *Tensor, perm ...int) (*Tensor, error) {
	const op = "transpose"
	if err := anyDType(op, x); err != nil {
		return nil, err
	}
	if len(perm) != len(x.shape) {
		return nil, opErr(op, ErrShape, "permutation %v has %d axes, tensor has %d", perm, len(perm), len(x.shape))
	}
	seen := make([]bool, len(perm))
	shape := make([]int, len(perm))
	in := rowMajorStrides(x.shape)
	strides := make([]int, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return nil, opErr(op, ErrRange, "%v is not a permutation of %d axes", perm, len(perm))
		}
		seen[p] = true
		shape[i], strides[i] = x.shape[p], in[p]
	}
	if len(shape) == 0 {
		return x.Clone(), nil
	}
	out := like(x, shape)
	last := len(shape) - 1
	s, row := strides[last], shape[last]
	forRows(shape, [][]int{strides}, func(o int, offs []int) {
		if x.dtype == Int32 {
			for i := 0; i < row; i++ {
				out.i32[o+i] = x.i32[offs[0]+i*s]
			}
			return
		}
		for i := 0; i < row; i++ {
			out.f32[o+i] = x.f32[offs[0]+i*s]
		}
	})
	return out, nil
}

// TransposeBackward returns dy transposed by the inverse of perm.
func TransposeBackward(dy *Tensor, perm ...int) (*Tensor, error) {
	inv := make([]int, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) {
			return nil, opErr("transpose_backward", ErrRange, "%v is not a permutation", perm)
		}
		inv[p] = i
	}
	return Transpose(dy, inv...)
}

// Reshape returns x with a new shape of the same element count; one dimension may be -1
// and is then inferred. The elements are copied.
func Reshape(x *Tensor, shape ...int) (*Tensor, error) {
	const op = "reshape"
	if err := anyDType(op, x); err != nil {
		return nil, err
	}
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, opErr(op, ErrShape, "shape %v has an invalid dimension %d", shape, d)
		default:
			if d != 0 && known > MaxElements/d {
				return nil, opErr(op, ErrShape, "shape %v is too large", shape)
			}
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || x.Len()%known != 0 {
			return nil, opErr(op, ErrShape, "cannot infer -1 in %v from %d elements", shape, x.Len())
		}
		shape[infer] = x.Len() / known
	}
	n, err := checkShape(op, shape)
	if err != nil {
		return nil, err
	}
	if n != x.Len() {
		return nil, opErr(op, ErrShape, "cannot reshape %v (%d elements) to %v (%d elements)", x.shape, x.Len(), shape, n)
	}
	out := x.Clone()
	out.shape = shape
	return out, nil
}

// Slice returns the elements of x with start <= index < end along axis.
func Slice(x *Tensor, axis, start, end int) (*Tensor, error) {
	const op = "slice"
	if err := anyDType(op, x); err != nil {
		return nil, err
	}
	ax, err := normAxis(op, axis, len(x.shape))
	if err != nil {
		return nil, err
	}
	if start < 0 || end < start || end > x.shape[ax] {
		return nil, opErr(op, ErrRange, "range [%d, %d) is not within axis %d of length %d", start, end, axis, x.shape[ax])
	}
	shape := x.Shape()
	shape[ax] = end - start
	out := like(x, shape)
	copyBlocks(out, x, ax, 0, start, end-start)
	return out, nil
}

// copyBlocks copies, for every outer index, count positions of axis ax from src starting
// at srcAt into dst starting at dstAt.
func copyBlocks(dst, src *Tensor, ax, dstAt, srcAt, count int) {
	outer, inner := numel(src.shape[:ax]), numel(src.shape[ax+1:])
	ns, nd := src.shape[ax], dst.shape[ax]
	for o := 0; o < outer; o++ {
		d0, s0, n := (o*nd+dstAt)*inner, (o*ns+srcAt)*inner, count*inner
		if src.dtype == Int32 {
			copy(dst.i32[d0:d0+n], src.i32[s0:s0+n])
		} else {
			copy(dst.f32[d0:d0+n], src.f32[s0:s0+n])
		}
	}
}

// SliceBackward returns a zero tensor of shape `shape` with dy placed at start along axis.
func SliceBackward(dy *Tensor, shape []int, axis, start int) (*Tensor, error) {
	const op = "slice_backward"
	ax, err := checkGradAxis(op, dy, shape, axis)
	if err != nil {
		return nil, err
	}
	want := append([]int(nil), shape...)
	if len(dy.shape) == len(shape) {
		want[ax] = dy.shape[ax]
	}
	if !sameShape(want, dy.shape) || start < 0 || start+dy.shape[ax] > shape[ax] {
		return nil, opErr(op, ErrShape, "gradient shape %v at %d does not fit axis %d of %v", dy.shape, start, axis, shape)
	}
	out := newF32(append([]int(nil), shape...))
	copyBlocks(out, dy, ax, start, 0, dy.shape[ax])
	return out, nil
}

// Concat joins tensors of one dtype along axis; all other dimensions must agree.
func Concat(axis int, xs ...*Tensor) (*Tensor, error) {
	const op = "concat"
	if len(xs) == 0 {
		return nil, opErr(op, ErrArgument, "no tensors to join")
	}
	for _, x := range xs {
		if err := anyDType(op, x); err != nil {
			return nil, err
		}
	}
	ax, err := normAxis(op, axis, len(xs[0].shape))
	if err != nil {
		return nil, err
	}
	shape := xs[0].Shape()
	shape[ax] = 0
	for i, x := range xs {
		if x.dtype != xs[0].dtype || len(x.shape) != len(shape) {
			return nil, opErr(op, ErrShape, "tensor %d (%s%v) does not match tensor 0 (%s%v)", i, x.dtype, x.shape, xs[0].dtype, xs[0].shape)
		}
		for d := range shape {
			if d != ax && x.shape[d] != shape[d] {
				return nil, opErr(op, ErrShape, "tensor %d shape %v differs from %v off axis %d", i, x.shape, xs[0].shape, axis)
			}
		}
		if x.shape[ax] > MaxElements-shape[ax] {
			return nil, opErr(op, ErrShape, "joined axis is too long")
		}
		shape[ax] += x.shape[ax]
	}
	if _, err := checkShape(op, shape); err != nil {
		return nil, err
	}
	out := like(xs[0], shape)
	at := 0
	for _, x := range xs {
		copyBlocks(out, x, ax, at, 0, x.shape[ax])
		at += x.shape[ax]
	}
	return out, nil
}

// Split cuts x along axis into pieces of the given sizes, which must add up to the axis
// length. It is Concat's backward.
func Split(x *Tensor, axis int, sizes ...int) ([]*Tensor, error) {
	const op = "split"
	if err := anyDType(op, x); err != nil {
		return nil, err
	}
	ax, err := normAxis(op, axis, len(x.shape))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, s := range sizes {
		if s < 0 || s > x.shape[ax]-total {
			return nil, opErr(op, ErrShape, "sizes %v do not add up to axis %d of length %d", sizes, axis, x.shape[ax])
		}
		total += s
	}
	if total != x.shape[ax] {
		return nil, opErr(op, ErrShape, "sizes %v do not add up to axis %d of length %d", sizes, axis, x.shape[ax])
	}
	outs := make([]*Tensor, len(sizes))
	at := 0
	for i, s := range sizes {
		shape := x.Shape()
		shape[ax] = s
		outs[i] = like(x, shape)
		copyBlocks(outs[i], x, ax, 0, at, s)
		at += s
	}
	return outs, nil
}

// CausalMask returns x (rank >= 2, last two axes [T, T]) with every element above the
// diagonal (column > row) set to -Inf, for attention scores before a softmax.
func CausalMask(x *Tensor) (*Tensor, error) {
	return causal("causal_mask", x, float32(math.Inf(-1)))
}

// CausalMaskBackward returns dy with every element above the diagonal set to +0.
func CausalMaskBackward(dy *Tensor) (*Tensor, error) {
	return causal("causal_mask_backward", dy, 0)
}

func causal(op string, x *Tensor, fill float32) (*Tensor, error) {
	if err := wantF32(op, x); err != nil {
		return nil, err
	}
	r := len(x.shape)
	if r < 2 || x.shape[r-1] != x.shape[r-2] {
		return nil, opErr(op, ErrShape, "shape %v, want [..., T, T]", x.shape)
	}
	t := x.shape[r-1]
	out := x.Clone()
	for m := 0; m*t*t < len(out.f32); m++ {
		for i := 0; i < t; i++ {
			row := out.f32[(m*t+i)*t : (m*t+i+1)*t]
			for j := i + 1; j < t; j++ {
				row[j] = fill
			}
		}
	}
	return out, nil
}

// Assign returns a copy of src, which must have dst's dtype and shape: the new value of
// dst when a task writes a state tensor (the host rebinds dst's handle to it).
func Assign(dst, src *Tensor) (*Tensor, error) {
	if dst == nil || src == nil {
		return nil, opErr("assign", ErrArgument, "operand is nil")
	}
	if dst.dtype != src.dtype {
		return nil, opErr("assign", ErrDType, "dst is %s, src is %s", dst.dtype, src.dtype)
	}
	if !sameShape(dst.shape, src.shape) {
		return nil, opErr("assign", ErrShape, "dst has shape %v, src %v", dst.shape, src.shape)
	}
	return src.Clone(), nil
}
