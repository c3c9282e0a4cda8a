package host

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/lockstep-ml/lockstep/kernels"
)

// budget is a Fuel of a fixed number of units, as the runtime's meter is.
type budget struct{ left, paid uint64 }

func (b *budget) Charge(units uint64) bool {
	if units > b.left {
		b.left = 0
		return false
	}
	b.left -= units
	b.paid += units
	return true
}

var _ Fuel = (*budget)(nil)

func costOf(t *testing.T, op Opcode, attrs []uint32, shapes ...[]int) uint64 {
	t.Helper()
	in := make([]*kernels.Tensor, len(shapes))
	for i, s := range shapes {
		in[i], _ = kernels.Zeros(s...)
	}
	return opCost(op, attrs, in, outputCount(op, attrs, len(in)), outputBound(op, attrs, in))
}

// Costs grow with work: twice the multiply-adds or elements cost about twice the fuel.
func TestOpCostGrowsWithWork(t *testing.T) {
	cases := []struct {
		name        string
		single, dbl uint64
	}{
		// (Doubling k, or one operand of a backward, leaves some outputs as they were.)
		{"matmul n", costOf(t, OpMatMul, []uint32{0, 0}, []int{512, 512}, []int{512, 512}), costOf(t, OpMatMul, []uint32{0, 0}, []int{512, 512}, []int{512, 1024})},
		{"matmul k", costOf(t, OpMatMul, []uint32{0, 0}, []int{512, 512}, []int{512, 512}), costOf(t, OpMatMul, []uint32{0, 0}, []int{512, 1024}, []int{1024, 512})},
		{"matmul batch", costOf(t, OpMatMul, []uint32{0, 0}, []int{8, 64, 64}, []int{8, 64, 64}), costOf(t, OpMatMul, []uint32{0, 0}, []int{16, 64, 64}, []int{16, 64, 64})},
		{"small matmuls", costOf(t, OpMatMul, []uint32{0, 0}, []int{1024, 4, 4}, []int{1024, 4, 4}), costOf(t, OpMatMul, []uint32{0, 0}, []int{2048, 4, 4}, []int{2048, 4, 4})},
		{"matmul backward", costOf(t, OpMatMulBackward, []uint32{0, 0}, []int{256, 256}, []int{256, 256}, []int{256, 256}), costOf(t, OpMatMulBackward, []uint32{0, 0}, []int{512, 256}, []int{256, 256}, []int{512, 256})},
		{"add", costOf(t, OpAdd, nil, []int{1 << 16}, []int{1 << 16}), costOf(t, OpAdd, nil, []int{1 << 17}, []int{1 << 17})},
		{"exp", costOf(t, OpExp, nil, []int{1 << 16}), costOf(t, OpExp, nil, []int{1 << 17})},
		{"softmax rows", costOf(t, OpSoftmax, nil, []int{1 << 10, 64}), costOf(t, OpSoftmax, nil, []int{1 << 11, 64})},
		{"sum", costOf(t, OpSum, []uint32{1}, []int{1 << 10, 64}), costOf(t, OpSum, []uint32{1}, []int{1 << 11, 64})},
		{"uniform", costOf(t, OpUniform, []uint32{0, 0, 0, 0, 0, 0, 1 << 16}), costOf(t, OpUniform, []uint32{0, 0, 0, 0, 0, 0, 1 << 17})},
	}
	for _, c := range cases {
		lo := 1.8
		if c.name == "matmul k" || c.name == "matmul backward" {
			lo = 1.6
		}
		if r := float64(c.dbl) / float64(c.single); r < lo || r > 2.2 {
			t.Errorf("%s: doubling the work multiplies the cost by %.2f (%d, %d)", c.name, r, c.single, c.dbl)
		}
	}
	if relu, exp := costOf(t, OpRelu, nil, []int{1 << 16}), costOf(t, OpExp, nil, []int{1 << 16}); exp <= relu {
		t.Errorf("exp costs %d, no more than relu's %d", exp, relu)
	}
	if short, long := costOf(t, OpAdd, nil, []int{1 << 16, 1}, []int{1, 1}), costOf(t, OpAdd, nil, []int{1, 1 << 16}, []int{1, 1}); short <= long {
		t.Errorf("an add of short rows costs %d, no more than one long row's %d", short, long)
	}
}

// A session that cannot pay for an operator refuses it before the kernel runs, and the
// refused call changes nothing; through a host function, it traps.
func TestFuelRefusesUnpaidWork(t *testing.T) {
	s, mem := failureSetup(t, func(l *Limits) { l.MaxTensorBytes = 64 << 20 })
	a, err := s.Zeros(kernels.Float32, []int{1024, 1024})
	if err != nil {
		t.Fatal(err)
	}
	need := costOf(t, OpMatMul, []uint32{0, 0}, []int{1024, 1024}, []int{1024, 1024})
	f := &budget{left: need - 1}
	s.SetFuel(f)
	before := stateOf(t, s, mem)
	ops := s.Stats().Ops
	if _, err := s.Op(OpMatMul, []uint32{0, 0}, []uint32{a, a}); !errors.Is(err, ErrFuelExhausted) {
		t.Fatalf("a matmul of %d units on %d: %v", need, need-1, err)
	}
	if f.left != 0 || s.Stats().Ops != ops || !reflect.DeepEqual(before, stateOf(t, s, mem)) {
		t.Fatalf("the unpaid matmul left %d units, ran %d kernels, or changed the session", f.left, s.Stats().Ops-ops)
	}

	f.left = callCost + need - 1
	putWords(t, mem, memHandles, a, a)
	putWords(t, mem, memAttrs, 0, 0)
	before = stateOf(t, s, mem)
	if p := trapped(t, s, mem, "op", uint64(OpMatMul), memHandles, 2, memAttrs, 2, memOut, 4, memOut+64); p == nil {
		t.Fatal("an unpaid op did not trap")
	} else if _, ok := p.(fuelExhausted); !ok {
		t.Fatalf("an unpaid op panicked with %v", p)
	}
	if f.left != 0 || !reflect.DeepEqual(before, stateOf(t, s, mem)) {
		t.Fatalf("the trapped op left %d units, or changed the session:\n%s", f.left, stateDiff(before, stateOf(t, s, mem)))
	}

	f.left = callCost + need
	if st := callHost(t, s, mem, "op", uint64(OpMatMul), memHandles, 2, memAttrs, 2, memOut, 4, memOut+64); st != 0 || f.left != 0 {
		t.Fatalf("a paid op: status %d, %d units left over", st, f.left)
	}
}

// trapped calls a host function and returns what it panicked with (nil: it returned).
func trapped(t *testing.T, s *Session, mem api.Memory, fn string, params ...uint64) (p any) {
	t.Helper()
	defer func() { p = recover() }()
	callHost(t, s, mem, fn, params...)
	return nil
}

// Every host function pays its base cost and the bytes it moves, before it does
// anything: with a budget one unit short it traps and changes nothing.
func TestEveryHostFunctionPays(t *testing.T) {
	calls := map[string]struct {
		mem    map[uint32][]uint32
		params []uint64
	}{
		"last_error":       {nil, []uint64{memOut, 100, memOut + 200}},
		"tensor_new":       {nil, []uint64{1, memShape, 2, memData, 24, memOut}},
		"tensor_zeros":     {nil, []uint64{1, memShape, 2, memOut}},
		"tensor_read":      {nil, []uint64{1, memOut, 24}},
		"tensor_info":      {nil, []uint64{1, memOut, memOut + 4, 8, memOut + 64}},
		"tensor_free":      {nil, []uint64{4}},
		"tensor_free_many": {map[uint32][]uint32{memHandles: {4}}, []uint64{memHandles, 1}},
		"op":               {map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpExp), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}},
		"state_register":   {nil, []uint64{memInput, 4, 2}}, // a new name
		"state_set_blob":   {nil, []uint64{memData, 4}},
		"state_get_blob":   {nil, []uint64{memOut, 64, memOut + 100}},
		"input_size":       {nil, []uint64{memInput, 4, memOut}},
		"input_read":       {nil, []uint64{memInput, 4, 0, memOut, 4}},
		"metric":           {nil, []uint64{memName, 1, 0}},
		"output":           {nil, []uint64{memData, 24}},
		"log":              {nil, []uint64{memName, 1}},
	}
	for _, f := range hostFuncs {
		c, ok := calls[f.name]
		if !ok {
			t.Errorf("no call of %s", f.name)
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			// What the call costs: run it once with plenty.
			s, mem := failureSetup(t, nil)
			for at, words := range c.mem {
				putWords(t, mem, at, words...)
			}
			plenty := &budget{left: 1 << 40}
			s.SetFuel(plenty)
			if st := callHost(t, s, mem, f.name, c.params...); st != 0 {
				t.Fatalf("status %d: %s", st, s.LastError())
			}
			if plenty.paid < callCost {
				t.Fatalf("paid %d units, less than the base cost %d", plenty.paid, callCost)
			}
			// One unit short: it traps and changes nothing.
			s, mem = failureSetup(t, nil)
			for at, words := range c.mem {
				putWords(t, mem, at, words...)
			}
			s.SetFuel(&budget{left: plenty.paid - 1})
			before := stateOf(t, s, mem)
			if p := trapped(t, s, mem, f.name, c.params...); p == nil {
				t.Fatalf("with %d of %d units it did not trap", plenty.paid-1, plenty.paid)
			}
			if !reflect.DeepEqual(before, stateOf(t, s, mem)) {
				t.Fatalf("the trapped call changed the session or guest memory:\n%s", stateDiff(before, stateOf(t, s, mem)))
			}
		})
	}
}
