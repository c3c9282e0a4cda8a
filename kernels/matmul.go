package kernels

import "runtime"

// Matrix multiplication (SPEC.md, "Matmul"): every output element is
// c = +0; for k = 0..K-1: c = c + fl(a_ik * b_kj), sequentially in k.

// matrix describes one operand of a matmul in row-major storage: the logical matrix is
// op(X) with rows x cols, where op transposes when trans is set.
type matrix struct {
	data       []float32
	rows, cols int // of the stored matrix
	trans      bool
}

// at returns element (i, k) of op(X).
func (m matrix) at(i, k int) float32 {
	if m.trans {
		return m.data[k*m.cols+i]
	}
	return m.data[i*m.cols+k]
}

// opRows and opCols are the dimensions of op(X).
func (m matrix) opRows() int {
	if m.trans {
		return m.cols
	}
	return m.rows
}

func (m matrix) opCols() int {
	if m.trans {
		return m.rows
	}
	return m.cols
}

// MatMul returns op(a) @ op(b), where op transposes the last two axes when the flag is
// set. Operands have rank >= 2; leading (batch) axes must be equal, or one operand may be
// a plain matrix (rank 2) that is used for every batch entry.
func MatMul(a, b *Tensor, transA, transB bool) (*Tensor, error) {
	shape, ma, mb, err := matmulShape(a, b, transA, transB)
	if err != nil {
		return nil, err
	}
	ra, rb := len(a.shape), len(b.shape)
	m, n := ma.opRows(), mb.opCols()
	batch := shape[:len(shape)-2]
	out := newF32(shape)
	nb := numel(batch)
	// A shared right operand with an untransposed left one is one tall matmul: each output
	// element is still the same sequential sum, so the bits do not change.
	if rb == 2 && ra > 2 && !transA {
		ma.rows, ma.data, mb.data = nb*m, a.f32, b.f32
		gemm(ma, mb, out.f32, runtime.GOMAXPROCS(0))
		canonSlice(out.f32)
		return out, nil
	}
	sa, sb := ma.rows*ma.cols, mb.rows*mb.cols
	if ra == 2 {
		sa = 0
	}
	if rb == 2 {
		sb = 0
	}
	one := func(i, workers int) {
		ma, mb := ma, mb
		ma.data, mb.data = a.f32[i*sa:i*sa+ma.rows*ma.cols], b.f32[i*sb:i*sb+mb.rows*mb.cols]
		gemm(ma, mb, out.f32[i*m*n:(i+1)*m*n], workers)
	}
	if procs := runtime.GOMAXPROCS(0); nb >= procs && procs > 1 {
		parallelFor(nb, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				one(i, 1)
			}
		})
	} else {
		for i := 0; i < nb; i++ {
			one(i, procs)
		}
	}
	canonSlice(out.f32)
	return out, nil
}

// matmulShape validates MatMul's operands and returns the output shape and the two
// operands' matrices (without data), allocating nothing else.
func matmulShape(a, b *Tensor, transA, transB bool) (shape []int, ma, mb matrix, err error) {
	const op = "matmul"
	if err := wantF32(op, a, b); err != nil {
		return nil, ma, mb, err
	}
	ra, rb := len(a.shape), len(b.shape)
	if ra < 2 || rb < 2 {
		return nil, ma, mb, opErr(op, ErrShape, "operands %v and %v must have rank >= 2", a.shape, b.shape)
	}
	batchA, batchB := a.shape[:ra-2], b.shape[:rb-2]
	var batch []int
	switch {
	case sameShape(batchA, batchB):
		batch = batchA
	case rb == 2:
		batch = batchA
	case ra == 2:
		batch = batchB
	default:
		return nil, ma, mb, opErr(op, ErrShape, "batch axes of %v and %v differ", a.shape, b.shape)
	}
	ma = matrix{rows: a.shape[ra-2], cols: a.shape[ra-1], trans: transA}
	mb = matrix{rows: b.shape[rb-2], cols: b.shape[rb-1], trans: transB}
	m, k, n := ma.opRows(), ma.opCols(), mb.opCols()
	if mb.opRows() != k {
		return nil, ma, mb, opErr(op, ErrShape, "inner dimensions differ: op(a) is [%d %d], op(b) is [%d %d] (a %v transA=%v, b %v transB=%v)",
			m, k, mb.opRows(), n, a.shape, transA, b.shape, transB)
	}
	shape = append(append([]int(nil), batch...), m, n)
	if _, err := checkShape(op, shape); err != nil {
		return nil, ma, mb, err
	}
	return shape, ma, mb, nil
}

// MatMulBackward returns the gradients of MatMul(a, b, transA, transB) given dc, each as
// one MatMul (so with MatMul's reduction order):
//
//	C = A B:      da = dc b^T,     db = a^T dc
//	C = A^T B:    da = b dc^T,     db = a dc
//	C = A B^T:    da = dc b,       db = dc^T a
//	C = A^T B^T:  da = b^T dc^T,   db = dc^T a^T
//
// When b was shared across a batch, db sums over the batch: the batch and row axes of a
// and dc are merged so the reduction runs over them in order.
func MatMulBackward(a, b, dc *Tensor, transA, transB bool) (da, db *Tensor, err error) {
	const op = "matmul_backward"
	// The forward's shape, not its value: computing C here would double the work.
	cShape, _, _, err := matmulShape(a, b, transA, transB)
	if err != nil {
		return nil, nil, err
	}
	if err := wantF32(op, dc); err != nil {
		return nil, nil, err
	}
	if !sameShape(cShape, dc.shape) {
		return nil, nil, opErr(op, ErrShape, "gradient shape %v, want %v", dc.shape, cShape)
	}
	switch {
	case !transA && !transB:
		da, err = MatMul(dc, b, false, true)
	case transA && !transB:
		da, err = MatMul(b, dc, false, true)
	case !transA && transB:
		da, err = MatMul(dc, b, false, false)
	default:
		da, err = MatMul(b, dc, true, true)
	}
	if err != nil {
		return nil, nil, err
	}
	aa, dd := a, dc
	if len(b.shape) == 2 && len(a.shape) > 2 {
		// Shared b: merge batch into rows (or, for a^T, into the reduced axis of a).
		if aa, err = mergeBatch(a, transA); err != nil {
			return nil, nil, err
		}
		dd = view(dc, numel(dc.shape[:len(dc.shape)-1]), dc.shape[len(dc.shape)-1])
	}
	switch {
	case !transA && !transB:
		db, err = MatMul(aa, dd, true, false)
	case transA && !transB:
		db, err = MatMul(aa, dd, false, false)
	case !transA && transB:
		db, err = MatMul(dd, aa, true, false)
	default:
		db, err = MatMul(dd, aa, true, true)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(a.shape) == 2 && len(b.shape) > 2 {
		// Shared a: sum da over the batch axes in order.
		if da, err = sumBatch(da); err != nil {
			return nil, nil, err
		}
	}
	return da, db, nil
}

// mergeBatch turns a batched operand a [B.., R, C] into one matrix whose op() stacks the
// batch entries along its rows: [B*R, C] when untransposed; when a is used transposed,
// the entries are laid side by side as [R, B*C], which needs a copy.
func mergeBatch(a *Tensor, trans bool) (*Tensor, error) {
	r, c := a.shape[len(a.shape)-2], a.shape[len(a.shape)-1]
	if !trans {
		return view(a, numel(a.shape[:len(a.shape)-1]), c), nil
	}
	// a^T stacks as [B*C, R]: transpose each entry, then merge.
	perm := make([]int, len(a.shape))
	for i := range perm {
		perm[i] = i
	}
	perm[len(perm)-2], perm[len(perm)-1] = perm[len(perm)-1], perm[len(perm)-2]
	t, err := Transpose(a, perm...)
	if err != nil {
		return nil, err
	}
	return Transpose(view(t, numel(t.shape[:len(t.shape)-1]), r), 1, 0)
}

// sumBatch sums a batched gradient over its leading axes, sequentially from +0.
func sumBatch(g *Tensor) (*Tensor, error) {
	r, c := g.shape[len(g.shape)-2], g.shape[len(g.shape)-1]
	s, err := Sum(view(g, numel(g.shape[:len(g.shape)-2]), r*c), 0)
	if err != nil {
		return nil, err
	}
	return view(s, r, c), nil
}

// view returns x's float32 elements as a rows x cols matrix (rows*cols = x.Len()),
// sharing them: regrouping the axes of an operand a kernel only reads copies nothing.
func view(x *Tensor, rows, cols int) *Tensor {
	return &Tensor{dtype: Float32, shape: []int{rows, cols}, f32: x.f32}
}

// matmulRef is the R0 reference: the definition, written as plainly as possible.
func matmulRef(a, b matrix, c []float32) {
	m, k, n := a.opRows(), a.opCols(), b.opCols()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := float32(0)
			for p := 0; p < k; p++ {
				s = s + float32(a.at(i, p)*b.at(p, j))
			}
			c[i*n+j] = s
		}
	}
}

// MatMulKernel names the matmul micro-kernel this machine uses (for status displays). All
// kernels give the same bits; only their speed differs.
func MatMulKernel() string { return kernelName() }
