package guest

import (
	"fmt"
	"strings"
)

// Operators with reverse-mode autograd. Each forward call runs one host operator and, if
// any input needs a gradient, records a node on the tape whose backward calls the host's
// backward operators: every backward step is itself a traced, replayable operator.

type node struct {
	out      *Tensor
	ins      [4]*Tensor
	nIn      int
	backward func(dy *Tensor) []*Tensor // one gradient per input (nil: none)
	layer    string                     // the layer that recorded it, for error messages
}

func (n *node) inputs() []*Tensor { return n.ins[:n.nIn] }

var tape []*node

// nodeSlab hands out tape nodes in chunks (see tensorSlab).
var nodeSlab []node

// handleBuf holds the input handles of one op call; the guest is single-threaded and the
// host reads them during the call, so one buffer serves every call.
var handleBuf []uint32

// run calls operator code on the inputs' handles and returns the output handles (valid
// until the next call).
func run(code Opcode, attrs []uint32, in []*Tensor) []uint32 {
	if !ok() {
		return nil
	}
	hs := handleBuf[:0]
	for i, t := range in {
		if t == nil {
			failf("%s: input %d is nil", code.String(), i)
			return nil
		}
		hs = append(hs, t.h)
	}
	handleBuf = hs
	out, err := rt.b.Op(code, attrs, hs)
	if err != nil {
		fail(fmt.Errorf("%s(%s): %w", code, operandShapes(in), err))
		return nil
	}
	return out
}

// operandShapes describes the operands of a failed operator call, such as
// "[32 64], [10 3]" or "[8 10], int32[8]", asking the host for the shapes not yet known.
// It runs only after a failure, so it changes nothing a successful call does.
func operandShapes(in []*Tensor) string {
	var sb strings.Builder
	for i, t := range in {
		if i > 0 {
			sb.WriteString(", ")
		}
		dtype, shape := t.dtype, t.shape
		if shape == nil {
			var err error
			if dtype, shape, err = rt.b.Info(t.h); err != nil {
				sb.WriteString("?")
				continue
			}
		}
		if dtype == Int32 {
			sb.WriteString("int32")
		}
		fmt.Fprint(&sb, shape)
	}
	return sb.String()
}

// adopt wraps an operator's output handle. Its shape is asked of the host when first
// needed (the host is the one authority on shapes; the guest does not repeat its rules).
func adopt(h uint32) *Tensor { return wrap(h, 0, nil) }

// outputs runs an operator and adopts exactly n outputs.
func outputs(code Opcode, attrs []uint32, in []*Tensor, n int) []*Tensor {
	hs := run(code, attrs, in)
	if !ok() {
		return make([]*Tensor, n)
	}
	if len(hs) != n {
		failf("%s: %d outputs, want %d", code.String(), len(hs), n)
		return make([]*Tensor, n)
	}
	ts := make([]*Tensor, n)
	for i, h := range hs {
		ts[i] = adopt(h)
	}
	return ts
}

// op1 runs an operator with one output.
func op1(code Opcode, attrs []uint32, in []*Tensor) *Tensor {
	hs := run(code, attrs, in)
	if !ok() {
		return nil
	}
	if len(hs) != 1 {
		failf("%s: %d outputs, want 1", code.String(), len(hs))
		return nil
	}
	return adopt(hs[0])
}

// record adds a node for out if any input needs a gradient. It copies the inputs, so
// callers' slice literals need not escape.
func record(out *Tensor, inputs []*Tensor, backward func(dy *Tensor) []*Tensor) *Tensor {
	if out == nil {
		return nil
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			if len(nodeSlab) == 0 {
				nodeSlab = make([]node, 64)
			}
			n := &nodeSlab[0]
			nodeSlab = nodeSlab[1:]
			*n = node{out: out, backward: backward, layer: rt.layer}
			n.nIn = copy(n.ins[:], inputs) // after the assignment above, which zeroes ins
			tape = append(tape, n)
			break
		}
	}
	return out
}

func flag(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// MatMulT returns op(a) @ op(b), op transposing the last two axes when set.
func MatMulT(a, b *Tensor, ta, tb bool) *Tensor {
	attrs := []uint32{flag(ta), flag(tb)}
	out := op1(opMatMul, attrs, []*Tensor{a, b})
	return record(out, []*Tensor{a, b}, func(dy *Tensor) []*Tensor {
		return outputs(opMatMulBackward, attrs, []*Tensor{a, b, dy}, 2)
	})
}

// MatMul returns a @ b.
func MatMul(a, b *Tensor) *Tensor { return MatMulT(a, b, false, false) }

func broadcastOp(code, back Opcode, a, b *Tensor) *Tensor {
	out := op1(code, nil, []*Tensor{a, b})
	return record(out, []*Tensor{a, b}, func(dy *Tensor) []*Tensor {
		return outputs(back, nil, []*Tensor{dy, a, b}, 2)
	})
}

// Add, Sub, Mul and Div broadcast as NumPy does.
func Add(a, b *Tensor) *Tensor { return broadcastOp(opAdd, opAddBackward, a, b) }
func Sub(a, b *Tensor) *Tensor { return broadcastOp(opSub, opSubBackward, a, b) }
func Mul(a, b *Tensor) *Tensor { return broadcastOp(opMul, opMulBackward, a, b) }
func Div(a, b *Tensor) *Tensor { return broadcastOp(opDiv, opDivBackward, a, b) }

// Scale returns x * s.
func Scale(x *Tensor, s float32) *Tensor {
	attrs := []uint32{f32w(s)}
	return record(op1(opScale, attrs, []*Tensor{x}), []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opScale, attrs, []*Tensor{dy})}
	})
}

// unary ops whose backward takes the input (x) or the output (y) with dy.
func unaryX(code, back Opcode, x *Tensor) *Tensor {
	return record(op1(code, nil, []*Tensor{x}), []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(back, nil, []*Tensor{x, dy})}
	})
}

func unaryY(code, back Opcode, x *Tensor) *Tensor {
	var y *Tensor
	y = record(op1(code, nil, []*Tensor{x}), []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(back, nil, []*Tensor{y, dy})}
	})
	return y
}

func Relu(x *Tensor) *Tensor       { return unaryX(opRelu, opReluBackward, x) }
func Gelu(x *Tensor) *Tensor       { return unaryX(opGelu, opGeluBackward, x) }
func Square(x *Tensor) *Tensor     { return unaryX(opSquare, opSquareBackward, x) }
func Log(x *Tensor) *Tensor        { return unaryX(opLog, opLogBackward, x) }
func Tanh(x *Tensor) *Tensor       { return unaryY(opTanh, opTanhBackward, x) }
func Sigmoid(x *Tensor) *Tensor    { return unaryY(opSigmoid, opSigmoidBackward, x) }
func Exp(x *Tensor) *Tensor        { return unaryY(opExp, opExpBackward, x) }
func Sqrt(x *Tensor) *Tensor       { return unaryY(opSqrt, opSqrtBackward, x) }
func Softmax(x *Tensor) *Tensor    { return unaryY(opSoftmax, opSoftmaxBackward, x) }
func LogSoftmax(x *Tensor) *Tensor { return unaryY(opLogSoftmax, opLogSoftmaxBackward, x) }

// CrossEntropy returns the mean cross-entropy of logits [N, C] against int32 labels [N].
func CrossEntropy(logits, labels *Tensor) *Tensor {
	out := op1(opCrossEntropy, nil, []*Tensor{logits, labels})
	return record(out, []*Tensor{logits}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opCrossEntropyBackward, nil, []*Tensor{logits, labels, dy})}
	})
}

// LayerNorm normalizes the last axis and applies gamma and beta.
func LayerNorm(x, gamma, beta *Tensor, eps float32) *Tensor {
	attrs := []uint32{f32w(eps)}
	out := op1(opLayerNorm, attrs, []*Tensor{x, gamma, beta})
	return record(out, []*Tensor{x, gamma, beta}, func(dy *Tensor) []*Tensor {
		return outputs(opLayerNormBackward, attrs, []*Tensor{x, gamma, dy}, 3)
	})
}

// Embedding looks up the rows of table [V, D] for int32 indices.
func Embedding(table, idx *Tensor) *Tensor {
	out := op1(opEmbedding, nil, []*Tensor{table, idx})
	return record(out, []*Tensor{table}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opEmbeddingBackward, []uint32{uint32(table.dims()[0])}, []*Tensor{idx, dy})}
	})
}

func axisOp(code, back Opcode, x *Tensor, axis int) *Tensor {
	out := op1(code, []uint32{uint32(int32(axis))}, []*Tensor{x})
	return record(out, []*Tensor{x}, func(dy *Tensor) []*Tensor {
		attrs := append([]uint32{uint32(int32(axis))}, shapeWords(x.dims())...)
		return []*Tensor{op1(back, attrs, []*Tensor{dy})}
	})
}

// Sum and Mean reduce along axis (negative counts from the end).
func Sum(x *Tensor, axis int) *Tensor  { return axisOp(opSum, opSumBackward, x, axis) }
func Mean(x *Tensor, axis int) *Tensor { return axisOp(opMean, opMeanBackward, x, axis) }

// ArgMax returns the int32 index of the largest value along the last axis (no gradient).
func ArgMax(x *Tensor) *Tensor { return op1(opArgMax, nil, []*Tensor{x}) }

// Transpose permutes axes.
func Transpose(x *Tensor, perm ...int) *Tensor {
	out := op1(opTranspose, shapeWords(perm), []*Tensor{x})
	return record(out, []*Tensor{x}, func(dy *Tensor) []*Tensor {
		inv := make([]int, len(perm))
		for i, p := range perm {
			inv[p] = i
		}
		return []*Tensor{op1(opTranspose, shapeWords(inv), []*Tensor{dy})}
	})
}

// Reshape changes the shape (one -1 is inferred).
func Reshape(x *Tensor, shape ...int) *Tensor {
	out := op1(opReshape, shapeWords(shape), []*Tensor{x})
	return record(out, []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opReshape, shapeWords(x.dims()), []*Tensor{dy})}
	})
}

// CausalMask sets the elements above the diagonal of the last two axes to -Inf.
func CausalMask(x *Tensor) *Tensor {
	return record(op1(opCausalMask, nil, []*Tensor{x}), []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opCausalMaskBackward, nil, []*Tensor{dy})}
	})
}

// Slice returns x[start:end] along axis.
func Slice(x *Tensor, axis, start, end int) *Tensor {
	attrs := []uint32{uint32(int32(axis)), uint32(int32(start)), uint32(int32(end))}
	return record(op1(opSlice, attrs, []*Tensor{x}), []*Tensor{x}, func(dy *Tensor) []*Tensor {
		a := append([]uint32{uint32(int32(axis)), uint32(int32(start))}, shapeWords(x.dims())...)
		return []*Tensor{op1(opSliceBackward, a, []*Tensor{dy})}
	})
}

// Concat joins xs along axis (negative counts from the end); they must match on every
// other axis. Its backward splits the gradient back into the inputs' sizes.
func Concat(axis int, xs ...*Tensor) *Tensor {
	ax := uint32(int32(axis))
	out := op1(opConcat, []uint32{ax}, xs)
	// A tape node holds at most len(node.ins) inputs, so more are recorded as several
	// nodes of the same output. Backward reaches them one after the other with the same
	// gradient; the first splits it for all of them, in one operator.
	var dyOf *Tensor
	var parts []*Tensor
	group := len(node{}.ins)
	for lo := 0; lo < len(xs); lo += group {
		hi := min(lo+group, len(xs))
		record(out, xs[lo:hi], func(dy *Tensor) []*Tensor {
			if dy != dyOf {
				attrs := make([]uint32, 1, 1+len(xs))
				attrs[0] = ax
				for _, x := range xs {
					d := x.dims()
					a := axis
					if a < 0 {
						a += len(d)
					}
					if a < 0 || a >= len(d) {
						return nil // the forward operator accepted the axis; unreachable
					}
					attrs = append(attrs, uint32(int32(d[a])))
				}
				dyOf, parts = dy, outputs(opSplit, attrs, []*Tensor{dy}, len(xs))
			}
			return parts[lo:hi]
		})
	}
	return out
}

// Split cuts x along axis (negative counts from the end) into pieces of the given sizes,
// which must add up to the axis's length. Its backward joins the pieces' gradients (zeros
// for a piece that has none) in one operator.
func Split(x *Tensor, axis int, sizes ...int) []*Tensor {
	attrs := append([]uint32{uint32(int32(axis))}, shapeWords(sizes)...)
	outs := outputs(opSplit, attrs, []*Tensor{x}, len(sizes))
	if !ok() {
		return outs
	}
	// One node per piece (a node has one output). Every use of a piece comes after the
	// split on the tape, so when Backward reaches the first of these nodes every piece's
	// gradient is complete: that node joins them all, and the others add nothing.
	done := false
	for _, out := range outs {
		record(out, []*Tensor{x}, func(*Tensor) []*Tensor {
			if done {
				return nil
			}
			done = true
			gs := make([]*Tensor, len(outs))
			for i, o := range outs {
				if gs[i] = o.acc; gs[i] == nil {
					gs[i] = Zeros(o.dims()...)
				}
			}
			return []*Tensor{op1(opConcat, attrs[:1], gs)}
		})
	}
	return outs
}

// Dropout zeroes elements with probability p (training only) and advances r.
func Dropout(x *Tensor, p float32, r *RNG) *Tensor {
	if p == 0 {
		return x
	}
	attrs := append(r.words(), f32w(p))
	r.Offset += uint64((numel(x.dims()) + 3) / 4)
	outs := outputs(opDropout, attrs, []*Tensor{x}, 2)
	y, mask := outs[0], outs[1]
	return record(y, []*Tensor{x}, func(dy *Tensor) []*Tensor {
		return []*Tensor{op1(opDropoutBackward, nil, []*Tensor{dy, mask})}
	})
}

// Backward computes the gradient of loss (a one-element tensor) with respect to every
// parameter that contributed to it, and stores it in the parameter's Grad. Gradients of
// tensors used several times are added in the order the tape reaches them.
func Backward(loss *Tensor) {
	if !ok() || loss == nil {
		return
	}
	if numel(loss.dims()) != 1 {
		failf("Backward: loss has shape %v, want one element", loss.dims())
		return
	}
	// Gradients accumulate in each tensor's acc field (no map: this runs in Wasm).
	loss.acc = FromFloat32s([]float32{1}, loss.dims()...)
	for i := len(tape) - 1; i >= 0 && ok(); i-- {
		n := tape[i]
		dy := n.out.acc
		if dy == nil {
			continue
		}
		ins := n.inputs()
		outer := rt.layer
		rt.layer, rt.backward = n.layer, true
		grads := n.backward(dy)
		rt.layer, rt.backward = outer, false
		for j, g := range grads {
			if j >= len(ins) {
				break
			}
			in := ins[j]
			if g == nil || in == nil || !in.requiresGrad {
				continue
			}
			if in.acc != nil {
				g = op1(opAdd, nil, []*Tensor{in.acc, g})
			}
			in.acc = g
		}
	}
	for _, p := range params {
		if p.acc != nil {
			p.Grad, p.acc = p.acc, nil
		}
	}
	for _, t := range live {
		t.acc = nil
	}
	tape = nil
}

// Assign gives dst src's values in place (the assign operator): dst keeps its handle, so
// this is how a call writes new values into a registered state tensor. dst and src must
// have the same dtype and shape; src stays as it was. No gradient flows through it.
func Assign(dst, src *Tensor) {
	run(opAssign, nil, []*Tensor{dst, src})
}
