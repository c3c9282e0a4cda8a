package guest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
)

// concatRef joins row-major blocks of the given shapes along axis, in Go.
func concatRef(shapes [][]int, data [][]float32, axis int) []float32 {
	ax := axis
	if ax < 0 {
		ax += len(shapes[0])
	}
	outer, inner := 1, 1
	for _, d := range shapes[0][:ax] {
		outer *= d
	}
	for _, d := range shapes[0][ax+1:] {
		inner *= d
	}
	var out []float32
	for o := range outer {
		for i, s := range shapes {
			n := s[ax] * inner
			out = append(out, data[i][o*n:(o+1)*n]...)
		}
	}
	return out
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

var layoutCases = []struct {
	name   string
	axis   int
	shapes [][]int
	grad   []bool // which inputs are parameters
}{
	{"rows", 0, [][]int{{2, 3}, {4, 3}}, []bool{true, true}},
	{"columns, negative axis", -1, [][]int{{2, 3}, {2, 1}, {2, 5}}, []bool{true, false, true}},
	{"middle axis of three", 1, [][]int{{2, 1, 3}, {2, 4, 3}}, []bool{false, true}},
	{"an empty piece", 1, [][]int{{2, 0}, {2, 3}}, []bool{true, true}},
	{"six inputs, two tape nodes", 1, [][]int{{3, 1}, {3, 2}, {3, 1}, {3, 3}, {3, 2}, {3, 1}}, []bool{true, true, true, true, true, true}},
	{"six inputs, gradients only in the second node", 0, [][]int{{1, 2}, {2, 2}, {1, 2}, {1, 2}, {3, 2}, {1, 2}}, []bool{false, false, false, false, true, true}},
}

// Concat joins like the reference, Split gives the pieces back, and Concat's backward
// hands each input its block of the gradient.
func TestConcatSplitRoundTrip(t *testing.T) {
	for _, c := range layoutCases {
		t.Run(c.name, func(t *testing.T) {
			data, weights := make([][]float32, len(c.shapes)), make([][]float32, len(c.shapes))
			ax := (c.axis + len(c.shapes[0])) % len(c.shapes[0])
			var sizes []int
			for i, s := range c.shapes {
				data[i] = seq(numel(s), func(j int) float32 { return float32(100*i + j) })
				weights[i] = seq(numel(s), func(j int) float32 { return float32(j%7) - 3 + float32(i)/8 })
				sizes = append(sizes, s[ax])
			}
			mustCall(t, func() error {
				xs := make([]*guest.Tensor, len(data))
				for i, s := range c.shapes {
					xs[i] = guest.FromFloat32s(data[i], s...)
					if c.grad[i] {
						xs[i] = guest.Param(fmt.Sprintf("x%d", i), xs[i])
					}
				}
				joined := guest.Concat(c.axis, xs...)
				if got, want := joined.Float32s(), concatRef(c.shapes, data, c.axis); !slices.Equal(got, want) {
					t.Errorf("Concat = %v, want %v", got, want)
				}
				for i, piece := range guest.Split(joined, c.axis, sizes...) {
					if !slices.Equal(piece.Shape(), c.shapes[i]) || !slices.Equal(piece.Float32s(), data[i]) {
						t.Errorf("piece %d: %v %v, want %v %v", i, piece.Shape(), piece.Float32s(), c.shapes[i], data[i])
					}
				}
				w := guest.FromFloat32s(concatRef(c.shapes, weights, c.axis), joined.Shape()...)
				guest.Backward(guest.Sum(guest.Reshape(guest.Mul(joined, w), -1), 0))
				for i, x := range xs {
					if !c.grad[i] {
						continue
					}
					if x.Grad == nil {
						t.Errorf("input %d has no gradient", i)
					} else if got := x.Grad.Float32s(); !slices.Equal(got, weights[i]) {
						t.Errorf("input %d: gradient %v, want %v", i, got, weights[i])
					}
				}
				return guest.Err()
			})
		})
	}
}

// Split's backward joins the pieces' gradients, with zeros for a piece that was not used
// and a sum for one used twice.
func TestSplitGradient(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		axis  int
		sizes []int
		uses  []int // how many times each piece enters the loss
	}{
		{"every piece once", []int{6, 2}, 0, []int{1, 2, 3}, []int{1, 1, 1}},
		{"one piece unused", []int{2, 5}, -1, []int{2, 3}, []int{0, 1}},
		{"one piece twice", []int{2, 3, 4}, 1, []int{1, 2}, []int{2, 1}},
		{"only the first piece", []int{4, 3}, 0, []int{1, 1, 2}, []int{1, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ax := (c.axis + len(c.shape)) % len(c.shape)
			var shapes [][]int
			var weights, want [][]float32
			for i, s := range c.sizes {
				shape := slices.Clone(c.shape)
				shape[ax] = s
				shapes = append(shapes, shape)
				w := seq(numel(shape), func(j int) float32 { return float32(j+1) * float32(i+1) / 4 })
				weights = append(weights, w)
				want = append(want, seq(len(w), func(j int) float32 { return float32(c.uses[i]) * w[j] }))
			}
			mustCall(t, func() error {
				x := guest.Param("x", guest.FromFloat32s(seq(numel(c.shape), func(j int) float32 { return float32(j) }), c.shape...))
				var loss *guest.Tensor
				for i, piece := range guest.Split(x, c.axis, c.sizes...) {
					for range c.uses[i] {
						term := guest.Sum(guest.Reshape(guest.Mul(piece, guest.FromFloat32s(weights[i], shapes[i]...)), -1), 0)
						if loss == nil {
							loss = term
						} else {
							loss = guest.Add(loss, term)
						}
					}
				}
				guest.Backward(loss)
				if got, want := x.Grad.Float32s(), concatRef(shapes, want, c.axis); !slices.Equal(got, want) {
					t.Errorf("gradient %v, want %v", got, want)
				}
				return guest.Err()
			})
		})
	}
}

func TestSplitSizesMustAddUp(t *testing.T) {
	err := call(t, func() error {
		guest.Split(guest.Zeros(4, 3), 0, 1, 2)
		return guest.Err()
	})
	if err == nil {
		t.Fatal("split of 4 rows into 1 and 2 succeeded")
	}
}
