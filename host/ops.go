package host

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lockstep-ml/lockstep/kernels"
)

// Opcode names one RepOps operator in the ABI and in the trace. Numbers are part of the
// ABI (guest/ABI.md) and never change meaning; new operators get new numbers.
type Opcode uint32

// The operators. Attribute words are little-endian 32-bit values (i32 or f32 bits) in
// the order guest/ABI.md lists them.
const (
	OpMatMul Opcode = 1 + iota
	OpMatMulBackward
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpAddBackward
	OpSubBackward
	OpMulBackward
	OpDivBackward
	OpReduceTo
	OpScale
	OpSquare
	OpSqrt
	OpExp
	OpLog
	OpTanh
	OpSigmoid
	OpGelu
	OpRelu
	OpSquareBackward
	OpSqrtBackward
	OpExpBackward
	OpLogBackward
	OpTanhBackward
	OpSigmoidBackward
	OpGeluBackward
	OpReluBackward
	OpSoftmax
	OpLogSoftmax
	OpSoftmaxBackward
	OpLogSoftmaxBackward
	OpCrossEntropy
	OpCrossEntropyBackward
	OpLayerNorm
	OpLayerNormBackward
	OpEmbedding
	OpEmbeddingBackward
	OpSum
	OpMean
	OpSumBackward
	OpMeanBackward
	OpArgMax
	OpTranspose
	OpReshape
	OpSlice
	OpSliceBackward
	OpConcat
	OpSplit
	OpCausalMask
	OpCausalMaskBackward
	OpUniform
	OpNormal
	OpDropout
	OpDropoutBackward
	OpSGD
	OpAdamW
	OpClipGradNorm
	OpAssign
	opEnd
)

// Opcodes outside the operator table, used only in the trace.
const (
	OpTensorNew Opcode = 1000 + iota // guest data entering the host
	OpInputRead                      // bytes read from a content-addressed input
	OpStateRoot                      // a step's last entry: its state's leaves and blob in, its root out
)

// attrs decodes an operator's attribute words. It notes which words it read as f32, so
// tests can hold floatAttrs to what the operators really read.
type attrs struct {
	op     Opcode
	words  []uint32
	err    error
	floats uint64 // bit i: word i was read as f32
}

func (a *attrs) need(n int) bool {
	if a.err == nil && len(a.words) < n {
		a.err = fmt.Errorf("%s needs at least %d attribute words, got %d", a.op, n, len(a.words))
	}
	return a.err == nil
}

func (a *attrs) i32(i int) int {
	if !a.need(i + 1) {
		return 0
	}
	return int(int32(a.words[i]))
}

func (a *attrs) f32(i int) float32 {
	if !a.need(i + 1) {
		return 0
	}
	a.floats |= 1 << i
	return math.Float32frombits(canonicalWord(a.words[i]))
}

// canonicalNaN is the one NaN bit pattern R0 knows (kernels/SPEC.md, rule 5).
const canonicalNaN = 0x7FC00000

// canonicalWord returns w, or the canonical NaN if w is the bits of any f32 NaN. Guests
// on different CPUs make different NaN payloads; the kernel and the trace see one.
func canonicalWord(w uint32) uint32 {
	if w&0x7F800000 == 0x7F800000 && w&0x007FFFFF != 0 {
		return canonicalNaN
	}
	return w
}

// floatAttrs lists the attribute words an operator reads as f32 (guest/ABI.md).
func floatAttrs(op Opcode) []int {
	switch op {
	case OpScale, OpLayerNorm, OpLayerNormBackward, OpClipGradNorm:
		return []int{0}
	case OpNormal:
		return []int{6, 7}
	case OpDropout:
		return []int{6}
	case OpSGD:
		return []int{0, 1, 2}
	case OpAdamW:
		return []int{2, 3, 4, 5, 6}
	}
	return nil
}

// canonicalAttrs returns a copy of an operator's attribute words with every f32 NaN
// canonical: the words the kernel sees and the trace records.
func canonicalAttrs(op Opcode, words []uint32) []uint32 {
	out := append([]uint32(nil), words...)
	for _, i := range floatAttrs(op) {
		if i < len(out) {
			out[i] = canonicalWord(out[i])
		}
	}
	return out
}

func (a *attrs) flag(i int) bool { return a.i32(i) != 0 }

func (a *attrs) u64(i int) uint64 {
	if !a.need(i + 2) {
		return 0
	}
	return uint64(a.words[i]) | uint64(a.words[i+1])<<32
}

// ints returns words i.. as ints (shapes, permutations, sizes).
func (a *attrs) ints(i int) []int {
	if !a.need(i) {
		return nil
	}
	out := make([]int, 0, len(a.words)-i)
	for _, w := range a.words[i:] {
		out = append(out, int(int32(w)))
	}
	return out
}

func (a *attrs) rng(i int) kernels.RNG {
	return kernels.RNG{Seed: a.u64(i), Stream: a.u64(i + 2), Offset: a.u64(i + 4)}
}

// opSpec describes one operator: its name, how many inputs it takes (-1: any number
// >= 1), and the function that runs it. inPlace operators update their inputs; Apply
// gives them copies, so it stays a pure function.
type opSpec struct {
	name    string
	inputs  int
	inPlace bool
	run     func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error)
}

func one(t *kernels.Tensor, err error) ([]*kernels.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*kernels.Tensor{t}, nil
}

func two(a, b *kernels.Tensor, err error) ([]*kernels.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*kernels.Tensor{a, b}, nil
}

func unaryOp(name string, f func(*kernels.Tensor) (*kernels.Tensor, error)) opSpec {
	return opSpec{name: name, inputs: 1, run: func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) { return one(f(in[0])) }}
}

func binaryOp(name string, f func(a, b *kernels.Tensor) (*kernels.Tensor, error)) opSpec {
	return opSpec{name: name, inputs: 2, run: func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) { return one(f(in[0], in[1])) }}
}

func shapeBackward(name string, f func(dy *kernels.Tensor, sa, sb []int) (*kernels.Tensor, *kernels.Tensor, error)) opSpec {
	// inputs: dy, a, b (a and b give the shapes)
	return opSpec{name: name, inputs: 3, run: func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) {
		return two(f(in[0], in[1].Shape(), in[2].Shape()))
	}}
}

var ops = map[Opcode]opSpec{
	OpMatMul: {"matmul", 2, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.MatMul(in[0], in[1], a.flag(0), a.flag(1)))
	}},
	OpMatMulBackward: {"matmul_backward", 3, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return two(kernels.MatMulBackward(in[0], in[1], in[2], a.flag(0), a.flag(1)))
	}},
	OpAdd:         binaryOp("add", kernels.Add),
	OpSub:         binaryOp("sub", kernels.Sub),
	OpMul:         binaryOp("mul", kernels.Mul),
	OpDiv:         binaryOp("div", kernels.Div),
	OpAddBackward: shapeBackward("add_backward", kernels.AddBackward),
	OpSubBackward: shapeBackward("sub_backward", kernels.SubBackward),
	OpMulBackward: {"mul_backward", 3, false, func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) {
		return two(kernels.MulBackward(in[0], in[1], in[2]))
	}},
	OpDivBackward: {"div_backward", 3, false, func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) {
		return two(kernels.DivBackward(in[0], in[1], in[2]))
	}},
	OpReduceTo: {"reduce_to", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.ReduceTo(in[0], a.ints(0)))
	}},
	OpScale: {"scale", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Scale(in[0], a.f32(0)))
	}},
	OpSquare:             unaryOp("square", kernels.Square),
	OpSqrt:               unaryOp("sqrt", kernels.Sqrt),
	OpExp:                unaryOp("exp", kernels.Exp),
	OpLog:                unaryOp("log", kernels.Log),
	OpTanh:               unaryOp("tanh", kernels.Tanh),
	OpSigmoid:            unaryOp("sigmoid", kernels.Sigmoid),
	OpGelu:               unaryOp("gelu", kernels.Gelu),
	OpRelu:               unaryOp("relu", kernels.Relu),
	OpSquareBackward:     binaryOp("square_backward", kernels.SquareBackward),
	OpSqrtBackward:       binaryOp("sqrt_backward", kernels.SqrtBackward),
	OpExpBackward:        binaryOp("exp_backward", kernels.ExpBackward),
	OpLogBackward:        binaryOp("log_backward", kernels.LogBackward),
	OpTanhBackward:       binaryOp("tanh_backward", kernels.TanhBackward),
	OpSigmoidBackward:    binaryOp("sigmoid_backward", kernels.SigmoidBackward),
	OpGeluBackward:       binaryOp("gelu_backward", kernels.GeluBackward),
	OpReluBackward:       binaryOp("relu_backward", kernels.ReluBackward),
	OpSoftmax:            unaryOp("softmax", kernels.Softmax),
	OpLogSoftmax:         unaryOp("log_softmax", kernels.LogSoftmax),
	OpSoftmaxBackward:    binaryOp("softmax_backward", kernels.SoftmaxBackward),
	OpLogSoftmaxBackward: binaryOp("log_softmax_backward", kernels.LogSoftmaxBackward),
	OpCrossEntropy:       binaryOp("cross_entropy", kernels.CrossEntropy),
	OpCrossEntropyBackward: {"cross_entropy_backward", 3, false, func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.CrossEntropyBackward(in[0], in[1], in[2]))
	}},
	OpLayerNorm: {"layer_norm", 3, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.LayerNorm(in[0], in[1], in[2], a.f32(0)))
	}},
	OpLayerNormBackward: {"layer_norm_backward", 3, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		dx, dg, db, err := kernels.LayerNormBackward(in[0], in[1], in[2], a.f32(0))
		if err != nil {
			return nil, err
		}
		return []*kernels.Tensor{dx, dg, db}, nil
	}},
	OpEmbedding: binaryOp("embedding", kernels.Embedding),
	OpEmbeddingBackward: {"embedding_backward", 2, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.EmbeddingBackward(in[0], in[1], a.i32(0)))
	}},
	OpSum: {"sum", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Sum(in[0], a.i32(0)))
	}},
	OpMean: {"mean", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Mean(in[0], a.i32(0)))
	}},
	OpSumBackward: {"sum_backward", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.SumBackward(in[0], a.ints(1), a.i32(0)))
	}},
	OpMeanBackward: {"mean_backward", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.MeanBackward(in[0], a.ints(1), a.i32(0)))
	}},
	OpArgMax: unaryOp("argmax", kernels.ArgMax),
	OpTranspose: {"transpose", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Transpose(in[0], a.ints(0)...))
	}},
	OpReshape: {"reshape", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Reshape(in[0], a.ints(0)...))
	}},
	OpSlice: {"slice", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Slice(in[0], a.i32(0), a.i32(1), a.i32(2)))
	}},
	OpSliceBackward: {"slice_backward", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.SliceBackward(in[0], a.ints(2), a.i32(0), a.i32(1)))
	}},
	OpConcat: {"concat", -1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Concat(a.i32(0), in...))
	}},
	OpSplit: {"split", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return kernels.Split(in[0], a.i32(0), a.ints(1)...)
	}},
	OpCausalMask:         unaryOp("causal_mask", kernels.CausalMask),
	OpCausalMaskBackward: unaryOp("causal_mask_backward", kernels.CausalMaskBackward),
	OpUniform: {"uniform", 0, false, func(_ []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Uniform(a.rng(0), a.ints(6)...))
	}},
	OpNormal: {"normal", 0, false, func(_ []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Normal(a.rng(0), a.f32(6), a.f32(7), a.ints(8)...))
	}},
	OpDropout: {"dropout", 1, false, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		return two(kernels.Dropout(in[0], a.f32(6), a.rng(0)))
	}},
	OpDropoutBackward: binaryOp("dropout_backward", kernels.DropoutBackward),
	OpSGD: {"sgd", 3, true, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		c := kernels.SGDConfig{LR: a.f32(0), Momentum: a.f32(1), WeightDecay: a.f32(2)}
		if len(a.words) > 3 { // the optional fourth word: Nesterov momentum, 0 or 1
			switch a.words[3] {
			case 0:
			case 1:
				c.Nesterov = true
			default:
				a.err = fmt.Errorf("sgd attribute word 3 (nesterov) is %d, not 0 or 1", a.words[3])
				return nil, nil
			}
		}
		if err := kernels.SGD(in[0], in[1], in[2], c); err != nil {
			return nil, err
		}
		return []*kernels.Tensor{in[0], in[2]}, nil
	}},
	OpAdamW: {"adamw", 4, true, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		c := kernels.AdamWConfig{LR: a.f32(2), Beta1: a.f32(3), Beta2: a.f32(4), Eps: a.f32(5), WeightDecay: a.f32(6)}
		if err := kernels.AdamW(in[0], in[1], in[2], in[3], int64(a.u64(0)), c); err != nil {
			return nil, err
		}
		return []*kernels.Tensor{in[0], in[2], in[3]}, nil
	}},
	OpClipGradNorm: {"clip_grad_norm", -1, true, func(in []*kernels.Tensor, a *attrs) ([]*kernels.Tensor, error) {
		norm, err := kernels.ClipGradNorm(in, a.f32(0))
		if err != nil {
			return nil, err
		}
		return append([]*kernels.Tensor{kernels.Scalar(norm)}, in...), nil
	}},
	OpAssign: {"assign", 2, true, func(in []*kernels.Tensor, _ *attrs) ([]*kernels.Tensor, error) {
		return one(kernels.Assign(in[0], in[1]))
	}},
}

func (o Opcode) String() string {
	switch o {
	case OpTensorNew:
		return "tensor_new"
	case OpInputRead:
		return "input_read"
	case OpStateRoot:
		return "state_root"
	}
	if s, ok := ops[o]; ok {
		return s.name
	}
	return fmt.Sprintf("op(%d)", uint32(o))
}

// IsOperator reports whether o is an operator of the table (not an opcode only the trace
// uses, such as tensor_new).
func IsOperator(o Opcode) bool {
	_, ok := ops[o]
	return ok
}

// InPlace reports whether an operator updates its inputs; such operators' outputs are
// the updated tensors, whose handles the session rebinds to the new contents.
func (o Opcode) InPlace() bool { return ops[o].inPlace }

// rebinds says, for an in-place operator with nIn inputs, which input each output
// replaces (-1: the output is a new tensor). The inputs it names are the ones the
// operator updates, and so the ones Apply copies.
func rebinds(op Opcode, nIn int) []int {
	switch op {
	case OpSGD:
		return []int{0, 2}
	case OpAdamW:
		return []int{0, 2, 3}
	case OpAssign:
		return []int{0}
	case OpClipGradNorm:
		r := []int{-1}
		for i := 0; i < nIn; i++ {
			r = append(r, i)
		}
		return r
	}
	return nil
}

// outputCount is the number of outputs a successful call makes, known before it runs so
// that a call can be refused (for a small output buffer, quotas) before it has effects.
func outputCount(op Opcode, attrWords []uint32, nIn int) int {
	switch op {
	case OpMatMulBackward, OpAddBackward, OpSubBackward, OpMulBackward, OpDivBackward, OpDropout, OpSGD:
		return 2
	case OpLayerNormBackward, OpAdamW:
		return 3
	case OpSplit:
		return max(0, len(attrWords)-1) // one per size
	case OpClipGradNorm:
		return 1 + nIn
	}
	return 1
}

// newOutputs is how many of a call's outputs get new handles (the rest rebind inputs).
func newOutputs(op Opcode, attrWords []uint32, nIn int) int {
	rb := rebinds(op, nIn)
	if rb == nil {
		return outputCount(op, attrWords, nIn)
	}
	n := 0
	for _, r := range rb {
		if r < 0 {
			n++
		}
	}
	return n
}

// checkArity checks the number and presence of an operator's inputs.
func checkArity(op Opcode, spec opSpec, inputs []*kernels.Tensor) error {
	if spec.inputs >= 0 && len(inputs) != spec.inputs || spec.inputs < 0 && len(inputs) == 0 {
		return fmt.Errorf("%w: %s takes %d inputs, got %d", ErrBadArgument, spec.name, spec.inputs, len(inputs))
	}
	for i, t := range inputs {
		if t == nil {
			return fmt.Errorf("%w: %s input %d is nil", ErrBadArgument, spec.name, i)
		}
	}
	return nil
}

func lookup(op Opcode) (opSpec, error) {
	spec, ok := ops[op]
	if !ok {
		return opSpec{}, fmt.Errorf("%w: unknown opcode %d", ErrBadArgument, uint32(op))
	}
	return spec, nil
}

// Apply runs one operator on inputs with the given attribute words and returns its
// outputs. It never modifies its inputs (in-place operators get copies of the inputs they
// update), so a referee can replay a trace entry with exactly this call. f32 attributes
// that are NaNs reach the kernel as the canonical NaN. Bad operands give an error, never
// a panic.
func Apply(op Opcode, attrWords []uint32, inputs []*kernels.Tensor) ([]*kernels.Tensor, error) {
	out, _, err := apply(op, attrWords, inputs)
	return out, err
}

// apply is Apply, also returning the decoded attributes (for tests).
func apply(op Opcode, attrWords []uint32, inputs []*kernels.Tensor) ([]*kernels.Tensor, *attrs, error) {
	spec, err := lookup(op)
	if err != nil {
		return nil, nil, err
	}
	if err := checkArity(op, spec, inputs); err != nil {
		return nil, nil, err
	}
	if spec.inPlace {
		cp := append([]*kernels.Tensor(nil), inputs...)
		for _, i := range rebinds(op, len(inputs)) {
			if i >= 0 {
				cp[i] = inputs[i].Clone()
			}
		}
		inputs = cp
	}
	a := &attrs{op: op, words: attrWords}
	out, err := spec.run(inputs, a)
	if a.err != nil {
		return nil, a, fmt.Errorf("%w: %v", ErrBadArgument, a.err)
	}
	if err != nil {
		return nil, a, fmt.Errorf("%w: %v", ErrOperator, err)
	}
	return out, a, nil
}

// EncodeAttrs packs attribute words as little-endian bytes (their form in the trace).
func EncodeAttrs(words []uint32) []byte {
	b := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}
