package kernels

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Bad input: every operator returns an *OpError naming itself and wrapping the kind of
// failure, and never panics.
func TestBadInput(t *testing.T) {
	f := func(shape ...int) *Tensor { x, _ := Zeros(shape...); return x }
	ints := func(shape []int, v ...int32) *Tensor { x, _ := NewInt32(shape, v); return x }
	m23, m34, m33 := f(2, 3), f(3, 4), f(3, 3)
	cases := []struct {
		name string
		op   string
		kind error
		call func() error
	}{
		{"new negative dim", "new", ErrShape, func() error { _, err := New([]int{2, -1}, nil); return err }},
		{"new overflow", "new", ErrShape, func() error { _, err := New([]int{1 << 40, 1 << 40}, nil); return err }},
		{"new too many elements", "new", ErrShape, func() error { _, err := New([]int{1 << 31}, nil); return err }},
		{"new length mismatch", "new", ErrShape, func() error { _, err := New([]int{2, 2}, make([]float32, 3)); return err }},
		{"new rank too high", "new", ErrShape, func() error { _, err := New(make([]int, 9), nil); return err }},
		{"zeros overflow", "zeros", ErrShape, func() error { _, err := Zeros(math.MaxInt, 2); return err }},
		{"matmul inner", "matmul", ErrShape, func() error { _, err := MatMul(m23, m23, false, false); return err }},
		{"matmul rank", "matmul", ErrShape, func() error { _, err := MatMul(f(3), m34, false, false); return err }},
		{"matmul batch", "matmul", ErrShape, func() error { _, err := MatMul(f(2, 3, 3), f(4, 3, 3), false, false); return err }},
		{"matmul dtype", "matmul", ErrDType, func() error { _, err := MatMul(ints([]int{1, 1}, 1), m33, false, false); return err }},
		{"matmul nil", "matmul", ErrArgument, func() error { _, err := MatMul(nil, m33, false, false); return err }},
		{"matmul backward grad", "matmul_backward", ErrShape, func() error { _, _, err := MatMulBackward(m23, m34, m23, false, false); return err }},
		{"add broadcast", "add", ErrShape, func() error { _, err := Add(m23, m34); return err }},
		{"mul backward grad", "mul_backward", ErrShape, func() error { _, _, err := MulBackward(m34, m23, m23); return err }},
		{"reduce_to", "reduce_to", ErrShape, func() error { _, err := ReduceTo(m23, []int{4}); return err }},
		{"unary dtype", "exp", ErrDType, func() error { _, err := Exp(ints([]int{1}, 1)); return err }},
		{"unary backward shapes", "tanh_backward", ErrShape, func() error { _, err := TanhBackward(m23, m34); return err }},
		{"sum axis", "sum", ErrRange, func() error { _, err := Sum(m23, 2); return err }},
		{"mean axis", "mean", ErrRange, func() error { _, err := Mean(m23, -3); return err }},
		{"sum backward", "sum_backward", ErrShape, func() error { _, err := SumBackward(m23, []int{2, 3}, 0); return err }},
		{"softmax scalar", "softmax", ErrShape, func() error { _, err := Softmax(Scalar(1)); return err }},
		{"softmax empty row", "softmax", ErrShape, func() error { _, err := Softmax(f(2, 0)); return err }},
		{"softmax backward", "softmax_backward", ErrShape, func() error { _, err := SoftmaxBackward(m23, m34); return err }},
		{"ce label range", "cross_entropy", ErrRange, func() error { _, err := CrossEntropy(m23, ints([]int{2}, 0, 3)); return err }},
		{"ce negative label", "cross_entropy", ErrRange, func() error { _, err := CrossEntropy(m23, ints([]int{2}, -1, 0)); return err }},
		{"ce labels length", "cross_entropy", ErrShape, func() error { _, err := CrossEntropy(m23, ints([]int{3}, 0, 0, 0)); return err }},
		{"ce label dtype", "cross_entropy", ErrDType, func() error { _, err := CrossEntropy(m23, f(2)); return err }},
		{"ce backward grad", "cross_entropy_backward", ErrShape, func() error { _, err := CrossEntropyBackward(m23, ints([]int{2}, 0, 1), f(2)); return err }},
		{"layer norm gamma", "layer_norm", ErrShape, func() error { _, err := LayerNorm(m23, f(2), f(3), 1e-5); return err }},
		{"layer norm eps", "layer_norm", ErrArgument, func() error { _, err := LayerNorm(m23, f(3), f(3), float32(math.NaN())); return err }},
		{"layer norm beta", "layer_norm", ErrShape, func() error { _, err := LayerNorm(m23, f(3), f(4), 1e-5); return err }},
		{"embedding index", "embedding", ErrRange, func() error { _, err := Embedding(m34, ints([]int{1}, 3)); return err }},
		{"embedding table rank", "embedding", ErrShape, func() error { _, err := Embedding(f(3), ints([]int{1}, 0)); return err }},
		{"embedding backward", "embedding_backward", ErrShape, func() error { _, err := EmbeddingBackward(ints([]int{2}, 0, 1), f(3, 4), 3); return err }},
		{"assign shape", "assign", ErrShape, func() error { _, err := Assign(m23, m34); return err }},
		{"assign dtype", "assign", ErrDType, func() error { _, err := Assign(ints([]int{2, 3}, 0, 0, 0, 0, 0, 0), m23); return err }},
		{"assign nil", "assign", ErrArgument, func() error { _, err := Assign(nil, m23); return err }},
		{"transpose perm", "transpose", ErrRange, func() error { _, err := Transpose(m23, 0, 0); return err }},
		{"transpose rank", "transpose", ErrShape, func() error { _, err := Transpose(m23, 0); return err }},
		{"reshape count", "reshape", ErrShape, func() error { _, err := Reshape(m23, 4); return err }},
		{"reshape two -1", "reshape", ErrShape, func() error { _, err := Reshape(m23, -1, -1); return err }},
		{"reshape negative", "reshape", ErrShape, func() error { _, err := Reshape(m23, -2, -3); return err }},
		{"slice range", "slice", ErrRange, func() error { _, err := Slice(m23, 1, 2, 4); return err }},
		{"slice reversed", "slice", ErrRange, func() error { _, err := Slice(m23, 1, 2, 1); return err }},
		{"slice backward", "slice_backward", ErrShape, func() error { _, err := SliceBackward(m23, []int{2, 3}, 1, 1); return err }},
		{"concat shapes", "concat", ErrShape, func() error { _, err := Concat(1, m23, m34); return err }},
		{"concat none", "concat", ErrArgument, func() error { _, err := Concat(0); return err }},
		{"split sizes", "split", ErrShape, func() error { _, err := Split(m23, 1, 2, 2); return err }},
		{"causal not square", "causal_mask", ErrShape, func() error { _, err := CausalMask(m23); return err }},
		{"dropout p", "dropout", ErrArgument, func() error { _, _, err := Dropout(m23, 1, RNG{}); return err }},
		{"normal nan", "normal", ErrArgument, func() error { _, err := Normal(RNG{}, float32(math.NaN()), 1, 3); return err }},
		{"uniform shape", "uniform", ErrShape, func() error { _, err := Uniform(RNG{}, -3); return err }},
		{"sgd lr", "sgd", ErrArgument, func() error { return SGD(m23, m23, m23, SGDConfig{LR: float32(math.Inf(1))}) }},
		{"sgd shapes", "sgd", ErrShape, func() error { return SGD(m23, m34, nil, SGDConfig{LR: 0.1}) }},
		{"sgd nesterov without momentum", "sgd", ErrArgument, func() error { return SGD(m23, m23, m23, SGDConfig{LR: 0.1, Nesterov: true}) }},
		{"sgd missing velocity", "sgd", ErrArgument, func() error { return SGD(m23, m23, nil, SGDConfig{LR: 0.1, Momentum: 0.9}) }},
		{"adamw step", "adamw", ErrArgument, func() error {
			return AdamW(m23, m23, m23, m23, 0, AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
		}},
		{"adamw beta", "adamw", ErrArgument, func() error {
			return AdamW(m23, m23, m23, m23, 1, AdamWConfig{LR: 1e-3, Beta1: 1, Beta2: 0.99, Eps: 1e-8})
		}},
		{"adamw shapes", "adamw", ErrShape, func() error {
			return AdamW(m23, m23, m34, m23, 1, AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
		}},
		{"clip max norm", "clip_grad_norm", ErrArgument, func() error { _, err := ClipGradNorm([]*Tensor{m23}, 0); return err }},
		{"argmax empty", "argmax", ErrShape, func() error { _, err := ArgMax(f(3, 0)); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			err := c.call()
			var oe *OpError
			switch {
			case err == nil:
				t.Fatal("no error")
			case !errors.As(err, &oe) || oe.Op != c.op:
				t.Fatalf("error %q does not come from operator %q", err, c.op)
			case !errors.Is(err, c.kind):
				t.Fatalf("error %q is not %v", err, c.kind)
			case !strings.HasPrefix(err.Error(), "kernels: "+c.op+": "):
				t.Fatalf("message %q does not name the operator", err)
			}
		})
	}
}

// NaN inputs propagate as the canonical NaN, whatever payload and sign they came with.
func TestNaNIsCanonical(t *testing.T) {
	odd := math.Float32frombits(0xFFC01234) // negative NaN with a payload
	x := must[*Tensor](t)(New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	x.f32[4] = odd // written behind the constructor's back
	y := must[*Tensor](t)(New([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6}))
	outs := map[string]*Tensor{
		"matmul": must[*Tensor](t)(MatMul(x, y, false, false)), "add": must[*Tensor](t)(Add(x, x)),
		"exp": must[*Tensor](t)(Exp(x)), "softmax": must[*Tensor](t)(Softmax(x)),
		"sum": must[*Tensor](t)(Sum(x, 1)), "gelu": must[*Tensor](t)(Gelu(x)),
	}
	for name, o := range outs {
		nans := 0
		for _, v := range o.f32 {
			if v != v {
				nans++
				if math.Float32bits(v) != canonicalNaNBits {
					t.Errorf("%s: NaN %#08x is not canonical", name, math.Float32bits(v))
				}
			}
		}
		if nans == 0 {
			t.Errorf("%s: the NaN input did not propagate", name)
		}
	}
	n := must[*Tensor](t)(New([]int{1}, []float32{odd}))
	if math.Float32bits(n.f32[0]) != canonicalNaNBits {
		t.Error("New does not canonicalize NaN")
	}
	if Hash(x) != Hash(must[*Tensor](t)(New([]int{2, 3}, []float32{1, 2, 3, 4, float32(math.NaN()), 6}))) {
		t.Error("hash depends on the NaN payload")
	}
}

// The hash covers dtype, shape and every bit, and names the profile.
func TestHashSeparates(t *testing.T) {
	a := must[*Tensor](t)(New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	variants := map[string]*Tensor{
		"reshaped": must[*Tensor](t)(Reshape(a, 3, 2)),
		"negzero":  must[*Tensor](t)(New([]int{1}, []float32{float32(math.Copysign(0, -1))})),
		"int32":    must[*Tensor](t)(NewInt32([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})),
		"bitflip":  must[*Tensor](t)(New([]int{2, 3}, []float32{1, 2, 3, 4, 5, math.Nextafter32(6, 7)})),
		"flat":     must[*Tensor](t)(Reshape(a, 6)),
	}
	seen := map[[32]byte]string{Hash(a): "original", Hash(must[*Tensor](t)(Zeros(1))): "zero"}
	for name, v := range variants {
		h := Hash(v)
		if prev, ok := seen[h]; ok {
			t.Errorf("%s hashes like %s", name, prev)
		}
		seen[h] = name
	}
}
