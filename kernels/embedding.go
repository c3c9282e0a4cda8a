package kernels

// Embedding lookup and its scatter-add backward (SPEC.md, "Embedding").

func checkIndices(op string, idx *Tensor, v int) error {
	if idx == nil || idx.dtype != Int32 {
		return opErr(op, ErrDType, "indices must be an int32 tensor")
	}
	for i, k := range idx.i32 {
		if k < 0 || int(k) >= v {
			return opErr(op, ErrRange, "index %d at position %d is outside [0, %d)", k, i, v)
		}
	}
	return nil
}

// Embedding returns the rows of table [V, D] selected by the int32 indices idx; the result
// has shape idx.shape + [D].
func Embedding(table, idx *Tensor) (*Tensor, error) {
	const op = "embedding"
	if err := wantF32(op, table); err != nil {
		return nil, err
	}
	if len(table.shape) != 2 {
		return nil, opErr(op, ErrShape, "table shape %v, want [V, D]", table.shape)
	}
	v, d := table.shape[0], table.shape[1]
	if err := checkIndices(op, idx, v); err != nil {
		return nil, err
	}
	shape := append(idx.Shape(), d)
	if _, err := checkShape(op, shape); err != nil {
		return nil, err
	}
	out := newF32(shape)
	for p, k := range idx.i32 {
		copy(out.f32[p*d:(p+1)*d], table.f32[int(k)*d:(int(k)+1)*d])
	}
	return out, nil
}

// EmbeddingBackward returns dtable [V, D]: row k is the sum, from +0 in increasing
// position order, of the rows of dy (shape idx.shape + [D]) whose index is k.
func EmbeddingBackward(idx, dy *Tensor, v int) (*Tensor, error) {
	const op = "embedding_backward"
	if err := wantF32(op, dy); err != nil {
		return nil, err
	}
	if v < 0 {
		return nil, opErr(op, ErrArgument, "vocabulary size %d is negative", v)
	}
	if err := checkIndices(op, idx, v); err != nil {
		return nil, err
	}
	if len(dy.shape) != len(idx.shape)+1 || !sameShape(dy.shape[:len(idx.shape)], idx.shape) {
		return nil, opErr(op, ErrShape, "gradient shape %v, want %v + [D]", dy.shape, idx.shape)
	}
	d := dy.shape[len(dy.shape)-1]
	if _, err := checkShape(op, []int{v, d}); err != nil {
		return nil, err
	}
	out := newF32([]int{v, d})
	for p, k := range idx.i32 {
		dst, src := out.f32[int(k)*d:(int(k)+1)*d], dy.f32[p*d:(p+1)*d]
		for j, g := range src {
			dst[j] += g
		}
	}
	canonSlice(out.f32)
	return out, nil
}
