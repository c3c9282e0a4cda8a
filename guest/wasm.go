//go:build wasip1

package guest

import (
	"errors"
	"fmt"
	"unsafe"
)

// The host module's functions (guest/ABI.md), and the ABI's exports, which call the
// registered Task.

//go:wasmimport lockstep last_error
func hostLastError(buf unsafe.Pointer, capacity uint32, n unsafe.Pointer) int32

//go:wasmimport lockstep tensor_new
func hostTensorNew(dtype int32, shape unsafe.Pointer, rank uint32, data unsafe.Pointer, n uint32, out unsafe.Pointer) int32

//go:wasmimport lockstep tensor_zeros
func hostTensorZeros(dtype int32, shape unsafe.Pointer, rank uint32, out unsafe.Pointer) int32

//go:wasmimport lockstep tensor_read
func hostTensorRead(h uint32, buf unsafe.Pointer, n uint32) int32

//go:wasmimport lockstep tensor_info
func hostTensorInfo(h uint32, dtype unsafe.Pointer, shape unsafe.Pointer, capacity uint32, rank unsafe.Pointer) int32

//go:wasmimport lockstep tensor_free
func hostTensorFree(h uint32) int32

//go:wasmimport lockstep tensor_free_many
func hostTensorFreeMany(hs unsafe.Pointer, n uint32) int32

//go:wasmimport lockstep op
func hostOp(code uint32, in unsafe.Pointer, nIn uint32, attrs unsafe.Pointer, nAttrs uint32, out unsafe.Pointer, outCap uint32, nOut unsafe.Pointer) int32

//go:wasmimport lockstep state_register
func hostStateRegister(name unsafe.Pointer, n uint32, h uint32) int32

//go:wasmimport lockstep state_set_blob
func hostStateSetBlob(buf unsafe.Pointer, n uint32) int32

//go:wasmimport lockstep state_get_blob
func hostStateGetBlob(buf unsafe.Pointer, capacity uint32, n unsafe.Pointer) int32

//go:wasmimport lockstep input_size
func hostInputSize(name unsafe.Pointer, n uint32, size unsafe.Pointer) int32

//go:wasmimport lockstep input_read
func hostInputRead(name unsafe.Pointer, n uint32, offset int64, buf unsafe.Pointer, length uint32) int32

//go:wasmimport lockstep metric
func hostMetric(name unsafe.Pointer, n uint32, v float64) int32

//go:wasmimport lockstep output
func hostOutput(buf unsafe.Pointer, n uint32) int32

//go:wasmimport lockstep log
func hostLog(buf unsafe.Pointer, n uint32) int32

func ptr[T any](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func strPtr(s string) (unsafe.Pointer, uint32) {
	if len(s) == 0 {
		return nil, 0
	}
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}

// hostErr turns a status into an error carrying the host's message.
func hostErr(fn string, st int32) error {
	if st == 0 {
		return nil
	}
	buf := make([]byte, 512)
	var n uint32
	hostLastError(ptr(buf), uint32(len(buf)), unsafe.Pointer(&n))
	return fmt.Errorf("%s: status %d: %s", fn, st, buf[:min(n, uint32(len(buf)))])
}

type wasmBackend struct{}

func shape32(shape []int) []int32 {
	s := make([]int32, len(shape))
	for i, d := range shape {
		s[i] = int32(d)
	}
	return s
}

func (wasmBackend) NewTensor(dtype DType, shape []int, data []byte) (uint32, error) {
	var h uint32
	s := shape32(shape)
	return h, hostErr("tensor_new", hostTensorNew(int32(dtype), ptr(s), uint32(len(s)), ptr(data), uint32(len(data)), unsafe.Pointer(&h)))
}

func (wasmBackend) Zeros(dtype DType, shape []int) (uint32, error) {
	var h uint32
	s := shape32(shape)
	return h, hostErr("tensor_zeros", hostTensorZeros(int32(dtype), ptr(s), uint32(len(s)), unsafe.Pointer(&h)))
}

func (wasmBackend) Read(h uint32, buf []byte) error {
	return hostErr("tensor_read", hostTensorRead(h, ptr(buf), uint32(len(buf))))
}

func (wasmBackend) Info(h uint32) (DType, []int, error) {
	var dtype, rank uint32
	var dims [8]uint32
	if err := hostErr("tensor_info", hostTensorInfo(h, unsafe.Pointer(&dtype), unsafe.Pointer(&dims[0]), 8, unsafe.Pointer(&rank))); err != nil {
		return 0, nil, err
	}
	shape := make([]int, rank)
	for i := range shape {
		shape[i] = int(dims[i])
	}
	return DType(dtype), shape, nil
}

func (wasmBackend) Free(h uint32) error { return hostErr("tensor_free", hostTensorFree(h)) }

func (wasmBackend) FreeMany(hs []uint32) error {
	return hostErr("tensor_free_many", hostTensorFreeMany(ptr(hs), uint32(len(hs))))
}

// outBuf receives output handles; callers copy what they keep before the next call.
var outBuf = make([]uint32, 64)

func (wasmBackend) Op(code Opcode, attrs []uint32, in []uint32) ([]uint32, error) {
	if len(outBuf) < len(in)+1 {
		outBuf = make([]uint32, len(in)+1)
	}
	out := outBuf
	var n uint32
	st := hostOp(uint32(code), ptr(in), uint32(len(in)), ptr(attrs), uint32(len(attrs)), ptr(out), uint32(len(out)), unsafe.Pointer(&n))
	return out[:n], hostErr(code.String(), st)
}

func (wasmBackend) Register(name string, h uint32) error {
	p, n := strPtr(name)
	return hostErr("state_register", hostStateRegister(p, n, h))
}

func (wasmBackend) SetBlob(b []byte) error {
	return hostErr("state_set_blob", hostStateSetBlob(ptr(b), uint32(len(b))))
}

func (wasmBackend) Blob() ([]byte, error) {
	var n uint32
	if err := hostErr("state_get_blob", hostStateGetBlob(nil, 0, unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	return b, hostErr("state_get_blob", hostStateGetBlob(ptr(b), n, unsafe.Pointer(&n)))
}

func (wasmBackend) InputSize(name string) (int64, error) {
	p, n := strPtr(name)
	var size int64
	return size, hostErr("input_size", hostInputSize(p, n, unsafe.Pointer(&size)))
}

func (wasmBackend) InputRead(name string, offset int64, buf []byte) error {
	p, n := strPtr(name)
	return hostErr("input_read", hostInputRead(p, n, offset, ptr(buf), uint32(len(buf))))
}

func (wasmBackend) Metric(name string, v float64) error {
	p, n := strPtr(name)
	return hostErr("metric", hostMetric(p, n, v))
}

func (wasmBackend) Output(b []byte) error {
	return hostErr("output", hostOutput(ptr(b), uint32(len(b))))
}

func (wasmBackend) Log(line string) {
	p, n := strPtr(line)
	hostLog(p, n)
}

func init() { rt.b = wasmBackend{} }

// status runs one task call and turns its error into the export's status; the host's
// last_error then holds the message (the guest logs its own errors too).
func status(f func() error) int32 {
	rt.err = nil
	err := f()
	if err == nil {
		err = rt.err
	}
	endCall()
	if err == nil {
		return 0
	}
	rt.b.Log("task error: " + err.Error())
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return -1
}

// Export runs f as the body of an export that a package built on the SDK adds to the
// ABI (guest/rl's RL exports), as lockstep_step runs Step: with no error at the start,
// the counters saved to the state blob if f succeeds, the call's tensors freed at the
// end. It returns the export's status.
func Export(f func() error) int32 {
	return status(func() error {
		if err := f(); err != nil {
			return err
		}
		return saveCounters()
	})
}

type statusError struct{ status int32 }

func (e *statusError) Error() string { return fmt.Sprintf("status %d", e.status) }

//go:wasmexport lockstep_abi_version
func exportABIVersion() int32 { return ABIVersion }

//go:wasmexport lockstep_init
func exportInit(seed int64) int32 {
	return status(func() error { return callInit(uint64(seed)) })
}

//go:wasmexport lockstep_step
func exportStep(step int64) int32 {
	return status(func() error { return callStep(uint64(step)) })
}

//go:wasmexport lockstep_eval
func exportEval() int32 { return status(callEval) }

//go:wasmexport lockstep_restore
func exportRestore() int32 { return status(callRestore) }
