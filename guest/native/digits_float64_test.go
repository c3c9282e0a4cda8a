package native

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/testdata/tasks/digits"
)

// The digits MLP's first training steps, computed again in float64 by plain loops from
// the same initial weights and batches (forward, cross-entropy, backward, clipping,
// AdamW), agree with the task's float32 parameters within float32 tolerance.
func TestDigitsFirstStepsMatchFloat64(t *testing.T) {
	const seed, steps = 1, 3
	in := digitsInput(t)
	task := New(&digits.Task{}, seed, in, host.DefaultLimits(), nil)
	cp, err := task.Init()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"mlp.0.w", "mlp.0.b", "mlp.1.w", "mlp.1.b"}
	p := make([][]float64, 4)
	for i, n := range names {
		p[i] = to64s(cp.Tensors[n].Float32s())
	}
	m, v := make([][]float64, 4), make([][]float64, 4)
	for i := range p {
		m[i], v[i] = make([]float64, len(p[i])), make([]float64, len(p[i]))
	}
	trainX, trainY := digitsSplit(t, in[0].Data)
	const batch, hidden, classes, pixels = 64, 128, 10, 64
	for s := 1; s <= steps; s++ {
		if cp, err = task.Step(uint64(s)); err != nil {
			t.Fatal(err)
		}
		// The loader's batch: permutation of epoch 0 (all three steps are in it).
		idx := guest.Shuffle(len(trainY), seed, 0)[(s-1)*batch : s*batch]
		w1, b1, w2, b2 := p[0], p[1], p[2], p[3]
		g := [4][]float64{make([]float64, len(w1)), make([]float64, len(b1)), make([]float64, len(w2)), make([]float64, len(b2))}
		for _, r := range idx {
			x := trainX[int(r)*pixels : (int(r)+1)*pixels]
			h, a := make([]float64, hidden), make([]float64, hidden)
			for j := 0; j < hidden; j++ {
				h[j] = b1[j]
				for k := 0; k < pixels; k++ {
					h[j] += x[k] * w1[k*hidden+j]
				}
				a[j] = math.Max(h[j], 0)
			}
			logits := make([]float64, classes)
			mx := math.Inf(-1)
			for c := 0; c < classes; c++ {
				logits[c] = b2[c]
				for j := 0; j < hidden; j++ {
					logits[c] += a[j] * w2[j*classes+c]
				}
				mx = math.Max(mx, logits[c])
			}
			sum := 0.0
			for c := range logits {
				sum += math.Exp(logits[c] - mx)
			}
			dlog := make([]float64, classes)
			for c := range logits {
				dlog[c] = math.Exp(logits[c]-mx) / sum / batch
				if c == int(trainY[r]) {
					dlog[c] -= 1.0 / batch
				}
			}
			da := make([]float64, hidden)
			for j := 0; j < hidden; j++ {
				for c := 0; c < classes; c++ {
					g[2][j*classes+c] += a[j] * dlog[c]
					da[j] += dlog[c] * w2[j*classes+c]
				}
			}
			for c := range dlog {
				g[3][c] += dlog[c]
			}
			for j := 0; j < hidden; j++ {
				if h[j] <= 0 {
					continue
				}
				for k := 0; k < pixels; k++ {
					g[0][k*hidden+j] += x[k] * da[j]
				}
				g[1][j] += da[j]
			}
		}
		// Clip the global norm to 5, then AdamW (lr 3e-3, betas 0.9/0.999, eps 1e-8, wd 1e-4).
		norm := 0.0
		for _, gi := range g {
			for _, e := range gi {
				norm += e * e
			}
		}
		if norm = math.Sqrt(norm); norm > 5 {
			for _, gi := range g {
				for j := range gi {
					gi[j] *= 5 / (norm + 1e-6)
				}
			}
		}
		lr, b1c, b2c := float64(float32(3e-3)), float64(float32(0.9)), float64(float32(0.999))
		for i := range p {
			for j := range p[i] {
				p[i][j] *= 1 - lr*float64(float32(1e-4))
				m[i][j] = b1c*m[i][j] + (1-b1c)*g[i][j]
				v[i][j] = b2c*v[i][j] + (1-b2c)*g[i][j]*g[i][j]
				mh, vh := m[i][j]/(1-math.Pow(b1c, float64(s))), v[i][j]/(1-math.Pow(b2c, float64(s)))
				p[i][j] -= lr * mh / (math.Sqrt(vh) + float64(float32(1e-8)))
			}
		}
		worst := 0.0
		for i, n := range names {
			got := cp.Tensors[n].Float32s()
			for j, want := range p[i] {
				// Adam's first steps move each weight by about lr, so compare to lr's scale.
				d := math.Abs(float64(got[j]) - want)
				worst = math.Max(worst, d)
				if d > 2e-4*lr+1e-6*math.Abs(want) {
					t.Fatalf("step %d: %s[%d] = %v, float64 %v (|diff| %.3g)", s, n, j, got[j], want, d)
				}
			}
		}
		t.Logf("step %d: largest |float32 - float64| over all parameters: %.3g (lr %.0e)", s, worst, lr)
	}
}

func to64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// digitsSplit reads the digits CSV and returns the task's training split (pixels / 16).
func digitsSplit(t *testing.T, gz []byte) ([]float64, []int32) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	var x []float64
	var y []int32
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		for i, s := range f {
			n, _ := strconv.Atoi(s)
			if i < 64 {
				x = append(x, float64(n)/16)
			} else {
				y = append(y, int32(n))
			}
		}
	}
	perm := guest.Shuffle(len(y), 0x5EED_D161, 0) // the task's fixed split
	var tx []float64
	var ty []int32
	for k, i := range perm {
		if k < len(y)-300 {
			tx = append(tx, x[int(i)*64:(int(i)+1)*64]...)
			ty = append(ty, y[i])
		}
	}
	return tx, ty
}
