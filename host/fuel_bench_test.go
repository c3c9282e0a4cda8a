package host

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/kernels"
)

// fuelCase is one operator call at a large size, for calibrating opCost. An input shape
// whose first entry is -1 is an int32 tensor of indices below its second entry.
type fuelCase struct {
	op     Opcode
	attrs  []uint32
	shapes [][]int
}

func fuelCases() []fuelCase {
	f := math.Float32bits
	rng6 := []uint32{1, 0, 0, 0, 0, 0}
	mm := func(ta, tb uint32, a, b []int) fuelCase { return fuelCase{OpMatMul, []uint32{ta, tb}, [][]int{a, b}} }
	mmb := func(ta, tb uint32, a, b, dc []int) fuelCase {
		return fuelCase{OpMatMulBackward, []uint32{ta, tb}, [][]int{a, b, dc}}
	}
	ints := func(below int, shape ...int) []int { return append([]int{-1, below}, shape...) }
	var cs []fuelCase
	cs = append(cs,
		mm(0, 0, []int{512, 512}, []int{512, 512}), mm(1, 1, []int{512, 512}, []int{512, 512}),
		mm(0, 0, []int{1024, 1024}, []int{1024, 1024}), mm(0, 1, []int{1024, 1024}, []int{1024, 1024}),
		mm(0, 0, []int{1, 1 << 16}, []int{1 << 16, 16}), mm(0, 0, []int{4096, 256}, []int{256, 1}),
		mm(0, 1, []int{64, 1 << 14}, []int{1, 1 << 14}), mm(1, 0, []int{1 << 14, 64}, []int{1 << 14, 64}),
		mm(0, 0, []int{1 << 14, 4, 4}, []int{1 << 14, 4, 4}), mm(0, 0, []int{4096, 16, 16}, []int{4096, 16, 16}),
		mm(0, 0, []int{64, 128, 64}, []int{64, 64}), mm(0, 0, []int{1 << 12, 15, 16}, []int{16, 17}),
		mm(0, 0, []int{1 << 16, 1}, []int{1, 64}), mm(0, 0, []int{256, 0}, []int{0, 4096}),
		mmb(0, 0, []int{256, 256}, []int{256, 256}, []int{256, 256}),
		mmb(1, 1, []int{256, 256}, []int{256, 256}, []int{256, 256}),
		mmb(0, 0, []int{32, 64, 64}, []int{64, 64}, []int{32, 64, 64}),
		mmb(1, 0, []int{32, 64, 64}, []int{64, 64}, []int{32, 64, 64}),
		mmb(0, 0, []int{8, 8}, []int{1 << 14, 8, 8}, []int{1 << 14, 8, 8}),
	)
	big, col, rowv := []int{1 << 20}, []int{1 << 20, 1}, []int{1, 1}
	for _, op := range []Opcode{OpAdd, OpSub, OpMul, OpDiv} {
		cs = append(cs, fuelCase{op, nil, [][]int{big, big}}, fuelCase{op, nil, [][]int{col, rowv}},
			fuelCase{op, nil, [][]int{{1024, 1}, {1, 1024}}}, fuelCase{op, nil, [][]int{{1 << 19, 2}, {2}}})
	}
	for _, op := range []Opcode{OpAddBackward, OpSubBackward, OpMulBackward, OpDivBackward} {
		cs = append(cs, fuelCase{op, nil, [][]int{big, big, big}}, fuelCase{op, nil, [][]int{{1024, 1024}, {1024, 1}, {1, 1024}}},
			fuelCase{op, nil, [][]int{col, col, {1}}})
	}
	cs = append(cs, fuelCase{OpReduceTo, []uint32{1, 1}, [][]int{{1024, 1024}}}, fuelCase{OpReduceTo, []uint32{1 << 20, 1}, [][]int{col}},
		fuelCase{OpReduceTo, []uint32{1}, [][]int{col}})
	for _, op := range []Opcode{OpScale, OpSquare, OpSqrt, OpExp, OpLog, OpTanh, OpSigmoid, OpGelu, OpRelu} {
		cs = append(cs, fuelCase{op, []uint32{f(0.5)}, [][]int{big}})
	}
	for _, op := range []Opcode{OpSquareBackward, OpSqrtBackward, OpExpBackward, OpLogBackward, OpTanhBackward,
		OpSigmoidBackward, OpGeluBackward, OpReluBackward, OpDropoutBackward} {
		cs = append(cs, fuelCase{op, nil, [][]int{big, big}})
	}
	for _, op := range []Opcode{OpSoftmax, OpLogSoftmax} {
		cs = append(cs, fuelCase{op, nil, [][]int{{1024, 1024}}}, fuelCase{op, nil, [][]int{col}})
	}
	for _, op := range []Opcode{OpSoftmaxBackward, OpLogSoftmaxBackward} {
		cs = append(cs, fuelCase{op, nil, [][]int{{1024, 1024}, {1024, 1024}}}, fuelCase{op, nil, [][]int{col, col}})
	}
	cs = append(cs,
		fuelCase{OpCrossEntropy, nil, [][]int{{1024, 1024}, ints(1024, 1024)}},
		fuelCase{OpCrossEntropy, nil, [][]int{col, ints(1, 1<<20)}},
		fuelCase{OpCrossEntropyBackward, nil, [][]int{{1024, 1024}, ints(1024, 1024), {}}},
		fuelCase{OpCrossEntropyBackward, nil, [][]int{col, ints(1, 1<<20), {}}},
		fuelCase{OpLayerNorm, []uint32{f(1e-5)}, [][]int{{1024, 1024}, {1024}, {1024}}},
		fuelCase{OpLayerNorm, []uint32{f(1e-5)}, [][]int{col, {1}, {1}}},
		fuelCase{OpLayerNormBackward, []uint32{f(1e-5)}, [][]int{{1024, 1024}, {1024}, {1024, 1024}}},
		fuelCase{OpLayerNormBackward, []uint32{f(1e-5)}, [][]int{col, {1}, col}},
		fuelCase{OpEmbedding, nil, [][]int{{1024, 1024}, ints(1024, 1024)}},
		fuelCase{OpEmbedding, nil, [][]int{{1024, 1}, ints(1024, 1<<20)}},
		fuelCase{OpEmbeddingBackward, []uint32{1024}, [][]int{ints(1024, 1024), {1024, 1024}}},
		fuelCase{OpEmbeddingBackward, []uint32{1 << 20}, [][]int{ints(1<<20, 1<<20), col}},
		fuelCase{OpSum, []uint32{0}, [][]int{{1024, 1024}}}, fuelCase{OpSum, []uint32{1}, [][]int{{1024, 1024}}},
		fuelCase{OpSum, []uint32{1}, [][]int{col}}, fuelCase{OpMean, []uint32{0}, [][]int{col}},
		fuelCase{OpMean, []uint32{1}, [][]int{{1024, 1024}}},
		fuelCase{OpSumBackward, []uint32{0, 1024, 1024}, [][]int{{1024}}}, fuelCase{OpSumBackward, []uint32{1, 1 << 20, 1}, [][]int{{1 << 20}}},
		fuelCase{OpMeanBackward, []uint32{1, 1 << 20, 1}, [][]int{{1 << 20}}},
		fuelCase{OpArgMax, nil, [][]int{{1024, 1024}}}, fuelCase{OpArgMax, nil, [][]int{col}},
		fuelCase{OpTranspose, []uint32{1, 0}, [][]int{{1024, 1024}}}, fuelCase{OpTranspose, []uint32{1, 0}, [][]int{{1, 1 << 20}}},
		fuelCase{OpTranspose, []uint32{0, 2, 1}, [][]int{{1 << 18, 4, 1}}}, fuelCase{OpTranspose, []uint32{2, 1, 0}, [][]int{{64, 128, 128}}},
		fuelCase{OpReshape, []uint32{1024, 1024}, [][]int{big}},
		fuelCase{OpSlice, []uint32{1, 0, 512}, [][]int{{1024, 1024}}}, fuelCase{OpSlice, []uint32{1, 0, 1}, [][]int{{1 << 20, 2}}},
		fuelCase{OpSliceBackward, []uint32{1, 0, 1024, 1024}, [][]int{{1024, 512}}},
		fuelCase{OpSliceBackward, []uint32{1, 0, 1 << 20, 2}, [][]int{col}},
		fuelCase{OpConcat, []uint32{1}, [][]int{{1024, 512}, {1024, 512}}},
		fuelCase{OpConcat, []uint32{1}, [][]int{col, col}},
		fuelCase{OpSplit, []uint32{1, 512, 512}, [][]int{{1024, 1024}}},
		fuelCase{OpSplit, []uint32{1, 1, 1}, [][]int{{1 << 20, 2}}},
		fuelCase{OpCausalMask, nil, [][]int{{1, 1024, 1024}}}, fuelCase{OpCausalMask, nil, [][]int{{1 << 20, 1, 1}}},
		fuelCase{OpCausalMaskBackward, nil, [][]int{{1, 1024, 1024}}},
		fuelCase{OpUniform, append(slices.Clone(rng6), 1<<20), nil},
		fuelCase{OpNormal, append(slices.Clone(rng6), f(0), f(1), 1<<20), nil},
		fuelCase{OpDropout, append(slices.Clone(rng6), f(0.5)), [][]int{big}},
		fuelCase{OpSGD, []uint32{f(0.1), f(0.9), f(0.01)}, [][]int{big, big, big}},
		fuelCase{OpAdamW, []uint32{1, 0, f(1e-3), f(0.9), f(0.999), f(1e-8), f(0.01)}, [][]int{big, big, big, big}},
		fuelCase{OpClipGradNorm, []uint32{f(1)}, [][]int{big, big}},
		fuelCase{OpClipGradNorm, []uint32{f(1)}, slices.Repeat([][]int{{1}}, 4096)},
		fuelCase{OpConcat, []uint32{0}, slices.Repeat([][]int{{1}}, 4096)},
		fuelCase{OpAssign, nil, [][]int{big, big}}, fuelCase{OpAssign, nil, [][]int{{1}, {1}}},
		// Loops over nothing: empty matrices, empty blocks.
		mm(0, 0, []int{1 << 18, 0, 4}, []int{1 << 18, 4, 0}),
		fuelCase{OpSumBackward, []uint32{1, 1024, 1024, 0}, [][]int{{1024, 0}}},
		fuelCase{OpSlice, []uint32{1, 0, 0}, [][]int{{1 << 20, 0}}},
		fuelCase{OpConcat, []uint32{1}, [][]int{{1 << 20, 0}, {1 << 20, 0}}},
		// Tiny calls: the fixed costs.
		fuelCase{OpAdd, nil, [][]int{{1}, {1}}}, fuelCase{OpExp, nil, [][]int{{1}}},
		fuelCase{OpMatMul, []uint32{0, 0}, [][]int{{2, 2}, {2, 2}}}, fuelCase{OpSplit, []uint32{0, 1, 1}, [][]int{{2}}},
		fuelCase{OpLayerNormBackward, []uint32{f(1e-5)}, [][]int{{1}, {1}, {1}}},
	)
	return cs
}

func (c fuelCase) name() string {
	var parts []string
	for _, s := range c.shapes {
		if len(s) > 0 && s[0] == -1 {
			s = s[2:]
		}
		parts = append(parts, strings.ReplaceAll(fmt.Sprint(s), " ", "x"))
	}
	if len(parts) > 4 {
		parts = append(parts[:1], fmt.Sprintf("(%d inputs)", len(parts)))
	}
	return fmt.Sprintf("%s%v/%s", c.op, c.attrs, strings.Join(parts, ","))
}

// inputs makes the case's operands in session s.
func (c fuelCase) inputs(tb testing.TB, s *Session) []uint32 {
	rng := rand.New(rand.NewPCG(1, 1))
	var hs []uint32
	for _, shape := range c.shapes {
		var t *kernels.Tensor
		if len(shape) > 0 && shape[0] == -1 {
			below, shape := shape[1], shape[2:]
			v := make([]int32, shapeElems(shape))
			for i := range v {
				v[i] = int32(rng.IntN(below))
			}
			t, _ = kernels.NewInt32(shape, v)
		} else {
			v := make([]float32, shapeElems(shape))
			for i := range v {
				v[i] = float32(rng.NormFloat64()) + 2 // positive mostly: log, sqrt
			}
			t, _ = kernels.New(shape, v)
		}
		hs = append(hs, s.put(0, t, nil))
	}
	return hs
}

// BenchmarkFuel measures, for each operator at large sizes and awkward shapes, the time
// a Session.Op call takes per unit of fuel it is charged (ns/unit). The cost model aims
// at 1 ns/unit or less on the reference machine with one core; run it so:
//
//	go test ./host -run '^$' -bench Fuel -cpu 1
//
// With -v it ends with the worst case of each operator.
func BenchmarkFuel(b *testing.B) {
	last := map[string]float64{} // of each case, from its run with the largest b.N
	for _, c := range fuelCases() {
		b.Run(c.name(), func(b *testing.B) {
			l := DefaultLimits()
			l.MaxTensorBytes, l.MaxTraceEntries, l.MaxTraceBytes = 1<<40, 1<<40, 1<<40
			s := NewSession(l, nil, nil)
			hs := c.inputs(b, s)
			call, err := s.prepareOp(c.op, c.attrs, hs)
			if err != nil {
				b.Fatal(err)
			}
			cost := opCost(c.op, call.attrs, call.inputs, call.nOut, outputBound(c.op, call.attrs, call.inputs))
			if outs, err := s.Op(c.op, c.attrs, hs); err != nil || s.FreeMany(outs) != nil { // warm up
				b.Fatal(err)
			}
			reps := max(1, 1e6/int(cost)) // small calls: enough of them to time
			b.ResetTimer()
			start := time.Now()
			for range b.N * reps {
				outs, err := s.Op(c.op, c.attrs, hs)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.FreeMany(outs); err != nil {
					b.Fatal(err)
				}
				if len(s.trace.Entries) >= 1024 {
					s.BeginStep(0)
				}
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(b.N*reps) / float64(cost)
			b.ReportMetric(ns, "ns/unit")
			b.ReportMetric(float64(cost), "units")
			last[c.name()] = ns
		})
	}
	worst := map[Opcode]float64{}
	for _, c := range fuelCases() {
		worst[c.op] = max(worst[c.op], last[c.name()])
	}
	var lines []string
	for op := Opcode(1); op < opEnd; op++ {
		lines = append(lines, fmt.Sprintf("%-24s %.2f", op, worst[op]))
	}
	b.Logf("worst ns/unit per operator:\n%s", strings.Join(lines, "\n"))
}

// BenchmarkFuelHostFunctions measures the per-byte host functions the same way.
func BenchmarkFuelHostFunctions(b *testing.B) {
	const n = 1 << 20
	mem := newGuestMemory(b, 80) // 5 MiB
	data := make([]byte, 4*n)
	for i := range data {
		data[i] = byte(i * 7)
	}
	mem.Write(0, data)
	putWords(b, mem, 4*n+64, n)
	l := DefaultLimits()
	l.MaxTraceEntries, l.MaxTraceBytes = 1<<40, 1<<40
	s := NewSession(l, []Input{NewInput("in", data)}, nil)
	mem.Write(4*n+128, []byte("in"))
	h, _ := s.NewTensor(kernels.Float32, []int{n}, data)
	cases := []struct {
		name   string
		fn     string
		params []uint64
		cost   uint64
		after  func()
	}{
		{"tensor_new", "tensor_new", []uint64{1, 4*n + 64, 1, 0, 4 * n, 4*n + 96}, callCost + newTensorCost(n),
			func() { _ = s.Free(getWord(b, mem, 4*n+96)) }},
		{"tensor_zeros", "tensor_zeros", []uint64{1, 4*n + 64, 1, 4*n + 96}, callCost + newTensorCost(n),
			func() { _ = s.Free(getWord(b, mem, 4*n+96)) }},
		{"tensor_read", "tensor_read", []uint64{uint64(h), 0, 4 * n}, callCost + moveCost(4*n), nil},
		{"input_read", "input_read", []uint64{4*n + 128, 2, 0, 0, 4 * n}, callCost + hashCost(4*n+2) + moveCost(4*n), nil},
		{"state_set_blob", "state_set_blob", []uint64{0, 64 << 20}, callCost + blobCost(64<<20), nil},
		{"tensor_info", "tensor_info", []uint64{uint64(h), 4*n + 64, 4*n + 68, 8, 4*n + 100}, callCost, nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if c.fn == "state_set_blob" {
				c.params[1] = uint64(mem.Size())
				c.cost = callCost + blobCost(int64(mem.Size()))
			}
			f := hostFuncNamed(b, c.fn)
			stack := make([]uint64, len(c.params)+1)
			reps := max(1, 1e6/int(c.cost))
			start := time.Now()
			for range b.N * reps {
				copy(stack, c.params)
				if f.invoke(s, mem, stack); stack[0] != 0 {
					b.Fatalf("status %d: %s", int32(stack[0]), s.LastError())
				}
				if c.after != nil {
					c.after()
				}
				if len(s.trace.Entries) > 1000 {
					s.BeginStep(0)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*reps)/float64(c.cost), "ns/unit")
		})
	}
}

func shapeElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
