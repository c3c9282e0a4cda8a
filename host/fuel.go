package host

import (
	"fmt"

	"github.com/lockstep-ml/lockstep/kernels"
)

// Fuel is the budget host work is charged against (the runtime's fuel meter).
// Charge takes units from it; when fewer remain it empties the budget and returns false.
type Fuel interface{ Charge(units uint64) bool }

// SetFuel makes the session charge its host work to f: every host function a base cost
// plus the bytes it moves and hashes, every operator opCost. Work is paid for before it
// is done, so a call that cannot pay does nothing. nil: host work is not charged (native
// runs).
func (s *Session) SetFuel(f Fuel) { s.fuel = f }

// fuelExhausted is the panic value of a host function that could not pay for its work.
// wazero turns the panic into an error of the export call, and the runtime, finding the
// budget empty, reports the call as out of fuel: at the same host call on every machine.
type fuelExhausted struct{}

func (fuelExhausted) Error() string { return "lockstep: a host call ran out of fuel" }

// charge pays units of host work, or returns ErrFuelExhausted.
func (s *Session) charge(units uint64) error {
	if s.fuel == nil || s.fuel.Charge(units) {
		return nil
	}
	return fmt.Errorf("%w: host work of %d units", ErrFuelExhausted, units)
}

// The cost model (guest/ABI.md, "Fuel for host work"). One unit of fuel pays for about
// one Wasm instruction in the guest; in the host it pays for at most about 1 ns of work on
// the reference machine (AMD Zen 5, kernels on one core): costs are counted from shapes
// before the work and err on the high side. BenchmarkFuel measures ns per unit for every
// operator at large and awkward shapes (run it with -cpu 1). At the last calibration the
// worst case over all operators was 0.86 ns/unit (a one-element add, where the fixed costs
// dominate), the worst case of each operator between 0.26 (mean) and that, large square
// matmuls about 0.55; host functions 0.3 to 0.65. Where a kernel runs on several cores it
// takes less time for the same fuel.
const (
	callCost     = 512  // every host call: crossing into the host, decoding its arguments
	opCallCost   = 1536 // every operator call on top: dispatch, slices, the trace entry
	inputCost    = 256  // each input handle of an operator: lookup, its hash in the entry
	outputCost   = 512  // each output tensor: hashing its header, binding its handle
	rowCost      = 8    // each inner loop a kernel starts (a row, a block it copies)
	matmulCall   = 256  // each blocked gemm call: its buffers and workers
	refCall      = 48   // each call of the reference matmul loop (a small matrix of a batch)
	maddsPerUnit = 32   // multiply-adds of the blocked gemm per unit (AVX, 6x16 tiles)
)

// Per-element rates, in sixteenths of a unit.
const (
	rateHash    = 16   // per byte hashed (SHA-256)
	rateMove    = 8    // per byte copied or converted to or from guest memory
	rateAlloc   = 64   // per element allocated: fresh pages, zeroing, collecting
	rateCheap   = 8    // one add, multiply or copy per element, streamed
	rateStrided = 16   // a gather or scatter with a short stride
	rateGather  = 80   // a gather with a long stride (a cache miss in many)
	rateSerial  = 96   // an add into the same element as the last one (a dependent chain)
	rateCall    = 48   // a function value called per element
	rateDiv     = 64   // a few multiplies and a divide, or a square root
	rateTrans   = 224  // our exp, log, tanh, sigmoid, gelu: tens of operations
	rateNorm    = 96   // layer norm: three passes over a row
	rateRef     = 32   // one multiply-add of the reference matmul loop
	ratePack    = 32   // one element packed into a gemm panel
	rateUniform = 256  // a quarter of a Philox block and a conversion
	rateNormal  = 1792 // half a Philox block, a log, a cosine, a square root
)

// perElem is n elements at rate sixteenths of a unit each.
func perElem(n, rate int64) int64 { return satMul(n, rate) / 16 }

// hashCost and moveCost are the fuel for hashing or copying n bytes.
func hashCost(n int64) uint64 { return uint64(perElem(n, rateHash)) }
func moveCost(n int64) uint64 { return uint64(perElem(n, rateMove)) }

// blobCost is state_set_blob's work for n bytes: a copy kept, hashed into every root.
func blobCost(n int64) uint64 { return uint64(perElem(n, rateMove+rateHash)) }

// newTensorCost is tensor_new's or tensor_zeros' work for n elements: allocate, convert,
// hash.
func newTensorCost(n int) uint64 {
	return uint64(satAdd(perElem(int64(n), rateAlloc+rateCheap+4*rateMove), perElem(4*int64(n), rateHash)))
}

// gemmCost is the work of one gemm call of m x k times k x n: the reference loop below
// gemmSmall multiply-adds, else the blocked kernel plus packing both operands. Even an
// empty call costs something: a batch of a billion empty matrices is a billion calls.
func gemmCost(m, k, n int64) int64 {
	madds := satMul(m, satMul(k, n))
	if madds < gemmSmall {
		return satAdd(refCall, perElem(madds, rateRef), satMul(m, rowCost))
	}
	return satAdd(matmulCall, madds/maddsPerUnit,
		perElem(satMul(n+gemmPanelPad+1, k), ratePack), perElem(satMul(m, k), ratePack), perElem(satMul(m, n), rateCheap))
}

// opCost is the fuel for one operator call, computed from the shapes and attributes
// before it runs: the call itself, its trace entry, allocating and hashing up to bound
// elements, and the kernel's work.
func opCost(op Opcode, attrWords []uint32, in []*kernels.Tensor, nOut int, bound int64) uint64 {
	c := satAdd(opCallCost, satMul(int64(len(in)), inputCost), satMul(int64(nOut), outputCost),
		int64(hashCost(entrySize(len(attrWords), len(in), nOut))),
		perElem(bound, rateAlloc), int64(hashCost(satMul(4, hashedElems(op, attrWords, in, bound)))),
		kernelWork(op, attrWords, in, bound))
	return uint64(c)
}

// hashedElems is how many of the bound's elements are outputs, which are hashed: all,
// but for matmuls, whose scratch (packed panels) can outgrow the outputs.
func hashedElems(op Opcode, attrWords []uint32, in []*kernels.Tensor, bound int64) int64 {
	if len(in) < 2 {
		return bound
	}
	a := &attrs{op: op, words: attrWords}
	switch op {
	case OpMatMul:
		return planMatMul(dims64(in[0]), dims64(in[1]), a.flag(0), a.flag(1)).outputs
	case OpMatMulBackward:
		return satAdd(elems(in[0]), elems(in[1]))
	}
	return bound
}

// kernelWork is the fuel for an operator's kernel, from its shapes and attributes. Its
// cases mirror the kernels' loops: elements at the rate of what is done to each, plus
// rowCost for every inner loop started (broadcast rows, copied blocks, softmax rows),
// which dominates when rows are short.
func kernelWork(op Opcode, attrWords []uint32, in []*kernels.Tensor, bound int64) int64 {
	if spec, ok := ops[op]; !ok || checkArity(op, spec, in) != nil {
		return 0 // refused before any work
	}
	if len(in) == 0 {
		switch op {
		case OpUniform:
			return perElem(bound, rateUniform)
		case OpNormal:
			return perElem(bound, rateNormal)
		}
		return 0
	}
	a := &attrs{op: op, words: attrWords}
	x := elems(in[0])
	switch op {
	case OpMatMul:
		return planMatMul(dims64(in[0]), dims64(in[1]), a.flag(0), a.flag(1)).work
	case OpMatMulBackward:
		return planMatMulBackward(dims64(in[0]), dims64(in[1]), a.flag(0), a.flag(1)).work
	case OpAdd, OpSub, OpMul, OpDiv:
		out := broadcastDims(in[0].Shape(), in[1].Shape())
		return satAdd(perElem(bound, rateDiv), satMul(rows(out), rowCost))
	case OpAddBackward, OpSubBackward, OpMulBackward, OpDivBackward:
		// The elementwise gradients (a negation for sub), then a reduction to each shape.
		w := satAdd(perElem(x, rateDiv), satMul(3*rows(in[0].Shape()), rowCost))
		return satAdd(w, reduceWork(in[0].Shape(), in[1].Shape()), reduceWork(in[0].Shape(), in[2].Shape()))
	case OpReduceTo:
		return reduceWork(in[0].Shape(), a.ints(0))
	case OpScale, OpSquare, OpRelu, OpReshape:
		return perElem(x, rateCheap)
	case OpAssign:
		return perElem(bound, rateCheap)
	case OpCausalMask, OpCausalMaskBackward:
		return satAdd(perElem(x, rateCheap), satMul(rows(in[0].Shape()), rowCost))
	case OpSqrt, OpSquareBackward, OpSqrtBackward, OpExpBackward, OpLogBackward, OpTanhBackward,
		OpSigmoidBackward, OpReluBackward, OpDropoutBackward:
		return perElem(x, rateCall)
	case OpExp, OpLog, OpTanh, OpSigmoid, OpGelu:
		return perElem(x, rateCall+rateTrans)
	case OpGeluBackward:
		return perElem(x, rateCall+rateTrans+rateDiv)
	case OpSoftmax, OpLogSoftmax, OpLogSoftmaxBackward, OpCrossEntropy, OpCrossEntropyBackward:
		// Per row also a maximum, a sum and (log softmax, cross entropy) a log.
		return satAdd(perElem(x, rateTrans+rateDiv), satMul(rows(in[0].Shape()), 3*rowCost+rateTrans/16), elems(in[len(in)-1]))
	case OpSoftmaxBackward:
		return satAdd(perElem(x, rateDiv), satMul(rows(in[0].Shape()), rowCost))
	case OpLayerNorm, OpLayerNormBackward:
		return satAdd(perElem(x, rateNorm), satMul(rows(in[0].Shape()), rowCost))
	case OpEmbedding:
		return satAdd(perElem(bound, rateCheap), satMul(elems(in[1]), rowCost))
	case OpEmbeddingBackward:
		return satAdd(perElem(satAdd(elems(in[1]), bound), rateCheap), satMul(x, rowCost))
	case OpSum, OpMean:
		return satAdd(sumWork(in[0].Shape(), a.i32(0)), perElem(bound, rateDiv))
	case OpArgMax:
		return satAdd(perElem(x, rateStrided), satMul(rows(in[0].Shape()), rowCost))
	case OpSumBackward, OpMeanBackward:
		return satAdd(perElem(bound, rateDiv), satMul(loopsAlong(a.ints(1), a.i32(0)), rowCost))
	case OpTranspose:
		// The output's rows are at most x over the shortest axis, its last axis at worst.
		return satAdd(perElem(x, rateGather), satMul(x, rowCost)/max(1, int64(minDim(in[0]))))
	case OpSlice:
		return satAdd(perElem(x, rateCheap), satMul(blocksBefore(in[0].Shape(), a.i32(0)), rowCost))
	case OpSliceBackward:
		return satAdd(perElem(bound, rateCheap), satMul(blocksBefore(a.ints(2), a.i32(0)), rowCost))
	case OpConcat:
		n := int64(0)
		for _, t := range in {
			n = satAdd(n, blocksBefore(t.Shape(), a.i32(0)))
		}
		return satAdd(perElem(bound, rateCheap), satMul(n, rowCost))
	case OpSplit:
		pieces := int64(max(0, len(attrWords)-1))
		return satAdd(perElem(x, rateCheap), satMul(satMul(pieces, blocksBefore(in[0].Shape(), a.i32(0))), rowCost))
	case OpDropout:
		return perElem(x, rateUniform+2*rateDiv)
	case OpSGD:
		return perElem(bound, rateDiv)
	case OpAdamW:
		return perElem(bound, rateTrans)
	case OpClipGradNorm:
		return perElem(bound, rateDiv)
	}
	return satMul(satAdd(x, bound), rateTrans) // an operator without a case pays generously
}

// reduceWork is ReduceTo's work summing g (shape gs) to shape: a dependent chain of adds
// per element when g's last axis is summed into one element, else a strided add.
func reduceWork(gs, shape []int) int64 {
	n := dimsProd(gs)
	rate := int64(rateStrided)
	if len(gs) > 0 && gs[len(gs)-1] > 1 && (len(shape) == 0 || shape[len(shape)-1] == 1) {
		rate = rateSerial
	}
	return satAdd(perElem(n, rate), satMul(rows(gs), rowCost))
}

// sumWork is the work of summing along axis: a dependent chain of adds per element when
// the axis is innermost (or only ones follow it), else streamed adds; and an inner loop
// per element of the axes up to and including it.
func sumWork(shape []int, axis int) int64 {
	ax, ok := resolveAxis(axis, len(shape))
	if !ok {
		return 0
	}
	rate := int64(rateStrided)
	if dimsProd(shape[ax+1:]) == 1 && shape[ax] > 1 {
		rate = rateSerial
	}
	return satAdd(perElem(dimsProd(shape), rate), satMul(dimsProd(shape[:ax+1]), rowCost))
}

// rows is the number of rows (runs along the last axis) of a shape.
func rows(shape []int) int64 {
	if len(shape) == 0 {
		return 1
	}
	return dimsProd(shape[:len(shape)-1])
}

// loopsAlong is the number of inner loops of a reduction along axis: one per element of
// the axes up to and including it.
func loopsAlong(shape []int, axis int) int64 {
	ax, ok := resolveAxis(axis, len(shape))
	if !ok {
		return 0
	}
	return dimsProd(shape[:ax+1])
}

// blocksBefore is the number of blocks a layout operator copies along axis: one per
// element of the axes before it.
func blocksBefore(shape []int, axis int) int64 {
	ax, ok := resolveAxis(axis, len(shape))
	if !ok {
		return 0
	}
	return dimsProd(shape[:ax])
}

func minDim(t *kernels.Tensor) int {
	m := 1 << 31
	for _, d := range t.Shape() {
		m = min(m, d)
	}
	return m
}
