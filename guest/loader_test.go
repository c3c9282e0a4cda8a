package guest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/host"
)

// Every batch pairs each feature row with its own target, and an epoch visits every row
// once, with targets of rank 1 and 2.
func TestLoaderF32BatchesKeepRowsAndTargetsTogether(t *testing.T) {
	const n, batch = 12, 4
	for _, k := range []int{0, 1, 3} { // 0: targets [N]
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			mustCall(t, func() error {
				x := guest.FromFloat32s(seq(2*n, func(i int) float32 { return float32(i / 2) }), n, 2)
				var y *guest.Tensor
				if k == 0 {
					y = guest.FromFloat32s(seq(n, func(i int) float32 { return 10*float32(i) + 0.5 }), n)
				} else {
					y = guest.FromFloat32s(seq(n*k, func(i int) float32 { return 10*float32(i/k) + float32(i%k) }), n, k)
				}
				l := guest.NewLoaderF32("train", x, y, batch, 7)
				for epoch := range 2 {
					var seen []int
					for range n / batch {
						bx, by := l.Next()
						if want := []int{batch, 2}; !slices.Equal(bx.Shape(), want) {
							t.Fatalf("features %v, want %v", bx.Shape(), want)
						}
						if want := []int{batch, k}; k == 0 && !slices.Equal(by.Shape(), want[:1]) || k > 0 && !slices.Equal(by.Shape(), want) {
							t.Fatalf("targets %v for k=%d", by.Shape(), k)
						}
						xs, ys := bx.Float32s(), by.Float32s()
						for r := range batch {
							row := int(xs[2*r])
							seen = append(seen, row)
							for j := range max(k, 1) {
								want := 10*float32(row) + float32(j)
								if k == 0 {
									want += 0.5
								}
								if got := ys[r*max(k, 1)+j]; got != want {
									t.Errorf("epoch %d: row %d target %d is %v, want %v", epoch, row, j, got, want)
								}
							}
						}
					}
					slices.Sort(seen)
					for i, row := range seen {
						if row != i {
							t.Fatalf("epoch %d visited rows %v, want each of 0..%d once", epoch, seen, n-1)
						}
					}
					if got := l.Epoch(); got != uint64(epoch+1) {
						t.Errorf("Epoch() = %d after %d epochs", got, epoch+1)
					}
				}
				return guest.Err()
			})
		})
	}
}

func TestNewLoaderF32RefusesWhatDoesNotFit(t *testing.T) {
	for _, c := range []struct {
		name string
		make func() *guest.LoaderF32
	}{
		{"rows differ", func() *guest.LoaderF32 { return guest.NewLoaderF32("l", guest.Zeros(8, 2), guest.Zeros(7), 2, 1) }},
		{"int32 targets", func() *guest.LoaderF32 {
			return guest.NewLoaderF32("l", guest.Zeros(2, 2), guest.FromInt32s([]int32{0, 1}, 2), 1, 1)
		}},
		{"rank-3 targets", func() *guest.LoaderF32 { return guest.NewLoaderF32("l", guest.Zeros(2, 2), guest.Zeros(2, 1, 1), 1, 1) }},
		{"batch too large", func() *guest.LoaderF32 { return guest.NewLoaderF32("l", guest.Zeros(2, 2), guest.Zeros(2), 3, 1) }},
		{"features not a matrix", func() *guest.LoaderF32 { return guest.NewLoaderF32("l", guest.Zeros(2), guest.Zeros(2), 1, 1) }},
	} {
		err := call(t, func() error {
			c.make()
			return guest.Err()
		})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// regression is a task that fits y = x·w + b by SGD on MSE, fed by a LoaderF32.
type regression struct {
	model  *guest.Linear
	opt    *guest.SGD
	data   *guest.LoaderF32
	losses []float32
}

const regN, regF = 256, 4

func (r *regression) Init(seed uint64) error {
	// Features from the SDK's integer generator, targets from a fixed line: guest-side
	// float math, rounded at every product.
	next := guest.Sample(1<<16, regN*regF, seed, 0)
	x := seq(regN*regF, func(i int) float32 { return float32(next[i])/(1<<15) - 1 })
	w := []float32{0.5, -2, 1, 3}
	y := seq(regN, func(i int) float32 {
		s := float32(0.25)
		for j, wj := range w {
			s += float32(x[i*regF+j] * wj)
		}
		return s
	})
	r.model = guest.NewLinear("model", regF, 1, &guest.RNG{Seed: seed})
	r.opt = guest.NewSGD("sgd", guest.Params(), guest.SGD{LR: 0.1, Momentum: 0.9})
	r.data = guest.NewLoaderF32("train", guest.FromFloat32s(x, regN, regF), guest.FromFloat32s(y, regN, 1), 32, seed)
	return guest.Err()
}

func (r *regression) Step(uint64) error {
	x, y := r.data.Next()
	loss := guest.MSE(r.model.Forward(x), y)
	guest.Backward(loss)
	r.opt.Step()
	r.losses = append(r.losses, loss.Item())
	return guest.Err()
}

// A regression task trained on LoaderF32 batches with MSE fits its line.
func TestLoaderF32TrainsARegression(t *testing.T) {
	task := &regression{}
	nt := native.New(task, 3, nil, host.DefaultLimits(), nil)
	if _, err := nt.Init(); err != nil {
		t.Fatal(err)
	}
	for s := uint64(1); s <= 150; s++ {
		if _, err := nt.Step(s); err != nil {
			t.Fatal(err)
		}
	}
	first, last := task.losses[0], task.losses[len(task.losses)-1]
	t.Logf("MSE %.4g at step 1, %.4g at step %d", first, last, len(task.losses))
	if !(last < first/1000) {
		t.Errorf("MSE went from %g to %g, want it 1000 times smaller", first, last)
	}
}

// A run restored from a checkpoint continues with the batches of an uninterrupted one:
// the loader's position is a counter, and its kept tensors are rebuilt by Init.
func TestLoaderF32RestoreContinues(t *testing.T) {
	roots := func(nt *native.Task, from, to uint64) []string {
		var out []string
		for s := from; s <= to; s++ {
			cp, err := nt.Step(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%x", cp.Root))
		}
		return out
	}
	whole := native.New(&regression{}, 5, nil, host.DefaultLimits(), nil)
	if _, err := whole.Init(); err != nil {
		t.Fatal(err)
	}
	want := roots(whole, 1, 20)

	first := native.New(&regression{}, 5, nil, host.DefaultLimits(), nil)
	if _, err := first.Init(); err != nil {
		t.Fatal(err)
	}
	roots(first, 1, 9)
	cp, err := first.Step(10)
	if err != nil {
		t.Fatal(err)
	}
	second := native.New(&regression{}, 5, nil, host.DefaultLimits(), nil)
	if _, err := second.Init(); err != nil {
		t.Fatal(err)
	}
	if err := second.Restore(cp); err != nil {
		t.Fatal(err)
	}
	if got := roots(second, 11, 20); !slices.Equal(got, want[10:]) {
		t.Errorf("roots after restore %v, want %v", got, want[10:])
	}
}
