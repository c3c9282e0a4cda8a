package kernels

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_r0.txt from this machine")

const goldenFile = "testdata/golden_r0.txt"

// goldenInputs are drawn from Philox (a pure function of the seed), scaled, and sprinkled
// with special values at fixed positions, so they are the same bits everywhere.
func goldenInput(t testing.TB, seed uint64, lo, hi float32, shape ...int) *Tensor {
	u := must[*Tensor](t)(Uniform(RNG{Seed: seed, Stream: 99}, shape...))
	for i, v := range u.f32 {
		u.f32[i] = lo + float32((hi-lo)*v)
	}
	return u
}

func withSpecials(x *Tensor) *Tensor {
	y := x.Clone()
	for i := 0; i < len(y.f32); i += 97 {
		y.f32[i] = canon(specials[(i/97)%len(specials)])
	}
	return y
}

// goldenOutputs computes every operator on fixed inputs and returns name -> output.
func goldenOutputs(t testing.TB) map[string]*Tensor {
	out := map[string]*Tensor{}
	put := func(name string, ts ...*Tensor) {
		for i, x := range ts {
			key := name
			if len(ts) > 1 {
				key = fmt.Sprintf("%s.%d", name, i)
			}
			out[key] = x
		}
	}
	m1 := func(x *Tensor, err error) *Tensor { return must[*Tensor](t)(x, err) }
	m2 := func(a, b *Tensor, err error) []*Tensor { return must[[]*Tensor](t)([]*Tensor{a, b}, err) }

	// Matmul: every variant, shapes that exercise the reference, every kernel's edge tiles
	// and several K blocks, plus special values.
	shapes := [][3]int{{1, 1, 1}, {7, 13, 3}, {67, 129, 45}, {300, 257, 100}, {13, 600, 17}}
	for i, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		for v := 0; v < 4; v++ {
			ta, tb := v&1 == 1, v&2 == 2
			as, bs := []int{m, k}, []int{k, n}
			if ta {
				as = []int{k, m}
			}
			if tb {
				bs = []int{n, k}
			}
			a, b := goldenInput(t, uint64(10*i+v), -1, 1, as...), goldenInput(t, uint64(10*i+v+5), -1, 1, bs...)
			name := fmt.Sprintf("matmul/%dx%dx%d/t%v%v", m, k, n, ta, tb)
			c := m1(MatMul(a, b, ta, tb))
			put(name, c)
			put(name+"/backward", m2(MatMulBackward(a, b, c, ta, tb))...)
		}
	}
	a, b := withSpecials(goldenInput(t, 50, -3, 3, 67, 129)), withSpecials(goldenInput(t, 51, -3, 3, 129, 45))
	put("matmul/specials", m1(MatMul(a, b, false, false)))
	ba, bb := goldenInput(t, 52, -1, 1, 3, 2, 33, 17), goldenInput(t, 53, -1, 1, 17, 40)
	put("matmul/batched-shared", m1(MatMul(ba, bb, false, false)))
	put("matmul/batched-shared/backward", m2(MatMulBackward(ba, bb, m1(MatMul(ba, bb, false, false)), false, false))...)
	bc := goldenInput(t, 54, -1, 1, 3, 2, 17, 21)
	put("matmul/batched", m1(MatMul(ba, bc, false, false)))

	// Elementwise, with broadcasting, on inputs with special values.
	x := withSpecials(goldenInput(t, 60, -4, 4, 13, 257))
	y := withSpecials(goldenInput(t, 61, 0.25, 4, 13, 257))
	row := goldenInput(t, 62, -2, 2, 257)
	put("add", m1(Add(x, y)))
	put("sub/broadcast", m1(Sub(x, row)))
	put("mul", m1(Mul(x, y)))
	put("div", m1(Div(x, y)))
	dy := goldenInput(t, 63, -1, 1, 13, 257)
	put("add/backward", m2(AddBackward(dy, x.shape, row.shape))...)
	put("sub/backward", m2(SubBackward(dy, x.shape, row.shape))...)
	put("mul/backward", m2(MulBackward(dy, x, row))...)
	put("div/backward", m2(DivBackward(dy, x, y))...)
	wide := goldenInput(t, 64, -20, 20, 4096)
	wide = withSpecials(wide)
	pos := goldenInput(t, 65, 1e-30, 100, 4096)
	dw := goldenInput(t, 66, -1, 1, 4096)
	for _, u := range []struct {
		name string
		f    func(*Tensor) (*Tensor, error)
		in   *Tensor
	}{
		{"relu", Relu, wide}, {"gelu", Gelu, wide}, {"sigmoid", Sigmoid, wide}, {"tanh", Tanh, wide},
		{"exp", Exp, wide}, {"log", Log, pos}, {"log/negative", Log, wide}, {"sqrt", Sqrt, pos},
		{"square", Square, wide}, {"scale", func(x *Tensor) (*Tensor, error) { return Scale(x, -0.37) }, wide},
	} {
		put(u.name, m1(u.f(u.in)))
	}
	ex, th, sg, sq := m1(Exp(wide)), m1(Tanh(wide)), m1(Sigmoid(wide)), m1(Sqrt(pos))
	put("relu/backward", m1(ReluBackward(wide, dw)))
	put("gelu/backward", m1(GeluBackward(wide, dw)))
	put("sigmoid/backward", m1(SigmoidBackward(sg, dw)))
	put("tanh/backward", m1(TanhBackward(th, dw)))
	put("exp/backward", m1(ExpBackward(ex, dw)))
	put("log/backward", m1(LogBackward(pos, dw)))
	put("sqrt/backward", m1(SqrtBackward(sq, dw)))
	put("square/backward", m1(SquareBackward(wide, dw)))

	// Softmax family, cross-entropy, layer norm, embedding.
	logits := goldenInput(t, 70, -10, 10, 33, 129)
	put("softmax", m1(Softmax(logits)))
	put("softmax/specials", m1(Softmax(withSpecials(logits))))
	put("log_softmax", m1(LogSoftmax(logits)))
	dl := goldenInput(t, 71, -1, 1, 33, 129)
	put("softmax/backward", m1(SoftmaxBackward(m1(Softmax(logits)), dl)))
	put("log_softmax/backward", m1(LogSoftmaxBackward(m1(LogSoftmax(logits)), dl)))
	labels := make([]int32, 33)
	for i := range labels {
		labels[i] = int32((i * 37) % 129)
	}
	lt := must[*Tensor](t)(NewInt32([]int{33}, labels))
	put("cross_entropy", m1(CrossEntropy(logits, lt)))
	put("cross_entropy/backward", m1(CrossEntropyBackward(logits, lt, Scalar(0.75))))
	lx, lg, lb := goldenInput(t, 72, -3, 5, 17, 96), goldenInput(t, 73, 0.5, 1.5, 96), goldenInput(t, 74, -1, 1, 96)
	put("layer_norm", m1(LayerNorm(lx, lg, lb, 1e-5)))
	dx, dg, db, err := LayerNormBackward(lx, lg, goldenInput(t, 75, -1, 1, 17, 96), 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	put("layer_norm/backward", dx, dg, db)
	table := goldenInput(t, 76, -1, 1, 50, 24)
	ids := make([]int32, 64)
	for i := range ids {
		ids[i] = int32((i * i * 7) % 50)
	}
	it := must[*Tensor](t)(NewInt32([]int{8, 8}, ids))
	put("embedding", m1(Embedding(table, it)))
	put("embedding/backward", m1(EmbeddingBackward(it, goldenInput(t, 77, -1, 1, 8, 8, 24), 50)))

	// Reductions and layout.
	r3 := withSpecials(goldenInput(t, 80, -1, 1, 7, 13, 33))
	for axis := 0; axis < 3; axis++ {
		put(fmt.Sprintf("sum/axis%d", axis), m1(Sum(r3, axis)))
		put(fmt.Sprintf("mean/axis%d", axis), m1(Mean(r3, axis)))
	}
	put("sum/backward", m1(SumBackward(goldenInput(t, 81, -1, 1, 7, 33), r3.shape, 1)))
	put("mean/backward", m1(MeanBackward(goldenInput(t, 82, -1, 1, 7, 33), r3.shape, 1)))
	put("argmax", m1(ArgMax(r3)))
	put("transpose", m1(Transpose(r3, 2, 0, 1)))
	put("slice", m1(Slice(r3, 1, 3, 10)))
	put("concat", m1(Concat(2, r3, goldenInput(t, 83, -1, 1, 7, 13, 5))))
	put("causal_mask", m1(CausalMask(goldenInput(t, 84, -1, 1, 3, 9, 9))))

	// Randomness and optimizers.
	put("uniform", m1(Uniform(RNG{Seed: 1, Stream: 2, Offset: 3}, 1001)))
	put("normal", m1(Normal(RNG{Seed: 1, Stream: 2, Offset: 3}, 0.5, 2, 1001)))
	dout, dmask, err := Dropout(wide, 0.25, RNG{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	put("dropout", dout, dmask)
	p, g := goldenInput(t, 90, -1, 1, 1000), goldenInput(t, 91, -1, 1, 1000)
	m, v := must[*Tensor](t)(Zeros(1000)), must[*Tensor](t)(Zeros(1000))
	for step := int64(1); step <= 5; step++ {
		if err := AdamW(p, g, m, v, step, AdamWConfig{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}); err != nil {
			t.Fatal(err)
		}
	}
	put("adamw", p, m, v)
	sp, sv := goldenInput(t, 92, -1, 1, 1000), must[*Tensor](t)(Zeros(1000))
	for step := 0; step < 5; step++ {
		if err := SGD(sp, g, sv, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4}); err != nil {
			t.Fatal(err)
		}
	}
	put("sgd", sp, sv)
	cg := []*Tensor{goldenInput(t, 93, -1, 1, 300), goldenInput(t, 94, -1, 1, 17, 3)}
	norm := must[float32](t)(ClipGradNorm(cg, 0.5))
	put("clip_grad_norm", Scalar(norm), cg[0], cg[1])
	return out
}

func readGolden(t *testing.T) map[string]string {
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatalf("%v (run go test ./kernels -run Golden -update to create it)", err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, h, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("%s: bad line %q", goldenFile, line)
		}
		want[name] = h
	}
	return want
}

// The golden hashes are the same on every architecture, GOAMD64 level and thread count:
// this test runs unchanged natively, under qemu for arm64, riscv64, ppc64le and s390x,
// and with GOAMD64=v3 (see crossarch_test.go), and here at several GOMAXPROCS values.
func TestGoldenHashes(t *testing.T) {
	if *update {
		got := goldenOutputs(t)
		names := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		var sb strings.Builder
		sb.WriteString("# R0 golden tensor hashes: operator output -> kernels.Hash, written by\n# go test ./kernels -run Golden -update. Every architecture must reproduce these.\n")
		for _, n := range names {
			h := Hash(got[n])
			fmt.Fprintf(&sb, "%s %s\n", n, hex.EncodeToString(h[:]))
		}
		if err := os.WriteFile(goldenFile, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readGolden(t)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got := goldenOutputs(t)
		if len(got) != len(want) {
			t.Errorf("GOMAXPROCS=%d: %d outputs, %s has %d", procs, len(got), goldenFile, len(want))
		}
		for name, x := range got {
			h := Hash(x)
			if hx := hex.EncodeToString(h[:]); hx != want[name] {
				t.Errorf("GOARCH=%s GOMAXPROCS=%d: %s hash %s, golden %s", runtime.GOARCH, procs, name, hx[:16], want[name])
			}
		}
	}
}
