package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/kernels"
)

// The demo shows the property the whole system rests on. First it trains a small MLP on
// the RepOps kernels, natively: the run ends in the same state root, bit for bit, on any
// machine and thread count. Then it runs a Wasm task in the sandbox on both wazero engines
// (sandbox_demo.go), which must reach the same checkpoint roots.

type demoConfig struct {
	Steps  int
	Seed   uint64
	Hidden int
}

func demoCmd() *cobra.Command {
	c := demoConfig{Steps: 300, Seed: 1, Hidden: 64}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Train a small model on the reproducible kernels and check it replays bit for bit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := runDemo(cmd.OutOrStdout(), c); err != nil {
				return err
			}
			return sandboxDemo(cmd.Context(), cmd.OutOrStdout(), 50, c.Seed)
		},
	}
	cmd.Flags().IntVar(&c.Steps, "steps", c.Steps, "training steps")
	cmd.Flags().Uint64Var(&c.Seed, "seed", c.Seed, "seed for data and initialisation")
	cmd.Flags().IntVar(&c.Hidden, "hidden", c.Hidden, "hidden units")
	return cmd
}

func runDemo(w io.Writer, c demoConfig) error {
	if c.Steps < 1 || c.Hidden < 1 {
		return fmt.Errorf("demo: --steps and --hidden must be >= 1")
	}
	fmt.Fprintf(w, "Lockstep demo: a %d-unit MLP learns three concentric rings (%s, matmul kernel %s, GOMAXPROCS=%d)\n",
		c.Hidden, kernels.Profile, kernels.MatMulKernel(), runtime.GOMAXPROCS(0))
	start := time.Now()
	res, err := trainRings(c, func(step int, loss, acc float32) {
		if step == 1 || step%50 == 0 || step == c.Steps {
			fmt.Fprintf(w, "  step %4d  loss %.4f  train accuracy %5.1f%%\n", step, loss, 100*acc)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "trained %d steps in %v: held-out accuracy %.1f%%\n", c.Steps, time.Since(start).Round(time.Millisecond), 100*res.heldOut)
	fmt.Fprintf(w, "state root %s\n", res.root)

	// Replay on one thread: R0 promises the same bits whatever the parallelism.
	prev := runtime.GOMAXPROCS(1)
	replay, err := trainRings(c, func(int, float32, float32) {})
	runtime.GOMAXPROCS(prev)
	if err != nil {
		return err
	}
	if replay.root != res.root {
		return fmt.Errorf("demo: replay with GOMAXPROCS=1 reached root %s, not %s: the kernels are not reproducible here", replay.root, res.root)
	}
	fmt.Fprintf(w, "replayed on 1 thread: identical root. Any machine that runs this demo with the same flags prints this root.\n")
	return nil
}

type demoResult struct {
	root    string
	heldOut float32
}

// rings returns n points uniform in [-1, 1]^2 labelled by radius: 0 inside 0.45, 1 inside
// 0.8, 2 outside. The labels are computed from float32 arithmetic, so they are exact.
func rings(seed uint64, stream uint64, n int) (*kernels.Tensor, *kernels.Tensor, error) {
	u, err := kernels.Uniform(kernels.RNG{Seed: seed, Stream: stream}, n, 2)
	if err != nil {
		return nil, nil, err
	}
	xs := u.Float32s()
	labels := make([]int32, n)
	for i := 0; i < n; i++ {
		x, y := 2*xs[2*i]-1, 2*xs[2*i+1]-1
		xs[2*i], xs[2*i+1] = x, y
		r2 := float32(x*x) + float32(y*y)
		switch {
		case r2 < 0.45*0.45:
			labels[i] = 0
		case r2 < 0.8*0.8:
			labels[i] = 1
		default:
			labels[i] = 2
		}
	}
	l, err := kernels.NewInt32([]int{n}, labels)
	return u, l, err
}

// trainRings trains the MLP 2 -> hidden -> 3 (GELU) with AdamW and gradient clipping.
func trainRings(c demoConfig, progress func(step int, loss, acc float32)) (demoResult, error) {
	x, y, err := rings(c.Seed, 1, 512)
	if err != nil {
		return demoResult{}, err
	}
	hx, hy, err := rings(c.Seed, 2, 512)
	if err != nil {
		return demoResult{}, err
	}
	init := func(stream uint64, std float32, shape ...int) *kernels.Tensor {
		if err != nil {
			return nil
		}
		var t *kernels.Tensor
		t, err = kernels.Normal(kernels.RNG{Seed: c.Seed, Stream: 100 + stream}, 0, std, shape...)
		return t
	}
	w1 := init(1, 1, 2, c.Hidden)
	b1 := init(2, 0, c.Hidden)
	w2 := init(3, 1/float32(c.Hidden), c.Hidden, 3) // small output layer
	b2 := init(4, 0, 3)
	if err != nil {
		return demoResult{}, err
	}
	params := []*kernels.Tensor{w1, b1, w2, b2}
	moments := make([][2]*kernels.Tensor, len(params))
	for i, p := range params {
		m, _ := kernels.Zeros(p.Shape()...)
		v, _ := kernels.Zeros(p.Shape()...)
		moments[i] = [2]*kernels.Tensor{m, v}
	}
	opt := kernels.AdamWConfig{LR: 0.02, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}

	forward := func(x *kernels.Tensor) (h, a, logits *kernels.Tensor, err error) {
		if h, err = linear(x, w1, b1); err != nil {
			return
		}
		if a, err = kernels.Gelu(h); err != nil {
			return
		}
		logits, err = linear(a, w2, b2)
		return
	}
	for step := 1; step <= c.Steps; step++ {
		h, a, logits, err := forward(x)
		if err != nil {
			return demoResult{}, err
		}
		loss, err := kernels.CrossEntropy(logits, y)
		if err != nil {
			return demoResult{}, err
		}
		dlogits, err := kernels.CrossEntropyBackward(logits, y, kernels.Scalar(1))
		if err != nil {
			return demoResult{}, err
		}
		da, dw2, db2, err := linearBackward(a, w2, b2, dlogits)
		if err != nil {
			return demoResult{}, err
		}
		dh, err := kernels.GeluBackward(h, da)
		if err != nil {
			return demoResult{}, err
		}
		_, dw1, db1, err := linearBackward(x, w1, b1, dh)
		if err != nil {
			return demoResult{}, err
		}
		grads := []*kernels.Tensor{dw1, db1, dw2, db2}
		if _, err := kernels.ClipGradNorm(grads, 1); err != nil {
			return demoResult{}, err
		}
		for i, p := range params {
			if err := kernels.AdamW(p, grads[i], moments[i][0], moments[i][1], int64(step), opt); err != nil {
				return demoResult{}, err
			}
		}
		progress(step, loss.Float32s()[0], accuracy(logits, y))
	}
	_, _, logits, err := forward(hx)
	if err != nil {
		return demoResult{}, err
	}
	root := sha256.New()
	for i, p := range params {
		h := kernels.Hash(p)
		fmt.Fprintf(root, "%s:", []string{"w1", "b1", "w2", "b2"}[i])
		root.Write(h[:])
	}
	return demoResult{root: hex.EncodeToString(root.Sum(nil)), heldOut: accuracy(logits, hy)}, nil
}

func linear(x, w, b *kernels.Tensor) (*kernels.Tensor, error) {
	xw, err := kernels.MatMul(x, w, false, false)
	if err != nil {
		return nil, err
	}
	return kernels.Add(xw, b)
}

func linearBackward(x, w, b, dy *kernels.Tensor) (dx, dw, db *kernels.Tensor, err error) {
	if dx, dw, err = kernels.MatMulBackward(x, w, dy, false, false); err != nil {
		return
	}
	db, err = kernels.ReduceTo(dy, b.Shape())
	return
}

func accuracy(logits, labels *kernels.Tensor) float32 {
	pred, err := kernels.ArgMax(logits)
	if err != nil {
		return 0
	}
	right := 0
	for i, p := range pred.Int32s() {
		if p == labels.Int32s()[i] {
			right++
		}
	}
	return float32(right) / float32(len(pred.Int32s()))
}
