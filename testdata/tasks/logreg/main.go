// Command logreg is a minimal Lockstep task written directly against the host ABI
// (guest/ABI.md), without the SDK: two-class logistic regression (softmax form) on
// synthetic data, trained with SGD and momentum. Build:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o testdata/tasks/logreg/logreg.wasm ./testdata/tasks/logreg
package main

import (
	"math"
	"unsafe"
)

//go:wasmimport lockstep tensor_new
func tensorNew(dtype int32, shape unsafe.Pointer, rank int32, data unsafe.Pointer, n int32, out unsafe.Pointer) int32

//go:wasmimport lockstep tensor_zeros
func tensorZeros(dtype int32, shape unsafe.Pointer, rank int32, out unsafe.Pointer) int32

//go:wasmimport lockstep tensor_read
func tensorRead(h int32, data unsafe.Pointer, n int32) int32

//go:wasmimport lockstep tensor_free
func tensorFree(h int32) int32

//go:wasmimport lockstep op
func hostOp(code int32, in unsafe.Pointer, nIn int32, attrs unsafe.Pointer, nAttrs int32, out unsafe.Pointer, outCap int32, nOut unsafe.Pointer) int32

//go:wasmimport lockstep state_register
func stateRegister(name unsafe.Pointer, n int32, h int32) int32

//go:wasmimport lockstep metric
func metric(name unsafe.Pointer, n int32, v float64) int32

// Opcodes and dtypes from guest/ABI.md.
const (
	float32T, int32T = 1, 2

	opMatMul, opMatMulBackward, opAdd = 1, 2, 3
	opReduceTo                        = 11
	opCrossEntropy                    = 33
	opCrossEntropyBackward            = 34
	opArgMax                          = 43
	opNormal                          = 53
	opSGD                             = 56
	rows, features, classes           = 256, 8, 2
)

// failed holds the first non-zero status; every later call is skipped.
var failed int32

func check(st int32) {
	if failed == 0 && st != 0 {
		failed = st
	}
}

func run(code int32, attrs []uint32, in ...int32) []int32 {
	if failed != 0 {
		return nil
	}
	out := make([]int32, 4)
	var n int32
	var ap unsafe.Pointer
	if len(attrs) > 0 {
		ap = unsafe.Pointer(&attrs[0])
	}
	var ip unsafe.Pointer
	if len(in) > 0 {
		ip = unsafe.Pointer(&in[0])
	}
	check(hostOp(code, ip, int32(len(in)), ap, int32(len(attrs)), unsafe.Pointer(&out[0]), 4, unsafe.Pointer(&n)))
	if failed != 0 {
		return nil
	}
	return out[:n]
}

func run1(code int32, attrs []uint32, in ...int32) int32 {
	out := run(code, attrs, in...)
	if len(out) == 0 {
		return 0
	}
	return out[0]
}

func free(hs ...int32) {
	for _, h := range hs {
		if failed == 0 {
			check(tensorFree(h))
		}
	}
}

func normal(seed uint64, stream uint32, std float32, shape ...uint32) int32 {
	attrs := []uint32{uint32(seed), uint32(seed >> 32), stream, 0, 0, 0, 0, math.Float32bits(std)}
	return run1(opNormal, append(attrs, shape...))
}

func zeros(shape ...int32) int32 {
	var h int32
	var sp unsafe.Pointer
	if len(shape) > 0 {
		sp = unsafe.Pointer(&shape[0])
	}
	if failed == 0 {
		check(tensorZeros(float32T, sp, int32(len(shape)), unsafe.Pointer(&h)))
	}
	return h
}

func register(name string, h int32) {
	b := []byte(name)
	check(stateRegister(unsafe.Pointer(&b[0]), int32(len(b)), h))
}

func report(name string, v float64) {
	b := []byte(name)
	check(metric(unsafe.Pointer(&b[0]), int32(len(b)), v))
}

func scalar(h int32) float32 {
	var v float32
	check(tensorRead(h, unsafe.Pointer(&v), 4))
	return v
}

// The model and data, as handles.
var x, y, w, b, vw, vb int32

//go:wasmexport lockstep_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport lockstep_init
func initTask(seed int64) int32 {
	failed = 0
	// Data: x ~ N(0, 1); the label is which side of a random hyperplane x lies on.
	x = normal(uint64(seed), 1, 1, rows, features)
	truth := normal(uint64(seed), 2, 1, features, 1)
	score := run1(opMatMul, []uint32{0, 0}, x, truth)
	vals := make([]float32, rows)
	if failed == 0 {
		check(tensorRead(score, unsafe.Pointer(&vals[0]), 4*rows))
	}
	labels := make([]int32, rows)
	for i, v := range vals {
		if v > 0 {
			labels[i] = 1
		}
	}
	shape := []int32{rows}
	if failed == 0 {
		check(tensorNew(int32T, unsafe.Pointer(&shape[0]), 1, unsafe.Pointer(&labels[0]), 4*rows, unsafe.Pointer(&y)))
	}
	free(truth, score)
	// Parameters and momentum, registered as the task's state.
	w = normal(uint64(seed), 3, 0.01, features, classes)
	b, vw, vb = zeros(classes), zeros(features, classes), zeros(classes)
	register("w", w)
	register("b", b)
	register("momentum/w", vw)
	register("momentum/b", vb)
	return failed
}

func forward() int32 {
	xw := run1(opMatMul, []uint32{0, 0}, x, w)
	logits := run1(opAdd, nil, xw, b)
	free(xw)
	return logits
}

//go:wasmexport lockstep_step
func step(i int64) int32 {
	logits := forward()
	loss := run1(opCrossEntropy, nil, logits, y)
	ones := []float32{1}
	var g int32
	if failed == 0 {
		check(tensorNew(float32T, nil, 0, unsafe.Pointer(&ones[0]), 4, unsafe.Pointer(&g)))
	}
	dlogits := run1(opCrossEntropyBackward, nil, logits, y, g)
	grads := run(opMatMulBackward, []uint32{0, 0}, x, w, dlogits) // dx, dw
	db := run1(opReduceTo, []uint32{classes}, dlogits)
	sgd := []uint32{math.Float32bits(0.5), math.Float32bits(0.9), 0}
	if len(grads) == 2 {
		run(opSGD, sgd, w, grads[1], vw)
		run(opSGD, sgd, b, db, vb)
		report("loss", float64(scalar(loss)))
		free(grads...)
	}
	free(logits, loss, g, dlogits, db)
	return failed
}

//go:wasmexport lockstep_eval
func eval() int32 {
	logits := forward()
	pred := run1(opArgMax, nil, logits)
	got, want := make([]int32, rows), make([]int32, rows)
	if failed == 0 {
		check(tensorRead(pred, unsafe.Pointer(&got[0]), 4*rows))
		check(tensorRead(y, unsafe.Pointer(&want[0]), 4*rows))
	}
	right := 0
	for i := range got {
		if got[i] == want[i] {
			right++
		}
	}
	report("accuracy", float64(right)/rows)
	free(logits, pred)
	return failed
}

func main() {}
