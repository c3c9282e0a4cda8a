package host

import "github.com/lockstep-ml/lockstep/kernels"

// boundCap stands for "more than any quota": bounds saturate there, so no product of
// guest-chosen dimensions can overflow.
const boundCap = 1 << 50

// satMul and satAdd are saturating arithmetic on element counts in [0, boundCap].
func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > boundCap/b {
		return boundCap
	}
	return a * b
}

func satAdd(xs ...int64) int64 {
	n := int64(0)
	for _, x := range xs {
		n = min(n+max(x, 0), boundCap)
	}
	return n
}

// dimsProd is the element count of a guest-given shape. A negative dimension gives 0: the
// kernels that take shapes from attributes refuse it before they allocate.
func dimsProd(dims []int) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0
		}
		n = satMul(n, int64(d))
		if n == 0 {
			return 0
		}
	}
	return n
}

// spanProd is the largest element count of a shape whose every dimension is 1 or the
// corresponding one of dims: a shape broadcast to dims, or dims with an axis removed.
func spanProd(dims []int) int64 {
	n := int64(1)
	for _, d := range dims {
		n = satMul(n, int64(max(d, 1)))
	}
	return n
}

func elems(t *kernels.Tensor) int64 { return int64(t.Len()) }

func lastDim(t *kernels.Tensor) int {
	if t.Rank() == 0 {
		return 1
	}
	return t.Dim(-1)
}

// resolveAxis is kernels' axis rule: negative counts from the end.
func resolveAxis(axis, rank int) (int, bool) {
	if axis < 0 {
		axis += rank
	}
	return axis, axis >= 0 && axis < rank
}

// outputBound returns an upper bound on the elements an operator call allocates: its
// outputs, the copies of the inputs an in-place operator updates, and the scratch of a
// kernel that can outgrow both (gemm's packed panels, a batched gradient summed
// afterwards). The session refuses a call whose bound does not fit the free tensor quota,
// before anything is allocated, so no call can make the host hold more than the quota
// plus a fixed amount of scratch per worker and gemm call (an A panel of at most
// 12 x 6 x 256 floats, a tile), which is not counted. Where the kernel refuses an operand
// before allocating (a negative dimension, an axis out of range, a table that is not a
// matrix) the bound may be 0; elsewhere it is computed from the shapes as if they fitted,
// so an invalid call is never undercounted. Every operator has a case; TestOutputBound
// checks the bound against what the kernels really allocate.
func outputBound(op Opcode, attrWords []uint32, in []*kernels.Tensor) int64 {
	spec, ok := ops[op]
	if !ok || checkArity(op, spec, in) != nil {
		return 0 // Apply refuses before it allocates
	}
	a := &attrs{op: op, words: attrWords}
	switch op {
	case OpMatMul:
		return planMatMul(dims64(in[0]), dims64(in[1]), a.flag(0), a.flag(1)).alloc
	case OpMatMulBackward:
		return planMatMulBackward(dims64(in[0]), dims64(in[1]), a.flag(0), a.flag(1)).alloc
	case OpAdd, OpSub, OpMul, OpDiv:
		return spanProd(broadcastDims(in[0].Shape(), in[1].Shape()))
	case OpAddBackward:
		return satAdd(elems(in[1]), elems(in[2]))
	case OpSubBackward:
		return satAdd(elems(in[0]), elems(in[1]), elems(in[2])) // and -dy
	case OpMulBackward, OpDivBackward:
		// Both elementwise gradients have dy's shape, then each is reduced.
		return satAdd(elems(in[0]), elems(in[0]), elems(in[1]), elems(in[2]))
	case OpReduceTo:
		return min(dimsProd(a.ints(0)), spanProd(in[0].Shape()))
	case OpScale, OpSquare, OpSqrt, OpExp, OpLog, OpTanh, OpSigmoid, OpGelu, OpRelu,
		OpSquareBackward, OpSqrtBackward, OpExpBackward, OpLogBackward, OpTanhBackward,
		OpSigmoidBackward, OpGeluBackward, OpReluBackward,
		OpSoftmax, OpLogSoftmax, OpSoftmaxBackward, OpLogSoftmaxBackward,
		OpCrossEntropyBackward, OpLayerNorm, OpReshape, OpSlice, OpSplit,
		OpCausalMask, OpCausalMaskBackward, OpDropoutBackward, OpArgMax, OpTranspose:
		return elems(in[0]) // one output of at most the first input's size, or pieces of it
	case OpCrossEntropy:
		scratch := int64(0)
		if in[0].Rank() == 2 {
			scratch = int64(in[0].Dim(1)) // one row of exponentials
		}
		return satAdd(1, scratch)
	case OpLayerNormBackward:
		// dx and the normalized rows, a row of scratch per chunk of rows, dgamma, dbeta.
		d := int64(lastDim(in[0]))
		return satAdd(elems(in[0]), elems(in[0]), elems(in[0]), d, d)
	case OpEmbedding:
		if in[0].Rank() != 2 {
			return 0
		}
		return satMul(elems(in[1]), int64(in[0].Dim(1)))
	case OpEmbeddingBackward:
		if in[1].Rank() < 1 {
			return 0
		}
		return satMul(max(int64(a.i32(0)), 0), int64(lastDim(in[1])))
	case OpSum, OpMean:
		ax, ok := resolveAxis(a.i32(0), in[0].Rank())
		if !ok {
			return 0
		}
		shape := in[0].Shape()
		return dimsProd(append(shape[:ax:ax], shape[ax+1:]...))
	case OpSumBackward, OpMeanBackward:
		return dimsProd(a.ints(1))
	case OpSliceBackward:
		return dimsProd(a.ints(2))
	case OpConcat:
		n := int64(0)
		for _, t := range in {
			n = satAdd(n, elems(t))
		}
		return n
	case OpUniform:
		return dimsProd(a.ints(6))
	case OpNormal:
		return dimsProd(a.ints(8))
	case OpDropout:
		return satAdd(elems(in[0]), elems(in[0])) // the output and the mask
	case OpAssign:
		return satAdd(elems(in[0]), elems(in[1])) // Apply's copy of dst, then the copy of src
	case OpSGD, OpAdamW, OpClipGradNorm:
		n := int64(0)
		if op == OpClipGradNorm {
			n = 1 // the norm
		}
		for _, i := range rebinds(op, len(in)) {
			if i >= 0 {
				n = satAdd(n, elems(in[i])) // the updated copy
			}
		}
		return n
	}
	// A new operator must get a case above; until then no call of it fits any quota.
	return boundCap
}

// gemmPanelPad is the most columns gemm pads a packed B panel by: its panels are nr
// columns wide, and nr is at most 16 on every micro-kernel.
const gemmPanelPad = 15

// dims64 is a tensor's shape as int64s, so that shape arithmetic on bounds cannot
// overflow int on 32-bit hosts.
func dims64(t *kernels.Tensor) []int64 {
	s := make([]int64, t.Rank())
	for i := range s {
		s[i] = int64(t.Dim(i))
	}
	return s
}

func prod64(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n = satMul(n, d)
	}
	return n
}

// gemmSmall mirrors kernels' threshold below which a matmul runs the plain reference
// loop instead of the blocked gemm (fewer than 16*16*16 multiply-adds).
const gemmSmall = 16 * 16 * 16

// matmulPlan is what one MatMul call on given shapes makes and costs.
type matmulPlan struct {
	shape   []int64 // the output's
	outputs int64   // elements of the output
	alloc   int64   // elements allocated: outputBound's share
	work    int64   // fuel units of kernel work: opCost's share
}

// planMatMul follows kernels.MatMul on shapes. It allocates the output and, per gemm call,
// a packed copy of op(b) of ceil(n/nr)*nr*k elements. A shared b under an untransposed a
// is one tall gemm call; otherwise there is one per batch entry (which may run at once).
// Operands of rank < 2 are refused before anything is done; batch axes that do not match
// count as the larger, so an invalid call is never undercounted.
func planMatMul(sa, sb []int64, ta, tb bool) matmulPlan {
	ra, rb := len(sa), len(sb)
	if ra < 2 || rb < 2 {
		return matmulPlan{}
	}
	m, k := sa[ra-2], sa[ra-1]
	if ta {
		m, k = k, m
	}
	n := sb[rb-1]
	if tb {
		n = sb[rb-2]
	}
	batch := sa[:ra-2]
	if ra == 2 || rb > 2 && prod64(sb[:rb-2]) > prod64(batch) {
		batch = sb[:rb-2]
	}
	nb := prod64(batch)
	calls, rows := nb, m
	if rb == 2 && ra > 2 && !ta {
		calls, rows = 1, satMul(nb, m)
	}
	p := matmulPlan{shape: append(append([]int64(nil), batch...), m, n)}
	out := satMul(nb, satMul(m, n))
	p.outputs, p.alloc = out, out
	// Every call costs (a batch of a billion empty matrices is a billion calls), and so
	// does making the output's NaNs canonical.
	p.work = satAdd(perElem(out, rateCheap), satMul(calls, gemmCost(rows, k, n)))
	if m > 0 && n > 0 && k > 0 { // gemm packs nothing otherwise
		p.alloc = satAdd(p.alloc, satMul(calls, satMul(n+gemmPanelPad, k)))
	}
	return p
}

// planMatMulBackward follows kernels.MatMulBackward call by call on shapes: da and db are
// each one MatMul; a shared b regroups a (copying it twice when a is transposed); a shared
// a makes a batch of da's and then their sum.
func planMatMulBackward(sa, sb []int64, ta, tb bool) matmulPlan {
	ra, rb := len(sa), len(sb)
	if ra < 2 || rb < 2 {
		return matmulPlan{}
	}
	sc := planMatMul(sa, sb, ta, tb).shape
	var da, db matmulPlan
	switch {
	case !ta && !tb:
		da = planMatMul(sc, sb, false, true)
	case ta && !tb:
		da = planMatMul(sb, sc, false, true)
	case !ta && tb:
		da = planMatMul(sc, sb, false, false)
	default:
		da = planMatMul(sb, sc, true, true)
	}
	var extra int64
	aa, dd := sa, sc
	if rb == 2 && ra > 2 {
		r, c := sa[ra-2], sa[ra-1]
		aa = []int64{prod64(sa[:ra-1]), c}
		if ta {
			aa = []int64{r, satMul(prod64(sa[:ra-2]), c)}
			extra = satAdd(prod64(sa), prod64(sa)) // two transposes
		}
		dd = []int64{prod64(sc[:len(sc)-1]), sc[len(sc)-1]}
	}
	switch {
	case !ta && !tb:
		db = planMatMul(aa, dd, true, false)
	case ta && !tb:
		db = planMatMul(aa, dd, false, false)
	case !ta && tb:
		db = planMatMul(dd, aa, true, false)
	default:
		db = planMatMul(dd, aa, true, true)
	}
	work := satAdd(da.work, db.work, perElem(extra, rateStrided))
	if ra == 2 && rb > 2 {
		extra = satAdd(extra, prod64(da.shape[len(da.shape)-2:])) // the sum over the batch
		work = satAdd(work, perElem(prod64(da.shape), rateCheap))
	}
	return matmulPlan{alloc: satAdd(da.alloc, db.alloc, extra), work: work}
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
