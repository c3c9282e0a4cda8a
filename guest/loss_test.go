package guest_test

import (
	"math"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
)

// lossCase is a loss of a parameter p against constant targets y, both of shape shape.
type lossCase struct {
	name  string
	shape []int
	p, y  []float32
}

// checkLoss computes loss(p, y) natively and compares its value and p's gradient with
// the float64 references want(p, y) and grad(p, y), element by element.
func checkLoss(t *testing.T, c lossCase, loss func(p, y *guest.Tensor) *guest.Tensor,
	want func(p, y float64) float64, grad func(p, y float64) float64) {
	t.Helper()
	var value float32
	var g []float32
	mustCall(t, func() error {
		p := guest.Param("p", guest.FromFloat32s(c.p, c.shape...))
		l := loss(p, guest.FromFloat32s(c.y, c.shape...))
		guest.Backward(l)
		if s := l.Shape(); len(s) != 0 {
			t.Errorf("loss has shape %v, want a scalar", s)
		}
		value, g = l.Item(), p.Grad.Float32s()
		return guest.Err()
	})
	n := float64(len(c.p))
	var sum float64
	for i := range c.p {
		sum += want(float64(c.p[i]), float64(c.y[i]))
		if dg := grad(float64(c.p[i]), float64(c.y[i])) / n; !near(float64(g[i]), dg, 1e-5) {
			t.Errorf("gradient[%d] = %g, want %g", i, g[i], dg)
		}
	}
	if !near(float64(value), sum/n, 1e-5) || math.IsInf(float64(value), 0) || math.IsNaN(float64(value)) {
		t.Errorf("loss = %g, want %g", value, sum/n)
	}
}

func TestMSE(t *testing.T) {
	for _, c := range []lossCase{
		{"vector", []int{4}, []float32{1, 2, 3, 4}, []float32{1.5, 2, 0, -4}},
		{"matrix", []int{2, 3}, []float32{0.1, -0.2, 0.3, 10, 20, -30}, []float32{0, 0, 0, 9, 21, -30}},
		{"one element", []int{1, 1}, []float32{3}, []float32{-1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkLoss(t, c, guest.MSE,
				func(p, y float64) float64 { return (p - y) * (p - y) },
				func(p, y float64) float64 { return 2 * (p - y) })
		})
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestBCEWithLogits(t *testing.T) {
	for _, c := range []lossCase{
		{"mixed", []int{6}, []float32{-2, -0.5, 0, 0.5, 2, 3}, []float32{0, 1, 1, 0, 1, 0.3}},
		{"large logits stay finite", []int{2, 2}, []float32{100, -100, 60, -60}, []float32{0, 1, 1, 0}},
		{"confident and right", []int{3}, []float32{30, -30, 17}, []float32{1, 0, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkLoss(t, c, guest.BCEWithLogits,
				func(x, y float64) float64 { return max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x))) },
				func(x, y float64) float64 { return sigmoid(x) - y })
		})
	}
}

// The losses refuse operands that would broadcast: [N, 1] against [N] is a common slip.
func TestLossesRefuseShapeMismatch(t *testing.T) {
	for name, loss := range map[string]func(a, b *guest.Tensor) *guest.Tensor{"MSE": guest.MSE, "BCEWithLogits": guest.BCEWithLogits} {
		err := call(t, func() error {
			loss(guest.Zeros(4, 1), guest.Zeros(4))
			return guest.Err()
		})
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "[4 1]") {
			t.Errorf("%s of [4 1] and [4]: %v", name, err)
		}
	}
}

func TestAccuracy(t *testing.T) {
	logits := []float32{
		0.1, 0.7, 0.2, // 1
		3, -1, 2, // 0
		0, 0, 5, // 2
		-1, -2, -0.5, // 2
	}
	for _, c := range []struct {
		name   string
		labels []int32
		want   float64
	}{
		{"all right", []int32{1, 0, 2, 2}, 1},
		{"three of four", []int32{1, 0, 2, 0}, 0.75},
		{"one of four", []int32{0, 0, 1, 1}, 0.25},
		{"none", []int32{2, 2, 0, 1}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got float64
			mustCall(t, func() error {
				got = guest.Accuracy(guest.FromFloat32s(logits, 4, 3), c.labels)
				return guest.Err()
			})
			if got != c.want {
				t.Errorf("Accuracy = %v, want %v", got, c.want)
			}
		})
	}
	err := call(t, func() error {
		guest.Accuracy(guest.FromFloat32s(logits, 4, 3), []int32{1, 0})
		return guest.Err()
	})
	if err == nil || !strings.Contains(err.Error(), "4 predictions, 2 labels") {
		t.Errorf("4 rows, 2 labels: %v", err)
	}
}
