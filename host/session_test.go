package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/kernels"
)

func f32bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func mustNew(t *testing.T, s *Session, shape []int, v ...float32) uint32 {
	t.Helper()
	h, err := s.NewTensor(kernels.Float32, shape, f32bytes(v...))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestQuotas(t *testing.T) {
	l := Limits{MaxTensorBytes: 64, MaxHandles: 3, MaxTraceEntries: 5, MaxTraceBytes: 1 << 20, MaxBlobBytes: 8, MaxNameBytes: 4}
	s := NewSession(l, nil, nil)
	a := mustNew(t, s, []int{4}, 1, 2, 3, 4) // 16 bytes
	b := mustNew(t, s, []int{4}, 1, 2, 3, 4)
	if _, err := s.NewTensor(kernels.Float32, []int{16}, make([]byte, 64)); !errors.Is(err, ErrQuota) {
		t.Errorf("64 more bytes with 32 live under a 64-byte quota: %v", err)
	}
	c := mustNew(t, s, []int{1}, 1)
	if _, err := s.Op(OpAdd, nil, []uint32{a, b}); !errors.Is(err, ErrQuota) {
		t.Errorf("a fourth handle under a quota of 3: %v", err)
	}
	if err := s.Free(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Op(OpAdd, nil, []uint32{a, b}); err != nil { // fits again
		t.Fatal(err)
	}
	if _, err := s.Op(OpAdd, nil, []uint32{a, b}); !errors.Is(err, ErrQuota) { // 6th trace entry
		t.Errorf("a sixth trace entry under a quota of 5: %v", err)
	}
	s.BeginStep(1) // the trace quota is per step
	if err := s.SetBlob(make([]byte, 9)); !errors.Is(err, ErrQuota) {
		t.Errorf("9-byte blob under 8: %v", err)
	}
	if err := s.Register("toolong", a); !errors.Is(err, ErrBadArgument) {
		t.Errorf("name over the limit: %v", err)
	}
	if err := s.Register("\xff", a); !errors.Is(err, ErrBadArgument) {
		t.Errorf("invalid UTF-8 name: %v", err)
	}
}

func TestHandlesAreNeverReused(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	a := mustNew(t, s, []int{1}, 1)
	if err := s.Free(a); err != nil {
		t.Fatal(err)
	}
	b := mustNew(t, s, []int{1}, 2)
	if a == b {
		t.Fatal("a freed handle was given out again")
	}
	if err := s.Free(a); !errors.Is(err, ErrBadHandle) {
		t.Fatalf("double free: %v", err)
	}
	if _, err := s.Op(OpExp, nil, []uint32{a}); !errors.Is(err, ErrBadHandle) {
		t.Fatalf("use after free: %v", err)
	}
	if err := s.Register("b", b); err != nil {
		t.Fatal(err)
	}
	if err := s.Free(b); !errors.Is(err, ErrState) {
		t.Fatalf("freeing registered state: %v", err)
	}
}

// Apply is pure: in-place operators work on copies, and the same call gives the same bits.
func TestApplyIsPure(t *testing.T) {
	p, _ := kernels.New([]int{3}, []float32{1, 2, 3})
	g, _ := kernels.New([]int{3}, []float32{0.5, 0.5, 0.5})
	v, _ := kernels.Zeros(3)
	before := []*kernels.Tensor{p.Clone(), g.Clone(), v.Clone()}
	attrs := []uint32{math.Float32bits(0.1), math.Float32bits(0.9), 0}
	out1, err := Apply(OpSGD, attrs, []*kernels.Tensor{p, g, v})
	if err != nil {
		t.Fatal(err)
	}
	out2, _ := Apply(OpSGD, attrs, []*kernels.Tensor{p, g, v})
	for i, x := range []*kernels.Tensor{p, g, v} {
		if !kernels.Equal(x, before[i]) {
			t.Fatalf("Apply changed input %d", i)
		}
	}
	if !kernels.Equal(out1[0], out2[0]) || kernels.Equal(out1[0], p) {
		t.Fatal("SGD output not reproducible, or not updated")
	}
	// The optional fourth word: 0 is the plain call, 1 Nesterov momentum (another update).
	plain, err := Apply(OpSGD, append(attrs, 0), []*kernels.Tensor{p, g, v})
	if err != nil || !kernels.Equal(plain[0], out1[0]) {
		t.Fatalf("sgd with nesterov word 0 differs from the three-word call: %v", err)
	}
	nest, err := Apply(OpSGD, append(attrs, 1), []*kernels.Tensor{p, g, v})
	if err != nil || kernels.Equal(nest[0], out1[0]) || !kernels.Equal(nest[1], out1[1]) {
		t.Fatalf("sgd with nesterov word 1: the same p as without, or another velocity: %v", err)
	}
	for _, bad := range []struct {
		op    Opcode
		attrs []uint32
		in    []*kernels.Tensor
	}{
		{Opcode(9999), nil, nil},
		{OpAdd, nil, []*kernels.Tensor{p}},
		{OpScale, nil, []*kernels.Tensor{p}},                // missing attribute
		{OpMatMul, []uint32{0, 0}, []*kernels.Tensor{p, g}}, // rank 1
		{OpAdd, nil, []*kernels.Tensor{p, nil}},
		{OpSGD, append(attrs, 2), []*kernels.Tensor{p, g, v}}, // the nesterov word is 0 or 1
	} {
		if _, err := Apply(bad.op, bad.attrs, bad.in); err == nil {
			t.Errorf("Apply(%s, %v) succeeded", bad.op, bad.attrs)
		}
	}
}

// In-place operators rebind the same handles, and the trace chain covers every call.
func TestInPlaceRebindAndTrace(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	s.SetTracing(true)
	p := mustNew(t, s, []int{2}, 1, 2) // state is registered in init (step 0)
	if err := s.Register("p", p); err != nil {
		t.Fatal(err)
	}
	s.BeginStep(3)
	g := mustNew(t, s, []int{2}, 1, 1)
	v := mustNew(t, s, []int{2}, 0, 0)
	before := s.Checkpoint()
	outs, err := s.Op(OpSGD, []uint32{math.Float32bits(0.5), 0, 0}, []uint32{p, g, v})
	if err != nil || len(outs) != 0 {
		t.Fatalf("sgd: %v %v", outs, err)
	}
	pt, _ := s.Tensor(p)
	if got := pt.Float32s(); got[0] != 0.5 || got[1] != 1.5 {
		t.Fatalf("p after sgd = %v", got)
	}
	after := s.Checkpoint()
	if before.Root == after.Root || !before.Verify() || !after.Verify() {
		t.Fatal("the checkpoint did not follow the update, or does not verify")
	}
	tr, err := s.StepTrace(after)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Entries) != 4 || tr.Entries[2].Op != OpSGD || tr.Entries[3].Op != OpStateRoot {
		t.Fatalf("trace has %d entries", len(tr.Entries))
	}
	if root, err := RootFromBinding(3, tr.Entries[3]); err != nil || root != after.Root {
		t.Fatalf("the binding entry gives root %x (%v), the checkpoint %x", root, err, after.Root)
	}
	h := TraceStart(3)
	for i, e := range tr.Entries {
		if e.Seq != uint64(i) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		h = ChainNext(h, e)
		if h != tr.Heads[i] {
			t.Fatalf("head %d does not chain", i)
		}
	}
	if h != tr.Head {
		t.Fatal("final head differs")
	}
}

// The checkpoint root commits to every part: the step, each tensor, each name and the blob.
func TestCheckpointRootCommits(t *testing.T) {
	leaves := []StateLeaf{{"a", [32]byte{1}}, {"b", [32]byte{2}}, {"c", [32]byte{3}}}
	base := CheckpointRoot(5, leaves, []byte("blob"))
	if base != CheckpointRoot(5, []StateLeaf{leaves[2], leaves[0], leaves[1]}, []byte("blob")) {
		t.Fatal("the root depends on registration order")
	}
	variants := map[string][32]byte{
		"step":   CheckpointRoot(6, leaves, []byte("blob")),
		"tensor": CheckpointRoot(5, []StateLeaf{{"a", [32]byte{1}}, {"b", [32]byte{7}}, {"c", [32]byte{3}}}, []byte("blob")),
		"name":   CheckpointRoot(5, []StateLeaf{{"a", [32]byte{1}}, {"x", [32]byte{2}}, {"c", [32]byte{3}}}, []byte("blob")),
		"blob":   CheckpointRoot(5, leaves, []byte("blob2")),
		"fewer":  CheckpointRoot(5, leaves[:2], []byte("blob")),
	}
	for name, r := range variants {
		if r == base {
			t.Errorf("changing the %s does not change the root", name)
		}
	}
}

func TestInputsAreTraced(t *testing.T) {
	s := NewSession(DefaultLimits(), []Input{NewInput("data", []byte("0123456789"))}, nil)
	s.SetTracing(true)
	b, err := s.InputRead("data", 2, 3)
	if err != nil || string(b) != "234" {
		t.Fatalf("%q %v", b, err)
	}
	for _, bad := range [][2]int64{{-1, 1}, {8, 3}, {11, 0}} {
		if _, err := s.InputRead("data", bad[0], int(bad[1])); !errors.Is(err, ErrBadArgument) {
			t.Errorf("range %v: %v", bad, err)
		}
	}
	if _, err := s.InputRead("other", 0, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown input: %v", err)
	}
	if e := s.Trace().Entries; len(e) != 1 || e[0].Op != OpInputRead || e[0].Inputs[0] != NewInput("", []byte("0123456789")).Hash {
		t.Fatalf("trace %+v", e)
	}
}

// Operators whose outputs can dwarf their inputs (outer products, broadcasts, embeddings,
// shapes from attributes) are refused before the kernel allocates, when they cannot fit.
func TestOutputsBoundedBeforeAllocation(t *testing.T) {
	l := DefaultLimits()
	l.MaxTensorBytes = 16 << 20
	s := NewSession(l, nil, nil)
	col := mustNew(t, s, []int{3000, 1}, make([]float32, 3000)...)
	row := mustNew(t, s, []int{1, 3000}, make([]float32, 3000)...)
	ids, err := s.NewTensor(kernels.Int32, []int{4000}, make([]byte, 16000))
	if err != nil {
		t.Fatal(err)
	}
	zeros := func(shape ...int) uint32 {
		h, err := s.Zeros(kernels.Float32, shape)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	empty1, empty2, empty3 := zeros(64, 256, 0), zeros(64, 0, 256), zeros(0, 3000, 3000)
	g1, g2 := zeros(1250, 1000), zeros(1250, 1000) // 10 MB live of 16: no room for copies
	repeat := func(h uint32, n int) []uint32 {
		hs := make([]uint32, n)
		for i := range hs {
			hs[i] = h
		}
		return hs
	}
	big := uint32(1 << 20)
	rng := []uint32{0, 0, 0, 0, 0, 0}
	cases := []struct {
		name  string
		op    Opcode
		attrs []uint32
		in    []uint32
	}{
		{"matmul outer product", OpMatMul, []uint32{0, 0}, []uint32{col, row}},
		{"broadcast outer sum", OpAdd, nil, []uint32{col, row}},
		{"embedding", OpEmbedding, nil, []uint32{row, ids}}, // table [1, 3000], 4000 lookups
		{"uniform", OpUniform, append(rng, big, 64), nil},
		{"normal", OpNormal, append(append(rng, 0, 0), big, 64), nil},
		{"sum backward", OpSumBackward, []uint32{1, 3000, big}, []uint32{col}},
		{"slice backward", OpSliceBackward, []uint32{1, 0, 3000, big}, []uint32{col}},
		// The batch of a matmul is its batch axes' product, also when k = 0.
		{"batched matmul with k = 0", OpMatMul, []uint32{0, 0}, []uint32{empty1, empty2}},
		{"concat of one tensor many times", OpConcat, []uint32{0}, repeat(row, 1500)},
		{"sum over an empty axis", OpSum, []uint32{0}, []uint32{empty3}},
		{"the copies an in-place operator updates", OpClipGradNorm, []uint32{math.Float32bits(1)}, []uint32{g1, g2}},
	}
	for _, c := range cases {
		_, err := s.Op(c.op, c.attrs, c.in)
		if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "would make up to") {
			t.Errorf("%s: %v, want a quota error before allocation", c.name, err)
		}
	}
}

// Names cost host memory too: state registrations and metric names are bounded.
func TestNameQuotas(t *testing.T) {
	l := DefaultLimits()
	l.MaxHandles = 4
	s := NewSession(l, nil, nil)
	h := mustNew(t, s, []int{1}, 1)
	for i := 0; i < 4; i++ {
		if err := s.Register(fmt.Sprint("n", i), h); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Register("one more", h); !errors.Is(err, ErrQuota) {
		t.Errorf("a fifth state name under a limit of 4: %v", err)
	}
	if err := s.Register("n0", h); err != nil { // re-registering is not a new name
		t.Errorf("re-registering: %v", err)
	}
	for i := 0; i < maxMetrics; i++ {
		if err := s.Metric(fmt.Sprint("m", i), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Metric("extra", 1); !errors.Is(err, ErrQuota) {
		t.Errorf("metric names past the limit: %v", err)
	}
}

// The trace is bounded in bytes, not only in entries: an operator over thousands of
// copies of one tiny tensor keeps a hash per input. Its entry is counted before it is
// built, and the count matches what the entries hold.
func TestTraceBytesBounded(t *testing.T) {
	l := DefaultLimits()
	l.MaxTraceBytes = 1 << 20
	s := NewSession(l, nil, nil)
	s.SetTracing(true)
	x := mustNew(t, s, []int{1}, 1)
	in := make([]uint32, 4096)
	for i := range in {
		in[i] = x
	}
	var err error
	n := 0
	for ; err == nil; n++ {
		var out []uint32
		out, err = s.Op(OpConcat, []uint32{0}, in)
		if err == nil {
			if err := s.Free(out[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "bytes of trace entries") {
		t.Fatalf("after %d calls: %v, want the trace byte quota", n, err)
	}
	counted := int64(0)
	for _, e := range s.Trace().Entries {
		counted += e.size()
		if int64(len(e.Encode())) > e.size() {
			t.Fatalf("an entry encodes to %d bytes, more than its size %d", len(e.Encode()), e.size())
		}
	}
	if counted != s.traceBytes || counted > l.MaxTraceBytes {
		t.Fatalf("trace of %d entries counted as %d bytes, the session says %d (limit %d)", len(s.Trace().Entries), counted, s.traceBytes, l.MaxTraceBytes)
	}
	s.BeginStep(1) // per step
	if _, err := s.Op(OpConcat, []uint32{0}, in); err != nil {
		t.Fatal(err)
	}
}

// An in-place operator may not name one handle for two inputs it updates, and the copies
// it updates count against the tensor quota before they are made.
func TestInPlaceOperands(t *testing.T) {
	l := DefaultLimits()
	l.MaxTensorBytes = 1<<20 + 1024
	s := NewSession(l, nil, nil)
	g, err := s.Zeros(kernels.Float32, []int{64 << 10}) // 256 KiB
	if err != nil {
		t.Fatal(err)
	}
	one := []uint32{math.Float32bits(1)}
	if _, err := s.Op(OpClipGradNorm, one, []uint32{g, g}); !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), "both are handle") {
		t.Errorf("clip_grad_norm of one handle twice: %v", err)
	}
	if _, err := s.Op(OpSGD, []uint32{one[0], 0, 0}, []uint32{g, g, g}); !errors.Is(err, ErrBadArgument) {
		t.Errorf("sgd with p and v the same handle: %v", err)
	}
	if _, err := s.Op(OpSGD, []uint32{one[0], 0, 0}, []uint32{g, g, mustNew(t, s, []int{1}, 0)}); err != nil {
		t.Errorf("sgd with p and g the same handle (g is only read): %v", err)
	}
	h2, _ := s.Zeros(kernels.Float32, []int{64 << 10})
	h3, _ := s.Zeros(kernels.Float32, []int{64 << 10})
	// 768 KiB live of 1 MiB: copies of two of them do not fit, of one they do.
	if _, err := s.Op(OpClipGradNorm, one, []uint32{g, h2}); !errors.Is(err, ErrQuota) {
		t.Errorf("copies past the quota: %v", err)
	}
	if _, err := s.Op(OpClipGradNorm, one, []uint32{h3}); err != nil {
		t.Errorf("copies within the quota: %v", err)
	}
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// New tensors are checked against the free quota before they are allocated, and reading a
// tensor into guest memory makes no copy of it.
func TestNoAllocationPastTheQuota(t *testing.T) {
	l := DefaultLimits()
	l.MaxTensorBytes = 4 << 20
	s := NewSession(l, nil, nil)
	if _, err := s.Zeros(kernels.Float32, []int{3 << 18}); err != nil { // 3 MiB
		t.Fatal(err)
	}
	data := make([]byte, 2<<20)
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"tensor_new", func() error { _, err := s.NewTensor(kernels.Float32, []int{1 << 19}, data); return err }},
		{"tensor_zeros", func() error { _, err := s.Zeros(kernels.Int32, []int{1 << 19}); return err }},
	} {
		var err error
		if n := allocated(func() { err = c.call() }); !errors.Is(err, ErrQuota) || n > 64<<10 {
			t.Errorf("%s of 2 MiB with 1 MiB free: %v, after allocating %d bytes", c.name, err, n)
		}
	}

	mem := newGuestMemory(t, 64) // 4 MiB
	h, err := s.Zeros(kernels.Float32, []int{1 << 18})
	if err != nil {
		t.Fatal(err)
	}
	var st int32
	if n := allocated(func() { st = callHost(t, s, mem, "tensor_read", uint64(h), 0, 1<<20) }); st != 0 || n > 64<<10 {
		t.Errorf("tensor_read of 1 MiB: status %d, allocated %d bytes", st, n)
	}
}

// A dead handle's error names the operator and the input, and says whether the tensor was
// freed (the usual mistake: a tensor made in one call and used in a later one without
// Keep()) or never existed.
func TestBadHandleErrorsHint(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	x := mustNew(t, s, []int{2}, 1, 2)
	y := mustNew(t, s, []int{2}, 3, 4)
	if err := s.Free(y); err != nil {
		t.Fatal(err)
	}
	_, err := s.Op(OpAdd, nil, []uint32{x, y})
	if !errors.Is(err, ErrBadHandle) || !strings.Contains(err.Error(), "add, input 1") || !strings.Contains(err.Error(), "it was freed") || !strings.Contains(err.Error(), "Keep()") {
		t.Errorf("a freed input: %v", err)
	}
	_, err = s.Op(OpAdd, nil, []uint32{x, 9999})
	if !errors.Is(err, ErrBadHandle) || !strings.Contains(err.Error(), "no tensor ever had it") {
		t.Errorf("a handle that never was: %v", err)
	}
}

// Restoring a checkpoint whose state differs from the task's names the difference.
func TestRestoreNamesTheStateDifference(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	a := mustNew(t, s, []int{1}, 1)
	if err := s.Register("w1", a); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("w2", mustNew(t, s, []int{1}, 2)); err != nil {
		t.Fatal(err)
	}
	cp := s.Checkpoint()
	other := NewSession(DefaultLimits(), nil, nil)
	if err := other.Register("w1", mustNew(t, other, []int{1}, 1)); err != nil {
		t.Fatal(err)
	}
	err := other.Restore(cp)
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "only in the checkpoint: w2; only in the task: none") {
		t.Errorf("restore: %v", err)
	}
}

// State that the root would not cover is refused: a name taken twice by different tensors
// (two layers given the same name), and state registered after init, which an instance
// restored from a checkpoint would lack.
func TestStateEscapesRefused(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	a := mustNew(t, s, []int{1}, 1)
	b := mustNew(t, s, []int{1}, 2)
	if err := s.Register("l1.w", a); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("l1.w", a); err != nil {
		t.Errorf("registering the same name and handle again: %v", err)
	}
	err := s.Register("l1.w", b)
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), `"l1.w" is already registered`) {
		t.Errorf("a second tensor under a registered name: %v", err)
	}
	if got := s.Checkpoint().Tensors["l1.w"]; got.Float32s()[0] != 1 {
		t.Error("the refused registration replaced the first tensor")
	}
	if err := s.Register("l1.b", b); err != nil {
		t.Fatal(err)
	}
	cp := s.Checkpoint()
	for _, tc := range []struct {
		name  string
		setup func(s *Session)
	}{
		{"in a step", func(s *Session) { s.BeginStep(1) }},
		{"in eval", func(s *Session) { s.BeginStep(EvalStep) }},
		{"after a restore", func(s *Session) {
			if err := s.Restore(cp); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(DefaultLimits(), nil, nil)
			a := mustNew(t, s, []int{1}, 1)
			b := mustNew(t, s, []int{1}, 2)
			for name, h := range map[string]uint32{"l1.w": a, "l1.b": b} {
				if err := s.Register(name, h); err != nil {
					t.Fatal(err)
				}
			}
			tc.setup(s)
			c := mustNew(t, s, []int{1}, 3)
			if err := s.Register("late", c); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "after init") {
				t.Errorf("state registered %s: %v", tc.name, err)
			}
		})
	}
}
