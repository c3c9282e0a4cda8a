package guest

import (
	"fmt"
	"math"
)

// Layers, in the manner of torch.nn: each registers its parameters (by a dotted name) when
// made in Init, and Forward records what Backward needs.

// Linear is y = x @ W + b, with W [in, out] initialised N(0, 1/in) from the RNG.
type Linear struct {
	W, B *Tensor
	name string
}

// NewLinear makes a Linear layer and registers name+".w" and name+".b". An error in it
// or in its Forward (a shape that does not fit, say) names the layer.
func NewLinear(name string, in, out int, r *RNG) *Linear {
	defer leave(enter(name))
	std := float32(1 / math.Sqrt(float64(in)))
	return &Linear{
		W:    Param(name+".w", r.Normal(0, std, in, out)),
		B:    Param(name+".b", Zeros(out)),
		name: name,
	}
}

// Forward applies the layer to x [..., in].
func (l *Linear) Forward(x *Tensor) *Tensor {
	defer leave(enter(l.name))
	return Add(MatMul(x, l.W), l.B)
}

// MLP is a stack of Linear layers with an activation between them.
type MLP struct {
	Layers     []*Linear
	Activation func(*Tensor) *Tensor
	name       string
}

// NewMLP makes an MLP with the given layer sizes (sizes[0] inputs, sizes[len-1]
// outputs), registering name.0, name.1, ...; act is applied between layers (Relu, Gelu).
func NewMLP(name string, sizes []int, act func(*Tensor) *Tensor, r *RNG) *MLP {
	defer leave(enter(name))
	m := &MLP{Activation: act, name: name}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], r))
	}
	return m
}

// Forward applies the layers.
func (m *MLP) Forward(x *Tensor) *Tensor {
	defer leave(enter(m.name))
	for i, l := range m.Layers {
		x = l.Forward(x)
		if i+1 < len(m.Layers) {
			x = m.Activation(x)
		}
	}
	return x
}

// EmbeddingTable maps int32 ids to rows of a [vocab, dim] table initialised N(0, std).
type EmbeddingTable struct {
	Table *Tensor
	name  string
}

// NewEmbedding makes an embedding table and registers name+".table".
func NewEmbedding(name string, vocab, dim int, std float32, r *RNG) *EmbeddingTable {
	defer leave(enter(name))
	return &EmbeddingTable{Table: Param(name+".table", r.Normal(0, std, vocab, dim)), name: name}
}

// Forward looks up ids (any shape) and returns ids.shape + [dim].
func (e *EmbeddingTable) Forward(ids *Tensor) *Tensor {
	defer leave(enter(e.name))
	return Embedding(e.Table, ids)
}

// LayerNormLayer normalizes the last axis with learned gain and bias.
type LayerNormLayer struct {
	Gamma, Beta *Tensor
	Eps         float32
	name        string
}

// NewLayerNorm registers name+".gamma" (ones) and name+".beta" (zeros).
func NewLayerNorm(name string, dim int) *LayerNormLayer {
	defer leave(enter(name))
	ones := make([]float32, dim)
	for i := range ones {
		ones[i] = 1
	}
	return &LayerNormLayer{Gamma: Param(name+".gamma", FromFloat32s(ones, dim)), Beta: Param(name+".beta", Zeros(dim)), Eps: 1e-5, name: name}
}

// Forward normalizes x [..., dim].
func (l *LayerNormLayer) Forward(x *Tensor) *Tensor {
	defer leave(enter(l.name))
	return LayerNorm(x, l.Gamma, l.Beta, l.Eps)
}

// CausalSelfAttention is multi-head self-attention with a causal mask, built from matmul,
// softmax and the mask: the query, key and value projections, scaled dot products per
// head, and an output projection.
type CausalSelfAttention struct {
	Q, K, V, O *Linear
	Heads      int
	name       string
}

// NewCausalSelfAttention makes attention over dim channels in heads heads.
func NewCausalSelfAttention(name string, dim, heads int, r *RNG) *CausalSelfAttention {
	defer leave(enter(name))
	if heads < 1 || dim%heads != 0 {
		failf("attention: %d channels do not split into %d heads", dim, heads)
	}
	return &CausalSelfAttention{
		Q: NewLinear(name+".q", dim, dim, r), K: NewLinear(name+".k", dim, dim, r),
		V: NewLinear(name+".v", dim, dim, r), O: NewLinear(name+".o", dim, dim, r), Heads: heads,
		name: name,
	}
}

// Forward applies attention to x [B, T, dim].
func (a *CausalSelfAttention) Forward(x *Tensor) *Tensor {
	defer leave(enter(a.name))
	if x == nil || len(x.dims()) != 3 {
		failf("attention: input %v, want [B, T, dim]", x)
		return nil
	}
	b, t, d := x.dims()[0], x.dims()[1], x.dims()[2]
	hd := d / a.Heads
	split := func(y *Tensor) *Tensor { // [B, T, D] -> [B*H, T, hd]
		return Reshape(Transpose(Reshape(y, b, t, a.Heads, hd), 0, 2, 1, 3), b*a.Heads, t, hd)
	}
	q, k, v := split(a.Q.Forward(x)), split(a.K.Forward(x)), split(a.V.Forward(x))
	scores := Scale(MatMulT(q, k, false, true), float32(1/math.Sqrt(float64(hd))))
	att := Softmax(CausalMask(scores))
	y := MatMul(att, v) // [B*H, T, hd]
	y = Reshape(Transpose(Reshape(y, b, a.Heads, t, hd), 0, 2, 1, 3), b, t, d)
	return a.O.Forward(y)
}
