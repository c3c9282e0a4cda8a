package host

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// hostCall is one host function call with its arguments, and words to place in guest
// memory first.
type hostCall struct {
	fn     string
	mem    map[uint32][]uint32
	params []uint64
}

// randomHostCalls makes a seeded sequence of host calls over a few handles and state
// names, many of them failing, with tensors registered under several names (whose error
// texts once depended on map order).
func randomHostCalls(rng *rand.Rand, n int) []hostCall {
	handle := func() uint32 { return uint32(rng.IntN(12)) } // 0 and past the live ones too
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var calls []hostCall
	for len(calls) < n {
		const nameAt, shapeAt, dataAt, hsAt, attrAt, outAt = 0x100, 0x200, 0x300, 0x400, 0x500, 0x600
		switch rng.IntN(10) {
		case 0, 1:
			rank := rng.IntN(3)
			shape := make([]uint32, rank)
			elems := 1
			for i := range shape {
				shape[i] = uint32(rng.IntN(4))
				elems *= int(shape[i])
			}
			calls = append(calls, hostCall{"tensor_new", map[uint32][]uint32{shapeAt: shape},
				[]uint64{uint64(1 + rng.IntN(2)), shapeAt, uint64(rank), dataAt, uint64(4 * (elems + rng.IntN(2))), outAt}})
		case 2, 3:
			i := rng.IntN(len(names))
			calls = append(calls, hostCall{"state_register", nil, []uint64{nameAt + uint64(i), 1, uint64(handle())}})
		case 4:
			calls = append(calls, hostCall{"tensor_free", nil, []uint64{uint64(handle())}})
		case 5:
			hs := []uint32{handle(), handle(), handle()}
			calls = append(calls, hostCall{"tensor_free_many", map[uint32][]uint32{hsAt: hs}, []uint64{hsAt, uint64(len(hs))}})
		case 6:
			ops := []Opcode{OpAdd, OpMatMul, OpExp, OpClipGradNorm, OpConcat, OpSum, OpReshape, OpSoftmax}
			in := []uint32{handle(), handle()}
			attrs := []uint32{uint32(rng.IntN(3)), uint32(rng.IntN(3))}
			calls = append(calls, hostCall{"op", map[uint32][]uint32{hsAt: in, attrAt: attrs},
				[]uint64{uint64(ops[rng.IntN(len(ops))]), hsAt, uint64(1 + rng.IntN(2)), attrAt, uint64(rng.IntN(3)), outAt, uint64(rng.IntN(3)), outAt + 64}})
		case 7:
			calls = append(calls, hostCall{"tensor_info", nil, []uint64{uint64(handle()), outAt, outAt + 4, uint64(rng.IntN(3)), outAt + 64}})
		case 8:
			calls = append(calls, hostCall{"tensor_read", nil, []uint64{uint64(handle()), outAt, uint64(4 * rng.IntN(10))}})
		case 9:
			calls = append(calls, hostCall{"input_read", nil, []uint64{nameAt + uint64(rng.IntN(len(names))), uint64(1 + rng.IntN(2)), uint64(rng.IntN(8)), outAt, uint64(rng.IntN(8))}})
		}
	}
	return calls
}

func runHostCalls(t *testing.T, calls []hostCall, tracing bool) []string {
	s := NewSession(DefaultLimits(), []Input{NewInput("ab", []byte("0123456789"))}, nil)
	s.SetTracing(tracing)
	mem := newGuestMemory(t, 1)
	mem.Write(0x100, []byte("abcdefgh"))
	mem.Write(0x300, f32bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27))
	var out []string
	for _, c := range calls {
		for at, words := range c.mem {
			putWords(t, mem, at, words...)
		}
		st := callHost(t, s, mem, c.fn, c.params...)
		out = append(out, fmt.Sprintf("%s %v: %d %q memory %x", c.fn, c.params, st, s.LastError(), memHash(mem)))
	}
	return out
}

func memHash(mem api.Memory) [32]byte {
	b, _ := mem.Read(0, mem.Size())
	return sha256.Sum256(b)
}

// Everything a guest reads is consensus: the same host calls in two fresh sessions (whose
// maps iterate in different orders), one tracing and one not, give the same statuses,
// error texts and memory after every call.
func TestHostCallsAreDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		calls := randomHostCalls(rand.New(rand.NewPCG(seed, 7)), 300)
		a, b := runHostCalls(t, calls, false), runHostCalls(t, calls, true)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("seed %d, call %d differs between two runs:\n%s\n%s", seed, i, a[i], b[i])
			}
		}
	}
}

// Float attribute words are canonical before a kernel sees them and in the trace: a NaN
// made by one CPU and a NaN made by another give the same trace.
func TestFloatAttributesAreCanonical(t *testing.T) {
	nans := []uint32{0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFFFFFFF, 0x7FA00000}
	var heads [][32]byte
	for _, nan := range nans {
		s := NewSession(DefaultLimits(), nil, nil)
		s.SetTracing(true)
		x := mustNew(t, s, []int{3}, 1, -2, 3)
		g := mustNew(t, s, []int{3}, 1, 1, 1)
		if _, err := s.Op(OpScale, []uint32{nan}, []uint32{x}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Op(OpLayerNorm, []uint32{nan}, []uint32{x, g, g}); err == nil {
			t.Fatal("layer norm accepted a NaN eps")
		}
		y := mustNew(t, s, []int{3}, 0, 0, 0)
		if _, err := s.Op(OpScale, []uint32{nan}, []uint32{y}); err != nil {
			t.Fatal(err)
		}
		e := s.Trace().Entries
		if len(e) != 5 || e[2].Attrs[0] != canonicalNaN || e[4].Attrs[0] != canonicalNaN {
			t.Fatalf("NaN %#x: trace of %d entries, scale's attribute traced as %#x", nan, len(e), e[2].Attrs[0])
		}
		heads = append(heads, s.Trace().Head)
	}
	for i := range heads {
		if heads[i] != heads[0] {
			t.Errorf("NaN %#x gives another trace than NaN %#x", nans[i], nans[0])
		}
	}
	for _, w := range []uint32{0x7F800000, 0xFF800000, 0, 0x80000000, math.Float32bits(1.5)} {
		if canonicalWord(w) != w {
			t.Errorf("%#x is not a NaN but was changed", w)
		}
	}
}
