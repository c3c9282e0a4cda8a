package host

import "github.com/lockstep-ml/lockstep/kernels"

// outputBound returns an upper bound on the elements an operator will allocate for its
// outputs, for the operators whose outputs can be far larger than their inputs: products
// and broadcasts (outer products), embeddings, and operators whose output shape comes from
// attribute words. The session refuses a call whose bound exceeds the quota before the
// kernel allocates anything. Other operators' outputs are no larger than their inputs.
// It returns -1 when it cannot tell; the kernel then validates as usual.
func outputBound(op Opcode, attrWords []uint32, in []*kernels.Tensor) int64 {
	a := &attrs{op: op, words: attrWords}
	prod := func(dims []int) int64 {
		n := int64(1)
		for _, d := range dims {
			if d < 0 {
				return -1
			}
			n *= int64(d)
			if n > 1<<40 {
				return 1 << 40
			}
		}
		return n
	}
	elems := func(t *kernels.Tensor) int64 { return int64(t.Len()) }
	switch op {
	case OpMatMul:
		if len(in) != 2 || in[0].Rank() < 2 || in[1].Rank() < 2 {
			return -1
		}
		// op(a) is M x K, op(b) is K x N: the output is batch x M x N.
		m, n := in[0].Dim(-2), in[1].Dim(-1)
		if a.flag(0) {
			m = in[0].Dim(-1)
		}
		if a.flag(1) {
			n = in[1].Dim(-2)
		}
		batch := max(elems(in[0])/max(1, int64(in[0].Dim(-1)*in[0].Dim(-2))), elems(in[1])/max(1, int64(in[1].Dim(-1)*in[1].Dim(-2))))
		return prod([]int{m, n}) * max(1, batch)
	case OpAdd, OpSub, OpMul, OpDiv:
		if len(in) != 2 {
			return -1
		}
		// A broadcast has at most the product of both operands' elements.
		return min(elems(in[0])*elems(in[1]), prod(broadcastDims(in[0].Shape(), in[1].Shape())))
	case OpEmbedding:
		if len(in) != 2 || in[0].Rank() != 2 {
			return -1
		}
		return elems(in[1]) * int64(in[0].Dim(-1))
	case OpEmbeddingBackward:
		if len(in) != 2 || in[1].Rank() < 1 {
			return -1
		}
		return int64(a.i32(0)) * int64(in[1].Dim(-1))
	case OpSumBackward, OpMeanBackward:
		return prod(a.ints(1))
	case OpSliceBackward:
		return prod(a.ints(2))
	case OpUniform:
		return prod(a.ints(6))
	case OpNormal:
		return prod(a.ints(8))
	}
	return 0
}

// broadcastDims is the NumPy broadcast of two shapes, each dimension the larger (an upper
// bound; the kernel checks compatibility).
func broadcastDims(a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range out {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		out[i] = max(da, db)
	}
	return out
}
