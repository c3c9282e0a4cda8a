package guest

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is a handle to a tensor in the host, with its shape and, during a step, its
// place in the autograd tape. Tensors made during a call are freed when it ends, except
// those kept with Keep (parameters and state are kept).
type Tensor struct {
	h            uint32
	shape        []int // nil until known: see dims
	dtype        DType
	kept         bool
	requiresGrad bool
	name         string
	// Grad is the gradient of the last Backward with respect to this tensor, for
	// parameters; it lives until the end of the call.
	Grad *Tensor
	acc  *Tensor // gradient being accumulated during Backward
}

// live lists the tensors made during the current call, to free at its end.
var live []*Tensor

// tensorSlab hands out Tensor structs in chunks: an allocation costs about 185 ns in Go
// compiled to Wasm, and every operator output needs a Tensor. A chunk stays alive while
// any of its tensors is referenced, so kept tensors are safe.
var tensorSlab []Tensor

// wrap records a new handle; shape may be nil (unknown until asked).
func wrap(h uint32, dtype DType, shape []int) *Tensor {
	if len(tensorSlab) == 0 {
		tensorSlab = make([]Tensor, 128)
	}
	t := &tensorSlab[0]
	tensorSlab = tensorSlab[1:]
	*t = Tensor{h: h, dtype: dtype, shape: shape}
	live = append(live, t)
	return t
}

// endCall frees every tensor of the call that was not kept (in one host call), and
// clears the tape.
func endCall() {
	var hs []uint32
	for _, t := range live {
		if !t.kept {
			hs = append(hs, t.h)
		}
	}
	if len(hs) > 0 && rt.b != nil {
		if err := rt.b.FreeMany(hs); err != nil {
			// A handle the host rejected (freed twice by hand, say): free the rest singly.
			for _, h := range hs {
				_ = rt.b.Free(h)
			}
		}
	}
	live, tape = nil, nil
	for _, p := range params {
		p.Grad = nil
	}
}

// Keep makes t outlive the current call (data sets, buffers). Param and State keep.
func (t *Tensor) Keep() *Tensor {
	if t != nil {
		t.kept = true
	}
	return t
}

// dims returns the shape, asking the host the first time: most operator outputs are
// never asked, and each question is a host call.
func (t *Tensor) dims() []int {
	if t.shape == nil && ok() {
		dtype, shape, err := rt.b.Info(t.h)
		if err != nil {
			fail(err)
			return nil
		}
		t.dtype, t.shape = dtype, shape
	}
	return t.shape
}

// Shape returns the tensor's shape.
func (t *Tensor) Shape() []int { return append([]int(nil), t.dims()...) }

// Dim returns dimension i (negative counts from the end).
func (t *Tensor) Dim(i int) int {
	d := t.dims()
	if i < 0 {
		i += len(d)
	}
	return d[i]
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.dims()) }

// fromWords makes a tensor of dtype from values encoded as little-endian 32-bit words.
func fromWords[T float32 | int32](fn string, dtype DType, data []T, shape []int, word func(T) uint32) *Tensor {
	if !ok() {
		return nil
	}
	if numel(shape) != len(data) {
		failf("%s: shape %v needs %d values, got %d", fn, shape, numel(shape), len(data))
		return nil
	}
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], word(v))
	}
	h, err := rt.b.NewTensor(dtype, shape, b)
	if err != nil {
		fail(err)
		return nil
	}
	return wrap(h, dtype, append([]int{}, shape...))
}

// FromFloat32s makes a float32 tensor of the given shape from data.
func FromFloat32s(data []float32, shape ...int) *Tensor {
	return fromWords("FromFloat32s", Float32, data, shape, math.Float32bits)
}

// FromInt32s makes an int32 tensor (labels, token ids) of the given shape from data.
func FromInt32s(data []int32, shape ...int) *Tensor {
	return fromWords("FromInt32s", Int32, data, shape, func(v int32) uint32 { return uint32(v) })
}

// Zeros makes a float32 tensor of zeros.
func Zeros(shape ...int) *Tensor {
	if !ok() {
		return nil
	}
	h, err := rt.b.Zeros(Float32, shape)
	if err != nil {
		fail(err)
		return nil
	}
	return wrap(h, Float32, append([]int{}, shape...))
}

// Scalar makes a rank-0 float32 tensor.
func Scalar(v float32) *Tensor { return FromFloat32s([]float32{v}) }

func (t *Tensor) read() []byte {
	if !ok() || t == nil {
		return nil
	}
	b := make([]byte, 4*numel(t.dims()))
	fail(rt.b.Read(t.h, b))
	return b
}

// Float32s copies a float32 tensor's values out of the host.
func (t *Tensor) Float32s() []float32 {
	b := t.read()
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Int32s copies an int32 tensor's values out of the host.
func (t *Tensor) Int32s() []int32 {
	b := t.read()
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Item returns the single value of a one-element float32 tensor (0 after an error).
func (t *Tensor) Item() float32 {
	v := t.Float32s()
	if len(v) != 1 {
		if ok() {
			failf("Item: tensor has %d elements", len(v))
		}
		return 0
	}
	return v[0]
}

// RNG names a stream of counter-based random numbers (kernels/SPEC.md, Randomness).
// Each draw advances Offset by the counters it used, so successive draws differ.
type RNG struct {
	Seed, Stream, Offset uint64
}

func (r *RNG) words() []uint32 {
	return []uint32{uint32(r.Seed), uint32(r.Seed >> 32), uint32(r.Stream), uint32(r.Stream >> 32), uint32(r.Offset), uint32(r.Offset >> 32)}
}

func shapeWords(shape []int) []uint32 {
	w := make([]uint32, len(shape))
	for i, d := range shape {
		w[i] = uint32(int32(d))
	}
	return w
}

func f32w(v float32) uint32 { return math.Float32bits(v) }

// Normal draws a tensor of N(mean, std^2) values and advances r.
func (r *RNG) Normal(mean, std float32, shape ...int) *Tensor {
	attrs := append(append(r.words(), f32w(mean), f32w(std)), shapeWords(shape)...)
	r.Offset += uint64((numel(shape) + 1) / 2)
	return op1(opNormal, attrs, nil)
}

// Uniform draws a tensor of values uniform in [0, 1) and advances r.
func (r *RNG) Uniform(shape ...int) *Tensor {
	attrs := append(r.words(), shapeWords(shape)...)
	r.Offset += uint64((numel(shape) + 3) / 4)
	return op1(opUniform, attrs, nil)
}
