package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The float64 oracle: each operator written again in float64, independently of the
// kernels (its own index arithmetic, the math package's functions). Forward results are
// checked against it within the bounds SPEC.md states; grad_test.go differentiates it.

type t64 struct {
	shape []int
	d     []float64
}

func to64(x *Tensor) t64 {
	d := make([]float64, len(x.f32))
	for i, v := range x.f32 {
		d[i] = float64(v)
	}
	return t64{shape: x.Shape(), d: d}
}

// unravel turns a flat row-major index into a multi-index.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = i % shape[a]
		i /= shape[a]
	}
	return idx
}

// ravelBroadcast maps an output multi-index to the flat index of an input of shape in.
func ravelBroadcast(idx, in []int) int {
	off := 0
	for a := range in {
		j := idx[len(idx)-len(in)+a]
		if in[a] == 1 {
			j = 0
		}
		off = off*in[a] + j
	}
	return off
}

func binary64(a, b t64, out []int, f func(x, y float64) float64) t64 {
	r := t64{shape: out, d: make([]float64, numel(out))}
	for i := range r.d {
		idx := unravel(i, out)
		r.d[i] = f(a.d[ravelBroadcast(idx, a.shape)], b.d[ravelBroadcast(idx, b.shape)])
	}
	return r
}

func matmul64(a, b t64, ta, tb bool) t64 {
	// batch handling: equal batch, or one operand rank 2
	ra, rb := len(a.shape), len(b.shape)
	ar, ac, br, bc := a.shape[ra-2], a.shape[ra-1], b.shape[rb-2], b.shape[rb-1]
	m, k, n := ar, ac, bc
	if ta {
		m, k = ac, ar
	}
	if tb {
		n = br
	}
	batch := a.shape[:ra-2]
	if ra == 2 {
		batch = b.shape[:rb-2]
	}
	nb := numel(batch)
	out := t64{shape: append(slices.Clone(batch), m, n), d: make([]float64, nb*m*n)}
	for bi := 0; bi < nb; bi++ {
		ao, bo := bi*ar*ac, bi*br*bc
		if ra == 2 {
			ao = 0
		}
		if rb == 2 {
			bo = 0
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					var av, bv float64
					if ta {
						av = a.d[ao+p*ac+i]
					} else {
						av = a.d[ao+i*ac+p]
					}
					if tb {
						bv = b.d[bo+j*bc+p]
					} else {
						bv = b.d[bo+p*bc+j]
					}
					s += av * bv
				}
				out.d[(bi*m+i)*n+j] = s
			}
		}
	}
	return out
}

func rows64(x t64) (int, int) { n := x.shape[len(x.shape)-1]; return len(x.d) / n, n }

func softmax64(x t64, logOut bool) t64 {
	rows, n := rows64(x)
	out := t64{shape: x.shape, d: make([]float64, len(x.d))}
	for r := 0; r < rows; r++ {
		row := x.d[r*n : (r+1)*n]
		m := slices.Max(row)
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - m)
		}
		for j, v := range row {
			if logOut {
				out.d[r*n+j] = v - m - math.Log(s)
			} else {
				out.d[r*n+j] = math.Exp(v-m) / s
			}
		}
	}
	return out
}

func crossEntropy64(x t64, labels []int32) float64 {
	ls := softmax64(x, true)
	_, n := rows64(x)
	total := 0.0
	for r, l := range labels {
		total -= ls.d[r*n+int(l)]
	}
	return total / float64(len(labels))
}

func layerNorm64(x, g, b t64, eps float64) t64 {
	rows, d := rows64(x)
	out := t64{shape: x.shape, d: make([]float64, len(x.d))}
	for r := 0; r < rows; r++ {
		row := x.d[r*d : (r+1)*d]
		mean, v := 0.0, 0.0
		for _, e := range row {
			mean += e
		}
		mean /= float64(d)
		for _, e := range row {
			v += (e - mean) * (e - mean)
		}
		v /= float64(d)
		for j, e := range row {
			out.d[r*d+j] = (e-mean)/math.Sqrt(v+eps)*g.d[j] + b.d[j]
		}
	}
	return out
}

func sum64(x t64, axis int) t64 {
	outer, n, inner := splitAt(x.shape, axis)
	out := t64{shape: dropAxis(x.shape, axis), d: make([]float64, outer*inner)}
	for o := 0; o < outer; o++ {
		for k := 0; k < n; k++ {
			for i := 0; i < inner; i++ {
				out.d[o*inner+i] += x.d[(o*n+k)*inner+i]
			}
		}
	}
	return out
}

// gelu64 is the tanh-form GELU, 0.5x(1 + tanh(u)), written as x/(1 + exp(-2u)) because
// 1 + tanh(u) cancels in float64 too once u < -18.
func gelu64(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return x / (1 + math.Exp(-2*u))
}

// ulpErr is |got - want| in units of the float32 ulp at want (the spacing of float32
// numbers at |want|, with the subnormal spacing as the floor).
func ulpErr(got float32, want float64) float64 {
	if math.IsNaN(want) {
		if got != got {
			return 0
		}
		return math.Inf(1)
	}
	if math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32 {
		if float64(got) == want || (math.IsInf(float64(got), 0) && math.Signbit(float64(got)) == math.Signbit(want)) {
			return 0
		}
		return math.Inf(1)
	}
	w := float32(want)
	ulp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w))
	if a := math.Abs(want); a < 1.1754943508222875e-38 {
		ulp = 1.401298464324817e-45
	} else if ulp == 0 || math.IsInf(ulp, 0) {
		ulp = math.Abs(float64(w) - float64(math.Nextafter32(w, 0)))
	}
	return math.Abs(float64(got)-want) / ulp
}

const u32 = 1.0 / (1 << 24) // unit roundoff of binary32

// checkBound fails if any |got - want| exceeds bound[i].
func checkBound(t *testing.T, what string, got *Tensor, want []float64, bound func(i int) float64) {
	t.Helper()
	if len(got.f32) != len(want) {
		t.Fatalf("%s: %d elements, oracle has %d", what, len(got.f32), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got.f32[i]) - w); !(d <= bound(i)) {
			t.Fatalf("%s: element %d is %v, oracle %v, |error| %.3g exceeds bound %.3g", what, i, got.f32[i], w, d, bound(i))
		}
	}
}

func TestMatMulOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	type tc struct {
		a, b   []int
		ta, tb bool
	}
	cases := []tc{
		{[]int{1, 1}, []int{1, 1}, false, false},
		{[]int{7, 13}, []int{13, 3}, false, false},
		{[]int{13, 7}, []int{13, 64}, true, false},
		{[]int{64, 257}, []int{1, 257}, false, true},
		{[]int{257, 3}, []int{7, 257}, true, true},
		{[]int{3, 7, 13}, []int{3, 13, 5}, false, false},
		{[]int{2, 3, 13, 7}, []int{13, 17}, true, false}, // shared b, transposed a
		{[]int{5, 9}, []int{4, 9, 6}, false, false},      // shared a
		{[]int{300, 200}, []int{200, 100}, false, false}, // fast path, several panels
	}
	for _, c := range cases {
		a, b := randTensor(t, rng, -1, 1, c.a...), randTensor(t, rng, -1, 1, c.b...)
		got := must[*Tensor](t)(MatMul(a, b, c.ta, c.tb))
		want := matmul64(to64(a), to64(b), c.ta, c.tb)
		if !sameShape(got.shape, want.shape) {
			t.Fatalf("%v x %v: shape %v, oracle %v", c.a, c.b, got.shape, want.shape)
		}
		absA, absB := to64(a), to64(b)
		for i := range absA.d {
			absA.d[i] = math.Abs(absA.d[i])
		}
		for i := range absB.d {
			absB.d[i] = math.Abs(absB.d[i])
		}
		mag := matmul64(absA, absB, c.ta, c.tb)
		k := c.a[len(c.a)-1]
		if c.ta {
			k = c.a[len(c.a)-2]
		}
		// Sequential summation of k rounded products: |error| <= (k+1) u sum|a||b| (to first order).
		checkBound(t, "matmul", got, want.d, func(i int) float64 { return 1.01*float64(k+1)*u32*mag.d[i] + 1e-45 })
	}
}

// One IEEE operation is correctly rounded; so is the float64 result rounded to float32
// (53 >= 2*24 + 2), so elementwise arithmetic must match it exactly.
func TestBinaryOracleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	shapes := [][2][]int{
		{{7, 13}, {7, 13}}, {{7, 13}, {13}}, {{3, 1, 5}, {4, 1}}, {{1}, {2, 3}}, {{}, {3}}, {{257}, {1}},
	}
	ops := []struct {
		name string
		f    func(a, b *Tensor) (*Tensor, error)
		g    func(x, y float64) float64
	}{
		{"add", Add, func(x, y float64) float64 { return x + y }},
		{"sub", Sub, func(x, y float64) float64 { return x - y }},
		{"mul", Mul, func(x, y float64) float64 { return x * y }},
		{"div", Div, func(x, y float64) float64 { return x / y }},
	}
	for _, s := range shapes {
		for _, op := range ops {
			a, b := randTensor(t, rng, -3, 3, s[0]...), randTensor(t, rng, -3, 3, s[1]...)
			sprinkle(rng, a, 5)
			sprinkle(rng, b, 5)
			got := must[*Tensor](t)(op.f(a, b))
			out, _ := broadcastShape("", a.shape, b.shape)
			want := binary64(to64(a), to64(b), out, op.g)
			for i, w := range want.d {
				if wb := math.Float32bits(canon(float32(w))); math.Float32bits(got.f32[i]) != wb {
					t.Fatalf("%s %v,%v: element %d is %#08x, want %#08x", op.name, s[0], s[1], i, math.Float32bits(got.f32[i]), wb)
				}
			}
		}
	}
}

// Transcendental error bounds, in ulps of the true value (SPEC.md, "Transcendentals").
// Samples: every float32 in a dense sweep of each function's interesting range plus
// random bit patterns.
func TestTranscendentalBounds(t *testing.T) {
	funcs := []struct {
		name   string
		f      func(float32) float32
		g      func(float64) float64
		lo, hi float32
		bound  float64
		// boundAt, when set, is the bound at x divided by bound (a bound that varies).
		boundAt func(x float32) float64
	}{
		{"exp", expf, math.Exp, -104, 89, 1.5, nil},
		{"log", logf, math.Log, 0, math.MaxFloat32, 1.5, nil},
		{"tanh", tanhf, math.Tanh, -12, 12, 2.5, nil},
		{"sigmoid", sigmoidf, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -104, 30, 3.5, nil},
		// GELU's bound grows with |v|, v = 2k(x + c x^3): the sigmoid amplifies v's
		// relative error by |v|(1 - sigmoid(v)). SPEC.md: 4 + 3.5|v| ulp.
		{"gelu", geluf, gelu64, -30, 30, 1, func(x float32) float64 {
			v, _ := geluArg(x)
			return 4 + 3.5*math.Abs(float64(v))
		}},
		{"cos2pi", cos2pi, func(x float64) float64 { return math.Cos(2 * math.Pi * x) }, 0, 1, 2, nil},
	}
	n := 2000000
	if testing.Short() {
		n = 200000
	}
	rng := rand.New(rand.NewPCG(14, 15))
	for _, fn := range funcs {
		worst, at := 0.0, float32(0)
		check := func(x float32) {
			if x < fn.lo || x > fn.hi {
				return
			}
			want := fn.g(float64(x))
			if fn.name == "cos2pi" {
				x = float32(uint32(x*(1<<24))) / (1 << 24) // a 24-bit uniform value
				want = fn.g(float64(x))
				// near the zeros of cos the absolute error is what is bounded
				if e := math.Abs(float64(fn.f(x))-want) / (1.0 / (1 << 24)); e > worst {
					worst, at = e, x
				}
				return
			}
			e := ulpErr(fn.f(x), want)
			if fn.boundAt != nil {
				e /= fn.boundAt(x)
			}
			if e > worst {
				worst, at = e, x
			}
		}
		for i := 0; i < n; i++ {
			check(fn.lo + (fn.hi-fn.lo)*float32(i)/float32(n))
			check(math.Float32frombits(rng.Uint32()))
		}
		t.Logf("%-8s max error %.3f ulp at %v (bound %.1f%s)", fn.name, worst, at, fn.bound, map[bool]string{true: " x boundAt(x)"}[fn.boundAt != nil])
		if worst > fn.bound {
			t.Errorf("%s: error %.3f ulp at %v exceeds the bound %.1f", fn.name, worst, at, fn.bound)
		}
	}
}

// Special inputs of the transcendentals, exactly.
func TestTranscendentalSpecials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		got  float32
		want float32
	}{
		{"exp(0)", expf(0), 1}, {"exp(-inf)", expf(-inf), 0}, {"exp(inf)", expf(inf), inf},
		{"exp(89)", expf(89), inf}, {"exp(-104)", expf(-104), 0},
		{"log(1)", logf(1), 0}, {"log(0)", logf(0), -inf}, {"log(inf)", logf(inf), inf},
		{"log(-1)", logf(-1), nan}, {"log(nan)", logf(nan), nan},
		{"tanh(-0)", tanhf(negZero), negZero}, {"tanh(inf)", tanhf(inf), 1}, {"tanh(-inf)", tanhf(-inf), -1},
		{"sigmoid(0)", sigmoidf(0), 0.5}, {"sigmoid(inf)", sigmoidf(inf), 1}, {"sigmoid(-inf)", sigmoidf(-inf), 0},
		{"gelu(0)", geluf(0), 0}, {"gelu(nan)", geluf(nan), nan},
		{"relu(-0)", relu(negZero), 0}, {"relu(nan)", relu(nan), nan},
		{"cos2pi(0)", cos2pi(0), 1}, {"cos2pi(0.5)", cos2pi(0.5), -1},
	}
	for _, c := range cases {
		g, w := math.Float32bits(canon(c.got)), math.Float32bits(canon(c.want))
		if g != w {
			t.Errorf("%s = %v (%#08x), want %v (%#08x)", c.name, c.got, g, c.want, w)
		}
	}
}

func TestSoftmaxCrossEntropyOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	for _, shape := range [][]int{{1, 1}, {3, 7}, {13, 10}, {2, 5, 257}} {
		x := randTensor(t, rng, -8, 8, shape...)
		n := shape[len(shape)-1]
		tol := func(scale float64) func(int) float64 {
			return func(int) float64 { return float64(n+8) * 4 * u32 * scale }
		}
		sm := must[*Tensor](t)(Softmax(x))
		checkBound(t, "softmax", sm, softmax64(to64(x), false).d, tol(1))
		lsm := must[*Tensor](t)(LogSoftmax(x))
		want := softmax64(to64(x), true)
		checkBound(t, "log_softmax", lsm, want.d, tol(20))
		if len(shape) == 2 {
			labels := make([]int32, shape[0])
			for i := range labels {
				labels[i] = int32(rng.IntN(n))
			}
			lt := must[*Tensor](t)(NewInt32([]int{shape[0]}, labels))
			ce := must[*Tensor](t)(CrossEntropy(x, lt))
			checkBound(t, "cross_entropy", ce, []float64{crossEntropy64(to64(x), labels)}, func(int) float64 {
				return float64(n+shape[0]+8) * 4 * u32 * 20
			})
		}
	}
}

func TestLayerNormOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	for _, shape := range [][]int{{1, 1}, {3, 7}, {13, 64}, {2, 3, 257}} {
		d := shape[len(shape)-1]
		x := randTensor(t, rng, -4, 6, shape...)
		g, b := randTensor(t, rng, 0.5, 1.5, d), randTensor(t, rng, -1, 1, d)
		got := must[*Tensor](t)(LayerNorm(x, g, b, 1e-5))
		want := layerNorm64(to64(x), to64(g), to64(b), float64(float32(1e-5)))
		checkBound(t, "layer_norm", got, want.d, func(int) float64 { return float64(d+8) * 8 * u32 * 4 })
	}
}

func TestSumMeanOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, shape := range [][]int{{1}, {7}, {3, 13}, {2, 257, 3}} {
		for axis := range shape {
			x := randTensor(t, rng, -1, 1, shape...)
			abs := to64(x)
			for i := range abs.d {
				abs.d[i] = math.Abs(abs.d[i])
			}
			mag := sum64(abs, axis)
			want := sum64(to64(x), axis)
			n := float64(shape[axis])
			s := must[*Tensor](t)(Sum(x, axis))
			checkBound(t, "sum", s, want.d, func(i int) float64 { return 1.01 * n * u32 * mag.d[i] })
			m := must[*Tensor](t)(Mean(x, axis-len(shape)))
			for i := range want.d {
				want.d[i] /= n
			}
			checkBound(t, "mean", m, want.d, func(i int) float64 { return 1.01*(n+1)*u32*mag.d[i]/n + 1e-45 })
		}
	}
}

// Layout operators move elements; compare with the oracle's own index arithmetic.
func TestLayoutOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	x := randTensor(t, rng, -1, 1, 2, 3, 4)
	tr := must[*Tensor](t)(Transpose(x, 2, 0, 1))
	for i, v := range tr.f32 {
		idx := unravel(i, tr.shape) // [d2, d0, d1]
		if v != x.f32[(idx[1]*3+idx[2])*4+idx[0]] {
			t.Fatalf("transpose element %d wrong", i)
		}
	}
	back := must[*Tensor](t)(TransposeBackward(tr, 2, 0, 1))
	if !Equal(back, x) {
		t.Fatal("transpose backward does not invert transpose")
	}
	sl := must[*Tensor](t)(Slice(x, 1, 1, 3))
	for i, v := range sl.f32 {
		idx := unravel(i, sl.shape)
		if v != x.f32[(idx[0]*3+idx[1]+1)*4+idx[2]] {
			t.Fatalf("slice element %d wrong", i)
		}
	}
	y := randTensor(t, rng, -1, 1, 2, 5, 4)
	cat := must[*Tensor](t)(Concat(1, x, y))
	parts := must[[]*Tensor](t)(Split(cat, 1, 3, 5))
	if !Equal(parts[0], x) || !Equal(parts[1], y) {
		t.Fatal("split does not invert concat")
	}
	r := must[*Tensor](t)(Reshape(x, 4, -1))
	if !sameShape(r.shape, []int{4, 6}) || bitsDiffer(r.f32, x.f32) >= 0 {
		t.Fatalf("reshape gave %v", r.shape)
	}
	sq := randTensor(t, rng, -1, 1, 2, 5, 5)
	cm := must[*Tensor](t)(CausalMask(sq))
	for i, v := range cm.f32 {
		idx := unravel(i, cm.shape)
		masked := idx[2] > idx[1]
		if masked != math.IsInf(float64(v), -1) || (!masked && v != sq.f32[i]) {
			t.Fatalf("causal mask element %v wrong: %v", idx, v)
		}
	}
}

func TestEmbeddingOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	table := randTensor(t, rng, -1, 1, 11, 6)
	ids := []int32{3, 0, 10, 3, 3, 7}
	idx := must[*Tensor](t)(NewInt32([]int{2, 3}, ids))
	e := must[*Tensor](t)(Embedding(table, idx))
	for p, k := range ids {
		if bitsDiffer(e.f32[p*6:(p+1)*6], table.f32[int(k)*6:(int(k)+1)*6]) >= 0 {
			t.Fatalf("embedding row %d wrong", p)
		}
	}
	dy := randTensor(t, rng, -1, 1, 2, 3, 6)
	g := must[*Tensor](t)(EmbeddingBackward(idx, dy, 11))
	for k := 0; k < 11; k++ {
		for j := 0; j < 6; j++ {
			want := float32(0)
			for p, kk := range ids {
				if int(kk) == k {
					want += dy.f32[p*6+j] // increasing position order, from +0
				}
			}
			if math.Float32bits(g.f32[k*6+j]) != math.Float32bits(want) {
				t.Fatalf("embedding backward [%d,%d] = %v, want %v", k, j, g.f32[k*6+j], want)
			}
		}
	}
}

func TestOptimizersOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 27))
	const n = 257
	p, g := randTensor(t, rng, -1, 1, n), randTensor(t, rng, -1, 1, n)
	m, v := randTensor(t, rng, -0.1, 0.1, n), randTensor(t, rng, 0, 0.01, n)
	p64, g64, m64, v64 := to64(p), to64(g), to64(m), to64(v)
	c := AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	const step = 7
	if err := AdamW(p, g, m, v, step, c); err != nil {
		t.Fatal(err)
	}
	lr, b1, b2, eps, wd := float64(c.LR), float64(c.Beta1), float64(c.Beta2), float64(c.Eps), float64(c.WeightDecay)
	for i := 0; i < n; i++ {
		pp := p64.d[i] * (1 - lr*wd)
		mm := b1*m64.d[i] + (1-b1)*g64.d[i]
		vv := b2*v64.d[i] + (1-b2)*g64.d[i]*g64.d[i]
		pp -= lr * (mm / (1 - math.Pow(b1, step))) / (math.Sqrt(vv/(1-math.Pow(b2, step))) + eps)
		// m cancels when b1*m and (1-b1)*g differ in sign: bound by the terms' size.
		if d := math.Abs(float64(m.f32[i]) - mm); d > 3*u32*(math.Abs(b1*m64.d[i])+math.Abs((1-b1)*g64.d[i])) {
			t.Fatalf("adamw m[%d] = %v, oracle %v", i, m.f32[i], mm)
		}
		if e := ulpErr(v.f32[i], vv); e > 4 {
			t.Fatalf("adamw v[%d] error %.2f ulp", i, e)
		}
		// the update is small beside p: bound its error relative to the step, lr
		if d := math.Abs(float64(p.f32[i]) - pp); d > 2*u32*math.Abs(pp)+1e-5*lr {
			t.Fatalf("adamw p[%d] = %v, oracle %v", i, p.f32[i], pp)
		}
	}
	// SGD with momentum and weight decay.
	p, g, v = randTensor(t, rng, -1, 1, n), randTensor(t, rng, -1, 1, n), randTensor(t, rng, -1, 1, n)
	p64, g64, v64 = to64(p), to64(g), to64(v)
	sc := SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4}
	if err := SGD(p, g, v, sc); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		vv := float64(sc.Momentum)*v64.d[i] + g64.d[i] + float64(sc.WeightDecay)*p64.d[i]
		pp := p64.d[i] - float64(sc.LR)*vv
		terms := math.Abs(float64(sc.Momentum)*v64.d[i]) + math.Abs(g64.d[i]) + math.Abs(float64(sc.WeightDecay)*p64.d[i])
		if d := math.Abs(float64(p.f32[i]) - pp); d > 4*u32*(math.Abs(p64.d[i])+float64(sc.LR)*terms) {
			t.Fatalf("sgd p[%d] = %v, oracle %v", i, p.f32[i], pp)
		}
	}
	// Nesterov: p - lr*(d + mu*v'), v' = mu*v + d.
	p, g, v = randTensor(t, rng, -1, 1, n), randTensor(t, rng, -1, 1, n), randTensor(t, rng, -1, 1, n)
	p64, g64, v64 = to64(p), to64(g), to64(v)
	nc := SGDConfig{LR: 0.7, Momentum: 0.9, Nesterov: true}
	if err := SGD(p, g, v, nc); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		vv := float64(nc.Momentum)*v64.d[i] + g64.d[i]
		pp := p64.d[i] - float64(nc.LR)*(g64.d[i]+float64(nc.Momentum)*vv)
		terms := math.Abs(float64(nc.Momentum)*v64.d[i]) + 2*math.Abs(g64.d[i])
		if d := math.Abs(float64(v.f32[i]) - vv); d > 2*u32*terms {
			t.Fatalf("nesterov v[%d] = %v, oracle %v", i, v.f32[i], vv)
		}
		if d := math.Abs(float64(p.f32[i]) - pp); d > 6*u32*(math.Abs(p64.d[i])+float64(nc.LR)*terms) {
			t.Fatalf("nesterov p[%d] = %v, oracle %v", i, p.f32[i], pp)
		}
	}
	// Clipping: the norm, and the clipped norm equal to maxNorm.
	gs := []*Tensor{randTensor(t, rng, -1, 1, 13), randTensor(t, rng, -1, 1, 7, 3)}
	norm64 := 0.0
	for _, gt := range gs {
		for _, e := range gt.f32 {
			norm64 += float64(e) * float64(e)
		}
	}
	norm64 = math.Sqrt(norm64)
	norm := must[float32](t)(ClipGradNorm(gs, 0.5))
	if ulpErr(norm, norm64) > 40 {
		t.Fatalf("clip norm %v, oracle %v", norm, norm64)
	}
	after := 0.0
	for _, gt := range gs {
		for _, e := range gt.f32 {
			after += float64(e) * float64(e)
		}
	}
	if math.Abs(math.Sqrt(after)-0.5) > 1e-5 {
		t.Fatalf("clipped norm %v, want 0.5", math.Sqrt(after))
	}
}

// Single-operation unary operators are correctly rounded, so they equal the float64
// result rounded once; the transcendental ones apply the scalar functions whose bounds
// TestTranscendentalBounds checks; ArgMax picks the first greatest element.
func TestUnaryOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 41))
	x := randTensor(t, rng, -5, 5, 13, 257)
	sprinkle(rng, x, 7)
	exact := []struct {
		name string
		f    func(*Tensor) (*Tensor, error)
		g    func(float64) float64
	}{
		{"sqrt", Sqrt, math.Sqrt},
		{"square", Square, func(v float64) float64 { return v * v }},
		{"scale", func(x *Tensor) (*Tensor, error) { return Scale(x, 0.3) }, func(v float64) float64 { return v * float64(float32(0.3)) }},
		{"relu", Relu, func(v float64) float64 {
			if v > 0 || v != v {
				return v
			}
			return 0
		}},
	}
	for _, c := range exact {
		got := must[*Tensor](t)(c.f(x))
		for i, v := range x.f32 {
			if w := math.Float32bits(canon(float32(c.g(float64(v))))); math.Float32bits(got.f32[i]) != w {
				t.Fatalf("%s(%v) = %#08x, want %#08x", c.name, v, math.Float32bits(got.f32[i]), w)
			}
		}
	}
	for name, c := range map[string]struct {
		f func(*Tensor) (*Tensor, error)
		g func(float32) float32
	}{"exp": {Exp, expf}, "log": {Log, logf}, "tanh": {Tanh, tanhf}, "sigmoid": {Sigmoid, sigmoidf}, "gelu": {Gelu, geluf}} {
		got := must[*Tensor](t)(c.f(x))
		for i, v := range x.f32 {
			if math.Float32bits(got.f32[i]) != math.Float32bits(canon(c.g(v))) {
				t.Fatalf("%s tensor element %d differs from the scalar function", name, i)
			}
		}
	}
	am := must[*Tensor](t)(ArgMax(x))
	for r := 0; r < 13; r++ {
		row, best := x.f32[r*257:(r+1)*257], 0
		for j := range row {
			if row[best] == row[best] && (row[j] > row[best] || row[j] != row[j]) {
				best = j
			}
		}
		if int(am.i32[r]) != best {
			t.Fatalf("argmax row %d = %d, want %d", r, am.i32[r], best)
		}
	}
}
