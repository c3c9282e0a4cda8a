package guest

import "fmt"

// Backend is what the SDK runs on: the host module when the task is built for Wasm
// (wasm.go), or, in a native build, a host session in the same process that guest/native
// provides. Its methods mirror guest/ABI.md.
type Backend interface {
	NewTensor(dtype DType, shape []int, data []byte) (uint32, error)
	Zeros(dtype DType, shape []int) (uint32, error)
	Read(h uint32, buf []byte) error
	Info(h uint32) (DType, []int, error)
	Free(h uint32) error
	FreeMany(hs []uint32) error
	Op(code Opcode, attrs []uint32, in []uint32) ([]uint32, error)
	Register(name string, h uint32) error
	SetBlob(b []byte) error
	Blob() ([]byte, error)
	InputSize(name string) (int64, error)
	InputRead(name string, offset int64, buf []byte) error
	Metric(name string, v float64) error
	Output(b []byte) error
	Log(line string)
}

// DType is a tensor's element type (guest/ABI.md).
type DType int32

const (
	Float32 DType = 1
	Int32   DType = 2
)

// Opcode numbers an operator (guest/ABI.md's table; guest/native checks them against the
// host's).
type Opcode uint32

const (
	opMatMul Opcode = 1 + iota
	opMatMulBackward
	opAdd
	opSub
	opMul
	opDiv
	opAddBackward
	opSubBackward
	opMulBackward
	opDivBackward
	opReduceTo
	opScale
	opSquare
	opSqrt
	opExp
	opLog
	opTanh
	opSigmoid
	opGelu
	opRelu
	opSquareBackward
	opSqrtBackward
	opExpBackward
	opLogBackward
	opTanhBackward
	opSigmoidBackward
	opGeluBackward
	opReluBackward
	opSoftmax
	opLogSoftmax
	opSoftmaxBackward
	opLogSoftmaxBackward
	opCrossEntropy
	opCrossEntropyBackward
	opLayerNorm
	opLayerNormBackward
	opEmbedding
	opEmbeddingBackward
	opSum
	opMean
	opSumBackward
	opMeanBackward
	opArgMax
	opTranspose
	opReshape
	opSlice
	opSliceBackward
	opConcat
	opSplit
	opCausalMask
	opCausalMaskBackward
	opUniform
	opNormal
	opDropout
	opDropoutBackward
	opSGD
	opAdamW
	opClipGradNorm
	opAssign
	opCount // one past the last
)

// opNames is the ABI name of each opcode, built once.
var opNames = func() map[Opcode]string {
	names := []string{"matmul", "matmul_backward", "add", "sub", "mul", "div", "add_backward", "sub_backward",
		"mul_backward", "div_backward", "reduce_to", "scale", "square", "sqrt", "exp", "log", "tanh", "sigmoid",
		"gelu", "relu", "square_backward", "sqrt_backward", "exp_backward", "log_backward", "tanh_backward",
		"sigmoid_backward", "gelu_backward", "relu_backward", "softmax", "log_softmax", "softmax_backward",
		"log_softmax_backward", "cross_entropy", "cross_entropy_backward", "layer_norm", "layer_norm_backward",
		"embedding", "embedding_backward", "sum", "mean", "sum_backward", "mean_backward", "argmax", "transpose",
		"reshape", "slice", "slice_backward", "concat", "split", "causal_mask", "causal_mask_backward", "uniform",
		"normal", "dropout", "dropout_backward", "sgd", "adamw", "clip_grad_norm", "assign"}
	m := make(map[Opcode]string, len(names))
	for i, n := range names {
		m[Opcode(i+1)] = n
	}
	return m
}()

// OpcodeNames lists the ABI name of each opcode, for checking against the host.
func OpcodeNames() map[Opcode]string {
	m := make(map[Opcode]string, len(opNames))
	for k, v := range opNames {
		m[k] = v
	}
	return m
}

func (o Opcode) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return fmt.Sprintf("op(%d)", uint32(o))
}

// The SDK keeps the first error and skips every later operation, so task code reads like
// PyTorch (no error after every line) and still reports the first failure exactly: the
// step export returns it as a non-zero status with the message.
type state struct {
	b   Backend
	err error
	// layer names the SDK layer whose Forward (or constructor) is running, and backward
	// says that Backward is running a step it recorded: the first error says where it
	// happened in the author's model. Neither reaches the host.
	layer    string
	backward bool
}

var rt state

// Err returns the first error of the current call, or nil.
func Err() error { return rt.err }

func fail(err error) {
	if rt.err == nil && err != nil {
		switch {
		case rt.layer != "" && rt.backward:
			err = fmt.Errorf("layer %q, backward: %w", rt.layer, err)
		case rt.layer != "":
			err = fmt.Errorf("layer %q: %w", rt.layer, err)
		}
		rt.err = err
	}
}

// enter makes name the layer that errors name, and returns the one to restore:
//
//	defer leave(enter(l.name))
func enter(name string) string {
	outer := rt.layer
	if name != "" {
		rt.layer = name
	}
	return outer
}

func leave(outer string) { rt.layer = outer }

// Fail makes err the call's error if it has none yet (nil does nothing): the way code
// built on the SDK, such as guest/rl, reports an error in the SDK's style, so that later
// operations are skipped and Err returns it.
func Fail(err error) { fail(err) }

func failf(format string, args ...any) { fail(fmt.Errorf(format, args...)) }

func ok() bool { return rt.err == nil && rt.b != nil }
