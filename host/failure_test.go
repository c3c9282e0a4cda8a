package host

import (
	"maps"
	"math"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/lockstep-ml/lockstep/kernels"
)

// sessionState is everything a host call could change that a failed call must not: the
// tensors behind the handles, the handle counter, the trace, the state, the blob, the
// metrics and guest memory.
type sessionState struct {
	Tensors    map[uint32][32]byte
	Next       uint32
	Bytes      int64
	TraceHead  [32]byte
	TraceLen   int
	Entries    int
	TraceBytes int64
	State      map[string]uint32
	StateRefs  map[uint32]int
	Blob       string
	Metrics    map[string]float64
	Output     string
	Memory     string
}

func stateOf(t testing.TB, s *Session, mem api.Memory) sessionState {
	t.Helper()
	st := sessionState{Tensors: map[uint32][32]byte{}, Next: s.next, Bytes: s.bytes,
		TraceHead: s.trace.Head, TraceLen: len(s.trace.Entries), Entries: s.entries, TraceBytes: s.traceBytes,
		State: maps.Clone(s.state), StateRefs: maps.Clone(s.stateRefs), Blob: string(s.blob), Metrics: maps.Clone(s.metrics), Output: string(s.output)}
	for h, sl := range s.tensors {
		st.Tensors[h] = kernels.Hash(sl.t) // recomputed: a kernel writing into a live tensor shows
	}
	if mem != nil {
		b, _ := mem.Read(0, mem.Size())
		st.Memory = string(b)
	}
	return st
}

// Guest memory layout of the failure tests.
const (
	memShape   = 0x100 // [2, 3]
	memData    = 0x200 // 6 floats
	memHandles = 0x300
	memAttrs   = 0x400
	memOut     = 0x500
	memName    = 0x600 // "w"
	memInput   = 0x610 // "data"
	memBad     = 0x620 // "\xff"
	memBig     = 0x1000
	memEnd     = 1 << 16 // one page
	outside    = 0xFFFFFFF0
)

// failureSetup is a session with tensors, state, a blob, a trace and an error message,
// and guest memory holding the operands the cases name. Handles: 1 a [2,3], 2 b [3,2],
// 3 g [4], 4 ids int32 [2]; state names "w" and "x" (a), "v" (g), "y" (b).
func failureSetup(t *testing.T, limits func(*Limits)) (*Session, api.Memory) {
	l := Limits{MaxTensorBytes: 4096, MaxHandles: 16, MaxTraceEntries: 64, MaxTraceBytes: 1 << 16, MaxBlobBytes: 64, MaxNameBytes: 16}
	if limits != nil {
		limits(&l)
	}
	s := NewSession(l, []Input{NewInput("data", []byte("0123456789"))}, nil)
	s.SetTracing(true)
	mem := newGuestMemory(t, 1)
	for i := uint32(0); i < memEnd; i += 4 {
		putWords(t, mem, i, 0xA5A5A5A5^i)
	}
	mk := func(dtype kernels.DType, shape []int, v ...float32) {
		data := f32bytes(v...)
		if dtype == kernels.Int32 {
			for i, x := range v {
				putLE(data[4*i:], uint32(int32(x)))
			}
		}
		if _, err := s.NewTensor(dtype, shape, data); err != nil {
			t.Fatal(err)
		}
	}
	mk(kernels.Float32, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	mk(kernels.Float32, []int{3, 2}, 1, 2, 3, 4, 5, 6)
	mk(kernels.Float32, []int{4}, 3, 4, 0, 0)
	mk(kernels.Int32, []int{2}, 0, 1)
	for name, h := range map[string]uint32{"w": 1, "v": 3, "x": 1, "y": 2} {
		if err := s.Register(name, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetBlob([]byte("blob")); err != nil {
		t.Fatal(err)
	}
	putWords(t, mem, memShape, 2, 3)
	mem.Write(memData, f32bytes(1, 2, 3, 4, 5, 6))
	mem.Write(memName, []byte("w"))
	mem.Write(memInput, []byte("data"))
	mem.Write(memBad, []byte{0xff})
	s.fail("setup", ErrBadHandle) // a last error for last_error to copy
	return s, mem
}

func putLE(b []byte, w uint32) {
	b[0], b[1], b[2], b[3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
}

type failureCase struct {
	name   string
	fn     string
	limits func(*Limits)
	mem    map[uint32][]uint32 // words to place before the call
	params []uint64
	status int32
}

// Every host function, on every way it can fail, changes nothing: not the tensors, the
// handles, the trace, the state, the blob, the metrics or guest memory (ABI.md,
// "Conventions").
func TestFailedCallsChangeNothing(t *testing.T) {
	f32 := func(v float32) uint32 { return math.Float32bits(v) }
	full := func(l *Limits) { l.MaxHandles = 4 }
	cases := []failureCase{
		{"buffer outside memory", "last_error", nil, nil, []uint64{outside, 100, memOut}, StatusBadArgument},
		{"length outside memory", "last_error", nil, nil, []uint64{memOut, 100, outside}, StatusBadArgument},
		{"length straddles the end", "last_error", nil, nil, []uint64{memOut, 100, memEnd - 2}, StatusBadArgument},

		{"bad dtype", "tensor_new", nil, nil, []uint64{3, memShape, 2, memData, 24, memOut}, StatusBadArgument},
		{"shape outside memory", "tensor_new", nil, nil, []uint64{1, outside, 2, memData, 24, memOut}, StatusBadArgument},
		{"negative dimension", "tensor_new", nil, map[uint32][]uint32{memAttrs: {2, 0xFFFFFFFD}}, []uint64{1, memAttrs, 2, memData, 24, memOut}, StatusBadArgument},
		{"rank 9", "tensor_new", nil, nil, []uint64{1, memShape, 9, memData, 24, memOut}, StatusBadArgument},
		{"data length", "tensor_new", nil, nil, []uint64{1, memShape, 2, memData, 20, memOut}, StatusBadArgument},
		{"data outside memory", "tensor_new", nil, nil, []uint64{1, memShape, 2, outside, 24, memOut}, StatusBadArgument},
		{"handle_out outside memory", "tensor_new", nil, nil, []uint64{1, memShape, 2, memData, 24, outside}, StatusBadArgument},
		{"tensor bytes", "tensor_new", nil, map[uint32][]uint32{memAttrs: {1010}}, []uint64{1, memAttrs, 1, memBig, 4040, memOut}, StatusQuota},
		{"handles", "tensor_new", full, nil, []uint64{1, memShape, 2, memData, 24, memOut}, StatusQuota},
		{"trace entries", "tensor_new", func(l *Limits) { l.MaxTraceEntries = 4 }, nil, []uint64{1, memShape, 2, memData, 24, memOut}, StatusQuota},
		{"trace bytes", "tensor_new", func(l *Limits) { l.MaxTraceBytes = 4 * entrySize(0, 0, 1) }, nil, []uint64{1, memShape, 2, memData, 24, memOut}, StatusQuota},

		{"bad dtype", "tensor_zeros", nil, nil, []uint64{0, memShape, 2, memOut}, StatusBadArgument},
		{"handle_out outside memory", "tensor_zeros", nil, nil, []uint64{1, memShape, 2, outside}, StatusBadArgument},
		{"tensor bytes", "tensor_zeros", nil, map[uint32][]uint32{memAttrs: {1010}}, []uint64{2, memAttrs, 1, memOut}, StatusQuota},
		{"shape past the quota", "tensor_zeros", nil, map[uint32][]uint32{memAttrs: {1 << 30, 1 << 30}}, []uint64{1, memAttrs, 2, memOut}, StatusQuota},
		{"handles", "tensor_zeros", full, nil, []uint64{1, memShape, 2, memOut}, StatusQuota},

		{"bad handle", "tensor_read", nil, nil, []uint64{99, memOut, 24}, StatusBadHandle},
		{"length", "tensor_read", nil, nil, []uint64{1, memOut, 20}, StatusBadArgument},
		{"buffer outside memory", "tensor_read", nil, nil, []uint64{1, memEnd - 8, 24}, StatusBadArgument},

		{"bad handle", "tensor_info", nil, nil, []uint64{99, memOut, memOut + 4, 8, memOut + 64}, StatusBadHandle},
		{"small shape buffer", "tensor_info", nil, nil, []uint64{1, memOut, memOut + 4, 1, memOut + 64}, StatusBadArgument},
		{"dtype_out outside memory", "tensor_info", nil, nil, []uint64{1, outside, memOut + 4, 8, memOut + 64}, StatusBadArgument},
		{"shape_out outside memory", "tensor_info", nil, nil, []uint64{1, memOut, memEnd - 4, 8, memOut + 64}, StatusBadArgument},
		{"rank_out outside memory", "tensor_info", nil, nil, []uint64{1, memOut, memOut + 4, 8, outside}, StatusBadArgument},

		{"bad handle", "tensor_free", nil, nil, []uint64{99}, StatusBadHandle},
		{"registered", "tensor_free", nil, nil, []uint64{1}, StatusState},

		{"twice", "tensor_free_many", nil, map[uint32][]uint32{memHandles: {4, 4}}, []uint64{memHandles, 2}, StatusBadArgument},
		{"bad handle", "tensor_free_many", nil, map[uint32][]uint32{memHandles: {4, 99}}, []uint64{memHandles, 2}, StatusBadHandle},
		{"registered", "tensor_free_many", nil, map[uint32][]uint32{memHandles: {2, 3}}, []uint64{memHandles, 2}, StatusState},
		{"array outside memory", "tensor_free_many", nil, nil, []uint64{outside, 2}, StatusBadArgument},
		{"too many", "tensor_free_many", nil, nil, []uint64{memHandles, 17}, StatusBadArgument},

		{"unknown opcode", "op", nil, map[uint32][]uint32{memHandles: {1}}, []uint64{999, memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusBadArgument},
		{"bad handle", "op", nil, map[uint32][]uint32{memHandles: {1, 99}}, []uint64{uint64(OpMatMul), memHandles, 2, memAttrs, 2, memOut, 4, memOut + 64}, StatusBadHandle},
		{"arity", "op", nil, map[uint32][]uint32{memHandles: {1}}, []uint64{uint64(OpAdd), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusBadArgument},
		{"missing attribute", "op", nil, map[uint32][]uint32{memHandles: {1}}, []uint64{uint64(OpScale), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusBadArgument},
		{"kernel refuses", "op", nil, map[uint32][]uint32{memHandles: {1, 1}, memAttrs: {0, 0}}, []uint64{uint64(OpMatMul), memHandles, 2, memAttrs, 2, memOut, 4, memOut + 64}, StatusOperator},
		{"in-place: no room for the norm", "op", nil, map[uint32][]uint32{memHandles: {3}, memAttrs: {f32(1)}}, []uint64{uint64(OpClipGradNorm), memHandles, 1, memAttrs, 1, memOut, 0, memOut + 64}, StatusBadArgument},
		{"split: no room for the pieces", "op", nil, map[uint32][]uint32{memHandles: {1}, memAttrs: {1, 1, 1, 1}}, []uint64{uint64(OpSplit), memHandles, 1, memAttrs, 4, memOut, 2, memOut + 64}, StatusBadArgument},
		{"outputs outside memory", "op", nil, map[uint32][]uint32{memHandles: {3}, memAttrs: {f32(1)}}, []uint64{uint64(OpClipGradNorm), memHandles, 1, memAttrs, 1, memEnd - 4, 4, memOut + 64}, StatusBadArgument},
		{"n_out outside memory", "op", nil, map[uint32][]uint32{memHandles: {3}, memAttrs: {f32(1)}}, []uint64{uint64(OpClipGradNorm), memHandles, 1, memAttrs, 1, memOut, 4, outside}, StatusBadArgument},
		{"output capacity", "op", nil, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpExp), memHandles, 1, memAttrs, 0, memOut, maxOpOperands + 1, memOut + 64}, StatusBadArgument},
		{"inputs outside memory", "op", nil, nil, []uint64{uint64(OpExp), outside, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusBadArgument},
		{"attributes outside memory", "op", nil, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpScale), memHandles, 1, outside, 1, memOut, 4, memOut + 64}, StatusBadArgument},
		{"too many attributes", "op", nil, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpScale), memHandles, 1, memAttrs, maxAttrWords + 1, memOut, 4, memOut + 64}, StatusBadArgument},
		{"in-place: a handle twice", "op", nil, map[uint32][]uint32{memHandles: {3, 3}, memAttrs: {f32(1)}}, []uint64{uint64(OpClipGradNorm), memHandles, 2, memAttrs, 1, memOut, 4, memOut + 64}, StatusBadArgument},
		{"sgd: p and v the same", "op", nil, map[uint32][]uint32{memHandles: {3, 3, 3}, memAttrs: {f32(0.1), 0, 0}}, []uint64{uint64(OpSGD), memHandles, 3, memAttrs, 3, memOut, 4, memOut + 64}, StatusBadArgument},
		{"in-place copies past the quota", "op", func(l *Limits) { l.MaxTensorBytes = 76 }, map[uint32][]uint32{memHandles: {3}, memAttrs: {f32(1)}}, []uint64{uint64(OpClipGradNorm), memHandles, 1, memAttrs, 1, memOut, 4, memOut + 64}, StatusQuota},
		{"output past the quota", "op", nil, map[uint32][]uint32{memHandles: {1}, memAttrs: {0, 1000, 1000}}, []uint64{uint64(OpSumBackward), memHandles, 1, memAttrs, 3, memOut, 4, memOut + 64}, StatusQuota},
		{"handles", "op", full, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpExp), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusQuota},
		{"trace entries", "op", func(l *Limits) { l.MaxTraceEntries = 4 }, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpExp), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusQuota},
		{"trace bytes", "op", func(l *Limits) { l.MaxTraceBytes = 4*entrySize(0, 0, 1) + entrySize(0, 1, 1) - 1 }, map[uint32][]uint32{memHandles: {3}}, []uint64{uint64(OpExp), memHandles, 1, memAttrs, 0, memOut, 4, memOut + 64}, StatusQuota},
		{"kernel refuses an in-place call", "op", nil, map[uint32][]uint32{memHandles: {3, 1, 2}, memAttrs: {f32(0.1), 0, 0}}, []uint64{uint64(OpSGD), memHandles, 3, memAttrs, 3, memOut, 4, memOut + 64}, StatusOperator},

		{"name outside memory", "state_register", nil, nil, []uint64{outside, 1, 2}, StatusBadArgument},
		{"empty name", "state_register", nil, nil, []uint64{memName, 0, 2}, StatusBadArgument},
		{"long name", "state_register", nil, nil, []uint64{memName, 17, 2}, StatusBadArgument},
		{"invalid UTF-8", "state_register", nil, nil, []uint64{memBad, 1, 2}, StatusBadArgument},
		{"bad handle", "state_register", nil, nil, []uint64{memName, 1, 99}, StatusBadHandle},
		{"name taken by another tensor", "state_register", nil, nil, []uint64{memName, 1, 2}, StatusState},
		{"names", "state_register", func(l *Limits) { l.MaxHandles = 4 }, nil, []uint64{memInput, 4, 2}, StatusQuota},

		{"too big", "state_set_blob", nil, nil, []uint64{memData, 65}, StatusQuota},
		{"outside memory", "state_set_blob", nil, nil, []uint64{outside, 4}, StatusBadArgument},

		{"buffer outside memory", "state_get_blob", nil, nil, []uint64{outside, 4, memOut}, StatusBadArgument},
		{"length outside memory", "state_get_blob", nil, nil, []uint64{memOut, 4, outside}, StatusBadArgument},

		{"not found", "input_size", nil, nil, []uint64{memName, 1, memOut}, StatusNotFound},
		{"name outside memory", "input_size", nil, nil, []uint64{outside, 4, memOut}, StatusBadArgument},
		{"size_out outside memory", "input_size", nil, nil, []uint64{memInput, 4, memEnd - 4}, StatusBadArgument},

		{"not found", "input_read", nil, nil, []uint64{memName, 1, 0, memOut, 4}, StatusNotFound},
		{"range", "input_read", nil, nil, []uint64{memInput, 4, 8, memOut, 4}, StatusBadArgument},
		{"negative offset", "input_read", nil, nil, []uint64{memInput, 4, math.MaxUint64, memOut, 4}, StatusBadArgument},
		{"buffer outside memory", "input_read", nil, nil, []uint64{memInput, 4, 0, memEnd - 2, 4}, StatusBadArgument},
		{"trace entries", "input_read", func(l *Limits) { l.MaxTraceEntries = 4 }, nil, []uint64{memInput, 4, 0, memOut, 4}, StatusQuota},

		{"bad name", "metric", nil, nil, []uint64{memBad, 1, 0}, StatusBadArgument},
		{"name outside memory", "metric", nil, nil, []uint64{outside, 1, 0}, StatusBadArgument},

		{"too big", "output", nil, nil, []uint64{memData, MaxOutputBytes + 1}, StatusQuota},
		{"outside memory", "output", nil, nil, []uint64{outside, 4}, StatusBadArgument},

		{"outside memory", "log", nil, nil, []uint64{outside, 4}, StatusBadArgument},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.fn] = true
		t.Run(c.fn+"/"+c.name, func(t *testing.T) {
			s, mem := failureSetup(t, c.limits)
			for at, words := range c.mem {
				putWords(t, mem, at, words...)
			}
			before := stateOf(t, s, mem)
			st := callHost(t, s, mem, c.fn, c.params...)
			if st != c.status {
				t.Errorf("status %d, want %d (%s)", st, c.status, s.LastError())
			}
			if after := stateOf(t, s, mem); !reflect.DeepEqual(before, after) {
				t.Errorf("the failed call changed the session or guest memory (%s):\n%s", s.LastError(), stateDiff(before, after))
			}
		})
	}
	for _, f := range hostFuncs {
		if !covered[f.name] {
			t.Errorf("no failure case for %s", f.name)
		}
	}
}

func stateDiff(a, b sessionState) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	out := ""
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out += "  " + va.Type().Field(i).Name + " differs\n"
		}
	}
	return out
}
