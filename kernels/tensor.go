package kernels

import (
	"fmt"
	"math"
)

// DType is the element type of a tensor.
type DType uint8

const (
	// Float32 tensors hold IEEE-754 binary32 values.
	Float32 DType = 1
	// Int32 tensors hold indices and labels.
	Int32 DType = 2
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Limits on every tensor. MaxElements keeps element counts inside int32 so that a 32-bit
// guest can address every element, and keeps byte sizes inside int on every platform.
const (
	MaxRank     = 8
	MaxElements = math.MaxInt32
)

// Tensor is a dense, row-major tensor of float32 or int32 elements.
//
// The shape is fixed at construction. Float32 data are NaN-canonical: constructors and
// operators store every NaN as CanonicalNaN. Callers that write through Float32s must keep
// that invariant; Hash canonicalizes regardless.
type Tensor struct {
	dtype DType
	shape []int
	f32   []float32
	i32   []int32
}

// CanonicalNaN is the only NaN bit pattern a tensor holds (R0 rule 5).
const canonicalNaNBits = 0x7FC00000

// CanonicalNaN returns the canonical quiet NaN, 0x7FC00000.
func CanonicalNaN() float32 { return math.Float32frombits(canonicalNaNBits) }

// canon returns v, or the canonical NaN if v is any NaN.
func canon(v float32) float32 {
	if v != v {
		return math.Float32frombits(canonicalNaNBits)
	}
	return v
}

func canonSlice(s []float32) {
	for i, v := range s {
		if v != v {
			s[i] = math.Float32frombits(canonicalNaNBits)
		}
	}
}

// checkShape validates a shape and returns its element count.
func checkShape(op string, shape []int) (int, error) {
	if len(shape) > MaxRank {
		return 0, opErr(op, ErrShape, "rank %d exceeds the maximum %d", len(shape), MaxRank)
	}
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, opErr(op, ErrShape, "dimension %d of shape %v is negative", i, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, opErr(op, ErrShape, "shape %v has more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// New returns a float32 tensor of the given shape that takes ownership of data.
// len(data) must equal the shape's element count. NaNs in data are canonicalized in place.
func New(shape []int, data []float32) (*Tensor, error) {
	n, err := checkShape("new", shape)
	if err != nil {
		return nil, err
	}
	if len(data) != n {
		return nil, opErr("new", ErrShape, "shape %v needs %d elements, got %d", shape, n, len(data))
	}
	canonSlice(data)
	return &Tensor{dtype: Float32, shape: append([]int(nil), shape...), f32: data}, nil
}

// NewInt32 returns an int32 tensor of the given shape that takes ownership of data.
func NewInt32(shape []int, data []int32) (*Tensor, error) {
	n, err := checkShape("new_int32", shape)
	if err != nil {
		return nil, err
	}
	if len(data) != n {
		return nil, opErr("new_int32", ErrShape, "shape %v needs %d elements, got %d", shape, n, len(data))
	}
	return &Tensor{dtype: Int32, shape: append([]int(nil), shape...), i32: data}, nil
}

// Zeros returns a float32 tensor of the given shape filled with +0.
func Zeros(shape ...int) (*Tensor, error) {
	n, err := checkShape("zeros", shape)
	if err != nil {
		return nil, err
	}
	return &Tensor{dtype: Float32, shape: append([]int(nil), shape...), f32: make([]float32, n)}, nil
}

// Scalar returns a rank-0 float32 tensor holding v.
func Scalar(v float32) *Tensor {
	return &Tensor{dtype: Float32, shape: []int{}, f32: []float32{canon(v)}}
}

// newF32 allocates a float32 tensor for an operator's output; the shape is already valid.
func newF32(shape []int) *Tensor {
	return &Tensor{dtype: Float32, shape: shape, f32: make([]float32, numel(shape))}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns a copy of the shape.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	if t.dtype == Int32 {
		return len(t.i32)
	}
	return len(t.f32)
}

// Float32s returns the float32 elements (shared, not copied); nil for an int32 tensor.
func (t *Tensor) Float32s() []float32 { return t.f32 }

// Int32s returns the int32 elements (shared, not copied); nil for a float32 tensor.
func (t *Tensor) Int32s() []int32 { return t.i32 }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{
		dtype: t.dtype,
		shape: append([]int(nil), t.shape...),
		f32:   append([]float32(nil), t.f32...),
		i32:   append([]int32(nil), t.i32...),
	}
}

// Equal reports whether a and b have the same dtype, shape and element bits.
func Equal(a, b *Tensor) bool {
	if a.dtype != b.dtype || !sameShape(a.shape, b.shape) {
		return false
	}
	for i := range a.f32 {
		if math.Float32bits(a.f32[i]) != math.Float32bits(b.f32[i]) {
			return false
		}
	}
	for i := range a.i32 {
		if a.i32[i] != b.i32[i] {
			return false
		}
	}
	return true
}

func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor(%s%v)", t.dtype, t.shape)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wantF32 checks that every operand is a non-nil float32 tensor.
func wantF32(op string, ts ...*Tensor) error {
	for i, t := range ts {
		if t == nil {
			return opErr(op, ErrArgument, "operand %d is nil", i)
		}
		if t.dtype != Float32 {
			return opErr(op, ErrDType, "operand %d is %s, want float32", i, t.dtype)
		}
	}
	return nil
}

// normAxis resolves a possibly negative axis against rank.
func normAxis(op string, axis, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, opErr(op, ErrRange, "axis %d is out of range for rank %d", axis, rank)
	}
	return a, nil
}
