package host

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ml/lockstep/kernels"
)

// Limits are the per-task quotas. Each caps memory the host holds for the guest, and
// each is checked before the memory is allocated.
type Limits struct {
	MaxTensorBytes  int64 // bytes of all live tensors together
	MaxHandles      int   // live handles
	MaxTraceEntries int   // operator calls per step
	MaxTraceBytes   int64 // the step's trace entries in memory (TraceEntry.size)
	MaxBlobBytes    int   // the guest's opaque state blob
	MaxNameBytes    int   // state and input names
}

// DefaultLimits suits a small node: 1 GiB of tensors, 65536 handles, a million trace
// entries of at most 256 MiB in all per step, a 64 MiB blob.
func DefaultLimits() Limits {
	return Limits{MaxTensorBytes: 1 << 30, MaxHandles: 1 << 16, MaxTraceEntries: 1 << 20, MaxTraceBytes: 256 << 20, MaxBlobBytes: 64 << 20, MaxNameBytes: 256}
}

// OrDefaults fills each zero field of l from DefaultLimits: a zero quota is never what
// a caller who set only some fields meant.
func (l Limits) OrDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	fillInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.MaxTensorBytes, d.MaxTensorBytes)
	fill(&l.MaxTraceBytes, d.MaxTraceBytes)
	fillInt(&l.MaxHandles, d.MaxHandles)
	fillInt(&l.MaxTraceEntries, d.MaxTraceEntries)
	fillInt(&l.MaxBlobBytes, d.MaxBlobBytes)
	fillInt(&l.MaxNameBytes, d.MaxNameBytes)
	return l
}

// Input is a read-only, content-addressed data input of a task.
type Input struct {
	Name string
	Data []byte
	Hash [32]byte // SHA-256 of Data
}

// NewInput returns an input named name holding data.
func NewInput(name string, data []byte) Input {
	return Input{Name: name, Data: data, Hash: sha256.Sum256(data)}
}

type slot struct {
	t    *kernels.Tensor
	hash *[32]byte // kernels.Hash(t), once something needed it
}

// Session is the host-side state of one task instance: its tensors, the current step's
// trace, its registered state and inputs. Tensors in a session are never modified: an
// in-place operator's handle is rebound to a new tensor. So a tensor's hash is computed
// at most once, when a checkpoint or the trace first needs it, and checkpoints share
// tensors with the session instead of copying them.
//
// The trace of a step (DESIGN.md, "Commitments") is kept only while tracing is on
// (SetTracing): normal training hashes no operator outputs, and a step is traced on demand
// by running it again. Whether it is on changes nothing a guest can observe: the quotas
// count the entries a step would record, and the fuel is the same.
type Session struct {
	limits     Limits
	tensors    map[uint32]slot
	next       uint32
	bytes      int64
	tracing    bool
	trace      *Trace
	entries    int   // the step's trace entries, recorded or not
	traceBytes int64 // their size (TraceEntry.size)
	state      map[string]uint32
	sealed     bool           // init is over: no more state may be registered
	stateRefs  map[uint32]int // how many state names each handle is registered under
	blob       []byte
	inputs     map[string]Input
	lastErr    string
	metrics    map[string]float64
	output     []byte // the result of the export call under way (SetOutput)
	logf       func(string)
	fuel       Fuel
	stats      Stats
	opHook     func(*OpEvent)
	stepHook   func(step uint64)
	inputHook  func(name string, offset int64, b []byte) []byte
	answers    Answerer
}

// SetStepHook calls f at the start of every step, before the guest runs; SetInputHook
// passes the bytes of every input read through f. Like SetOpHook they are for the dispute
// tests, which inject faults with them (state tampered with between steps, different data
// fed in); no flag or input of a normal run reaches them.
func (s *Session) SetStepHook(f func(step uint64)) { s.stepHook = f }

// SetInputHook: see SetStepHook.
func (s *Session) SetInputHook(f func(name string, offset int64, b []byte) []byte) { s.inputHook = f }

// Call is an operator call as an Answerer sees it: its entry in the step's trace, the
// operator, its canonical attributes and the hashes of its inputs.
type Call struct {
	Seq    int
	Op     Opcode
	Attrs  []uint32
	Inputs [][32]byte
}

// Answerer supplies the outputs of an operator call instead of the kernel: a dispute's
// referee re-runs a step's guest code with every call answered from an agreed trace, so
// that no kernel runs (SetAnswers). An error fails the call, as a kernel's would.
type Answerer func(c Call, inputs []*kernels.Tensor) ([]*kernels.Tensor, error)

// SetAnswers answers operator calls with a instead of running kernels (nil: run them).
func (s *Session) SetAnswers(a Answerer) { s.answers = a }

// OpEvent is an operator call as SetOpHook's function sees it, after the kernel ran and
// before its outputs are published; a tensor the guest makes (tensor_new, tensor_zeros)
// is one too, with Op OpTensorNew and no inputs.
type OpEvent struct {
	Step    uint64
	Seq     int // the call's entry in the step's trace
	Op      Opcode
	Attrs   []uint32
	Inputs  []*kernels.Tensor
	Outputs []*kernels.Tensor // the hook may replace them (fault injection)
}

// SetOpHook calls f with every operator call from now on (nil: none). It is for tests and
// verifiers: a dispute's party captures the input tensors of one entry with it, and the
// dispute tests inject faults (a changed output) with it. No flag or input of a normal
// run reaches it.
func (s *Session) SetOpHook(f func(*OpEvent)) { s.opHook = f }

// Stats are where a session's time went (for benchmarks and status displays).
type Stats struct {
	Ops        int           // operator calls
	KernelTime time.Duration // inside the RepOps kernels
	HashTime   time.Duration // hashing tensors: the state for its root, outputs for the trace
	Calls      int           // host function calls from a Wasm guest
	CallTime   time.Duration // inside those calls (kernels and hashing included)
}

// Stats returns the session's accumulated statistics.
func (s *Session) Stats() Stats { return s.stats }

// NewSession returns an empty session with the given quotas and inputs. logf receives the
// guest's log lines (a side channel outside the trace); it may be nil.
func NewSession(l Limits, inputs []Input, logf func(string)) *Session {
	s := &Session{
		limits: l, tensors: map[uint32]slot{}, next: 1, trace: newTrace(0),
		state: map[string]uint32{}, stateRefs: map[uint32]int{}, inputs: map[string]Input{},
		metrics: map[string]float64{}, logf: logf,
	}
	for _, in := range inputs {
		s.inputs[in.Name] = in
	}
	return s
}

// BeginStep starts a new trace for step (0 is init) and clears the metrics and the
// output, which then hold what the guest reports during that step.
func (s *Session) BeginStep(step uint64) {
	s.trace = newTrace(step)
	s.entries, s.traceBytes = 0, 0
	s.sealed = s.sealed || step != 0
	clear(s.metrics)
	s.output = nil
	if s.stepHook != nil {
		s.stepHook(step)
	}
}

// SetTracing turns the recording of the trace on or off, from the next entry on.
func (s *Session) SetTracing(on bool) { s.tracing = on }

// Trace returns the current step's trace so far: the entries recorded while tracing was on.
func (s *Session) Trace() *Trace { return s.trace }

// TraceLen is the number of entries the current step's trace has, recorded or not.
func (s *Session) TraceLen() int { return s.entries }

// StepTrace returns the finished trace of the step that cp is the checkpoint of: the
// entries recorded while tracing was on, then the entry that binds them to cp's root.
func (s *Session) StepTrace(cp *Checkpoint) (*Trace, error) {
	if cp.Step != s.trace.Step {
		return nil, fmt.Errorf("%w: the checkpoint is of step %d, the trace of step %d", ErrState, cp.Step, s.trace.Step)
	}
	t := &Trace{Step: s.trace.Step, Head: s.trace.Head, Entries: slices.Clone(s.trace.Entries), Heads: slices.Clone(s.trace.Heads)}
	t.append(BindingEntry(cp.Root, cp.Leaves(), cp.Blob))
	return t, nil
}

// Metrics returns the values the guest last reported, by name (side channel).
func (s *Session) Metrics() map[string]float64 { return s.metrics }

// LastError returns the message of the last failed call.
func (s *Session) LastError() string { return s.lastErr }

// fail records err as the last error and returns its status.
func (s *Session) fail(fn string, err error) int32 {
	s.lastErr = fn + ": " + err.Error()
	return statusOf(err)
}

func tensorBytes(t *kernels.Tensor) int64 { return 4 * int64(t.Len()) }

// room checks, before a call allocates anything, that it may add newHandles handles,
// up to bytes more tensor bytes, and (for entry > 0) one trace entry of entry bytes.
func (s *Session) room(newHandles int, bytes int64, entry int64) error {
	if newHandles > 0 && len(s.tensors) > s.limits.MaxHandles-newHandles {
		return fmt.Errorf("%w: %d live handles, %d more would pass the limit %d", ErrQuota, len(s.tensors), newHandles, s.limits.MaxHandles)
	}
	if uint64(s.next)+uint64(newHandles) > math.MaxUint32 {
		return fmt.Errorf("%w: handle numbers exhausted", ErrQuota)
	}
	if bytes > s.limits.MaxTensorBytes-s.bytes {
		return fmt.Errorf("%w: %d tensor bytes live, %d more would pass the limit %d", ErrQuota, s.bytes, bytes, s.limits.MaxTensorBytes)
	}
	if entry > 0 {
		if s.entries >= s.limits.MaxTraceEntries {
			return fmt.Errorf("%w: step %d has %d trace entries (limit %d)", ErrQuota, s.trace.Step, s.entries, s.limits.MaxTraceEntries)
		}
		if entry > s.limits.MaxTraceBytes-s.traceBytes {
			return fmt.Errorf("%w: step %d has %d bytes of trace entries, an entry of %d more would pass the limit %d",
				ErrQuota, s.trace.Step, s.traceBytes, entry, s.limits.MaxTraceBytes)
		}
	}
	return nil
}

// put stores t under handle h (0: a new handle), with its hash if known (or nil); room has
// already been checked.
func (s *Session) put(h uint32, t *kernels.Tensor, hash *[32]byte) uint32 {
	if old, ok := s.tensors[h]; ok {
		s.bytes -= tensorBytes(old.t)
	} else {
		h = s.next
		s.next++ // handles are never reused, so a freed handle stays invalid
	}
	s.tensors[h] = slot{t: t, hash: hash}
	s.bytes += tensorBytes(t)
	return h
}

func (s *Session) get(h uint32) (slot, error) {
	sl, ok := s.tensors[h]
	switch {
	case ok:
		return sl, nil
	case h >= 1 && h < s.next: // handles are never reused: this one was live once
		return slot{}, fmt.Errorf("%w: %d is not a live tensor handle: it was freed (the Go SDK frees a call's tensors when the call returns; Keep() a tensor a later call uses)", ErrBadHandle, h)
	default:
		return slot{}, fmt.Errorf("%w: %d is not a live tensor handle: no tensor ever had it", ErrBadHandle, h)
	}
}

// Tensor returns the tensor behind handle h.
func (s *Session) Tensor(h uint32) (*kernels.Tensor, error) {
	sl, err := s.get(h)
	return sl.t, err
}

// hashOf returns the hash of the tensor behind live handle h, computing it once.
func (s *Session) hashOf(h uint32) [32]byte {
	sl := s.tensors[h]
	if sl.hash == nil {
		t0 := time.Now()
		hash := kernels.Hash(sl.t)
		s.stats.HashTime += time.Since(t0)
		sl.hash = &hash
		s.tensors[h] = sl
	}
	return *sl.hash
}

// hashAll returns the hashes of ts, timed as hashing.
func (s *Session) hashAll(ts []*kernels.Tensor) [][32]byte {
	t0 := time.Now()
	out := make([][32]byte, len(ts))
	for i, t := range ts {
		out[i] = kernels.Hash(t)
	}
	s.stats.HashTime += time.Since(t0)
	return out
}

// record counts a trace entry of size bytes against the step's quotas (room has already
// been checked for it) and, while tracing, appends the entry entry builds.
func (s *Session) record(size int64, entry func() TraceEntry) {
	s.entries++
	s.traceBytes += size
	if s.tracing {
		s.trace.append(entry())
	}
}

// checkShape validates a guest-supplied shape and returns the element count.
func (s *Session) checkShape(shape []int) (int, error) {
	if len(shape) > kernels.MaxRank {
		return 0, fmt.Errorf("%w: rank %d exceeds %d", ErrBadArgument, len(shape), kernels.MaxRank)
	}
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in shape %v", ErrBadArgument, shape)
		}
		n *= int64(d)
		if 4*n > s.limits.MaxTensorBytes {
			return 0, fmt.Errorf("%w: shape %v needs more than %d bytes", ErrQuota, shape, s.limits.MaxTensorBytes)
		}
	}
	return int(n), nil
}

// NewTensor creates a tensor from little-endian element bytes (len(data) must be
// 4 x elements) and returns its handle. It is traced as tensor_new: guest data entering
// the host, committed by its hash.
func (s *Session) NewTensor(dtype kernels.DType, shape []int, data []byte) (uint32, error) {
	n, err := s.checkNew(dtype, shape)
	if err != nil {
		return 0, err
	}
	if len(data) != 4*n {
		return 0, fmt.Errorf("%w: shape %v needs %d bytes of data, got %d", ErrBadArgument, shape, 4*n, len(data))
	}
	if err := s.reserveNew(n); err != nil {
		return 0, err
	}
	var t *kernels.Tensor
	if dtype == kernels.Float32 {
		f := make([]float32, n)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		t, err = kernels.New(shape, f)
	} else {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
		t, err = kernels.NewInt32(shape, v)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadArgument, err)
	}
	return s.adopt(t), nil
}

// Zeros creates a zero tensor (traced as tensor_new, like NewTensor with zero bytes).
func (s *Session) Zeros(dtype kernels.DType, shape []int) (uint32, error) {
	n, err := s.checkNew(dtype, shape)
	if err != nil {
		return 0, err
	}
	if err := s.reserveNew(n); err != nil {
		return 0, err
	}
	var t *kernels.Tensor
	if dtype == kernels.Float32 {
		t, err = kernels.Zeros(shape...)
	} else {
		t, err = kernels.NewInt32(shape, make([]int32, n))
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadArgument, err)
	}
	return s.adopt(t), nil
}

// checkNew validates the dtype and shape of a new tensor; it returns the element count.
func (s *Session) checkNew(dtype kernels.DType, shape []int) (int, error) {
	n, err := s.checkShape(shape)
	if err != nil {
		return 0, err
	}
	if dtype != kernels.Float32 && dtype != kernels.Int32 {
		return 0, fmt.Errorf("%w: dtype %d is not float32 (1) or int32 (2)", ErrBadArgument, dtype)
	}
	return n, nil
}

// reserveNew checks that a new tensor of n elements fits the quotas and pays for making
// it, before anything is allocated.
func (s *Session) reserveNew(n int) error {
	if err := s.room(1, 4*int64(n), entrySize(0, 0, 1)); err != nil {
		return err
	}
	return s.charge(newTensorCost(n))
}

// adopt binds a new tensor to a new handle and traces it as tensor_new.
func (s *Session) adopt(t *kernels.Tensor) uint32 {
	if s.opHook != nil {
		e := &OpEvent{Step: s.trace.Step, Seq: s.entries, Op: OpTensorNew, Outputs: []*kernels.Tensor{t}}
		s.opHook(e)
		if len(e.Outputs) == 1 && e.Outputs[0].Len() == t.Len() && e.Outputs[0].DType() == t.DType() {
			t = e.Outputs[0]
		}
	}
	h := s.put(0, t, nil)
	s.record(entrySize(0, 0, 1), func() TraceEntry {
		return TraceEntry{Op: OpTensorNew, Outputs: [][32]byte{s.hashOf(h)}}
	})
	return h
}

// ReadTensorInto writes the little-endian element bytes of handle h into dst, which must
// be exactly their size: the host function encodes straight into guest memory, so a read
// allocates nothing.
func (s *Session) ReadTensorInto(h uint32, dst []byte) error {
	sl, err := s.get(h)
	if err != nil {
		return err
	}
	if int64(len(dst)) != tensorBytes(sl.t) {
		return fmt.Errorf("%w: tensor %d has %d bytes, the buffer %d", ErrBadArgument, h, tensorBytes(sl.t), len(dst))
	}
	if err := s.charge(moveCost(int64(len(dst)))); err != nil {
		return err
	}
	encodeElements(dst, sl.t)
	return nil
}

// encodeElements writes t's elements into out (4 bytes each) as little-endian words.
func encodeElements(out []byte, t *kernels.Tensor) {
	if t.DType() == kernels.Int32 {
		for i, v := range t.Int32s() {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(v))
		}
	} else {
		for i, v := range t.Float32s() {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	}
}

// Free releases handle h. A handle registered as state cannot be freed.
func (s *Session) Free(h uint32) error {
	sl, err := s.get(h)
	if err != nil {
		return err
	}
	if err := s.unregistered(h); err != nil {
		return err
	}
	delete(s.tensors, h)
	s.bytes -= tensorBytes(sl.t)
	return nil
}

// unregistered refuses a handle that is registered as state. The message names the
// least of its names, so that it does not depend on map order.
func (s *Session) unregistered(h uint32) error {
	if s.stateRefs[h] == 0 {
		return nil
	}
	if err := s.charge(uint64(len(s.state))); err != nil { // the search below
		return err
	}
	name, found := "", false
	for n, sh := range s.state {
		if sh == h && (!found || n < name) {
			name, found = n, true
		}
	}
	return fmt.Errorf("%w: handle %d is registered as state %q", ErrState, h, name)
}

// FreeMany releases several handles: all of them, or (if any is not a live, unregistered
// tensor, or appears twice) none. The first offending handle in hs decides the error.
func (s *Session) FreeMany(hs []uint32) error {
	if err := s.charge(uint64(len(hs)) * inputCost); err != nil {
		return err
	}
	seen := make(map[uint32]bool, len(hs))
	for _, h := range hs {
		if _, err := s.get(h); err != nil {
			return err
		}
		if err := s.unregistered(h); err != nil {
			return err
		}
		if seen[h] {
			return fmt.Errorf("%w: handle %d appears twice", ErrBadArgument, h)
		}
		seen[h] = true
	}
	for _, h := range hs {
		s.bytes -= tensorBytes(s.tensors[h].t)
		delete(s.tensors, h)
	}
	return nil
}

// opCall is an operator call that has passed every check and been paid for: what Op
// needs to run it and publish its outputs.
type opCall struct {
	op      Opcode
	attrs   []uint32 // canonical
	in      []uint32
	inputs  []*kernels.Tensor
	hashes  [][32]byte
	nOut    int
	rebinds []int
}

// Op runs operator op on the tensors behind the input handles and returns the handles of
// its new outputs. An in-place operator (SGD, AdamW, ClipGradNorm, Assign) rebinds its updated
// inputs' handles to the new values and returns handles only for new tensors (the norm of
// ClipGradNorm). Every call is one trace entry. A call that fails changes nothing: it is
// checked against every quota and paid for before the kernel runs, and its outputs are
// published only once they all fit.
func (s *Session) Op(op Opcode, attrWords []uint32, in []uint32) ([]uint32, error) {
	c, err := s.prepareOp(op, attrWords, in)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var outs []*kernels.Tensor
	if s.answers != nil {
		hashes := make([][32]byte, len(in))
		for i, h := range in {
			hashes[i] = s.hashOf(h)
		}
		outs, err = s.answers(Call{Seq: s.entries, Op: op, Attrs: c.attrs, Inputs: hashes}, c.inputs)
	} else {
		outs, err = Apply(op, c.attrs, c.inputs)
	}
	if err != nil {
		return nil, err
	}
	if len(outs) != c.nOut {
		return nil, fmt.Errorf("%w: BUG: %s made %d outputs, expected %d", ErrOperator, op, len(outs), c.nOut)
	}
	s.stats.Ops++
	s.stats.KernelTime += time.Since(t0)
	if s.opHook != nil {
		e := &OpEvent{Step: s.trace.Step, Seq: s.entries, Op: op, Attrs: c.attrs, Inputs: c.inputs, Outputs: outs}
		s.opHook(e)
		outs = e.Outputs
	}
	return s.publish(c, outs)
}

// prepareOp validates an operator call, reserves room for it and charges its fuel:
// everything that can refuse the call before it runs.
func (s *Session) prepareOp(op Opcode, attrWords []uint32, in []uint32) (*opCall, error) {
	spec, err := lookup(op)
	if err != nil {
		return nil, err
	}
	c := &opCall{op: op, attrs: canonicalAttrs(op, attrWords), in: in, inputs: make([]*kernels.Tensor, len(in))}
	for i, h := range in {
		sl, err := s.get(h)
		if err != nil {
			return nil, fmt.Errorf("%s, input %d: %w", op, i, err)
		}
		c.inputs[i] = sl.t
	}
	if s.tracing {
		c.hashes = make([][32]byte, len(in))
		for i, h := range in {
			c.hashes[i] = s.hashOf(h)
		}
	}
	if err := checkArity(op, spec, c.inputs); err != nil {
		return nil, err
	}
	c.nOut, c.rebinds = outputCount(op, c.attrs, len(in)), rebinds(op, len(in))
	if err := checkUpdated(op, in, c.rebinds); err != nil {
		return nil, err
	}
	// Refuse before allocating when the outputs (and copies, and scratch) cannot fit.
	bound := outputBound(op, c.attrs, c.inputs)
	if free := s.limits.MaxTensorBytes - s.bytes; bound > free/4 {
		outs, scratch := hashedElems(op, c.attrs, c.inputs, bound), ""
		if outs < bound {
			scratch = fmt.Sprintf(" and %d of scratch", bound-outs)
		}
		return nil, fmt.Errorf("%w: %s would make up to %d output elements%s (%d bytes); %d of %d tensor bytes are free",
			ErrQuota, op, outs, scratch, 4*bound, free, s.limits.MaxTensorBytes)
	}
	if err := s.room(newOutputs(op, c.attrs, len(in)), 0, entrySize(len(c.attrs), len(in), c.nOut)); err != nil {
		return nil, err
	}
	if err := s.charge(opCost(op, c.attrs, c.inputs, c.nOut, bound)); err != nil {
		return nil, err
	}
	return c, nil
}

// checkUpdated refuses an in-place call that names one handle for two of the inputs it
// updates: both would be rebound, and which value the handle keeps would be arbitrary.
func checkUpdated(op Opcode, in []uint32, rebinds []int) error {
	first := make(map[uint32]int, len(rebinds))
	for _, i := range rebinds {
		if i < 0 {
			continue
		}
		if j, dup := first[in[i]]; dup {
			return fmt.Errorf("%w: %s updates inputs %d and %d in place, but both are handle %d", ErrBadArgument, op, j, i, in[i])
		}
		first[in[i]] = i
	}
	return nil
}

// publish records a call's trace entry and binds its outputs, after checking that they
// fit the tensor quota exactly (the bound checked before should guarantee it).
func (s *Session) publish(c *opCall, outs []*kernels.Tensor) ([]uint32, error) {
	delta := int64(0)
	targets := make([]uint32, len(outs))
	for i, t := range outs {
		delta += tensorBytes(t)
		if c.rebinds != nil && c.rebinds[i] >= 0 {
			targets[i] = c.in[c.rebinds[i]]
			delta -= tensorBytes(s.tensors[targets[i]].t)
		}
	}
	if err := s.room(0, delta, 0); err != nil {
		return nil, err
	}
	var outHashes [][32]byte
	if s.tracing {
		outHashes = s.hashAll(outs)
	}
	s.record(entrySize(len(c.attrs), len(c.in), len(outs)), func() TraceEntry {
		return TraceEntry{Op: c.op, Attrs: c.attrs, Inputs: c.hashes, Outputs: outHashes}
	})
	var handles []uint32
	for i, t := range outs {
		var hash *[32]byte
		if outHashes != nil {
			hash = &outHashes[i]
		}
		if h := s.put(targets[i], t, hash); targets[i] == 0 {
			handles = append(handles, h)
		}
	}
	return handles, nil
}

func (s *Session) checkName(kind, name string) error {
	if name == "" || len(name) > s.limits.MaxNameBytes || !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s name must be 1 to %d bytes of UTF-8", ErrBadArgument, kind, s.limits.MaxNameBytes)
	}
	return nil
}

// Register names handle h as part of the task's state; its value at the end of every step
// goes into the checkpoint. Only init registers state, and each name once: a step must be
// a pure function of the checkpoint before it, and an instance restored from that
// checkpoint has exactly the state its init registered. A second name taken by a second
// tensor, or a tensor registered in a step, would be state the root does not cover.
// Registering the same name and handle again changes nothing.
func (s *Session) Register(name string, h uint32) error {
	if err := s.checkName("state", name); err != nil {
		return err
	}
	if _, err := s.get(h); err != nil {
		return err
	}
	if s.sealed {
		return fmt.Errorf("%w: state %q registered after init; register all state in lockstep_init (Param and State in Init), so that an instance restored from a checkpoint has it too", ErrState, name)
	}
	old, ok := s.state[name]
	if ok && old != h {
		return fmt.Errorf("%w: state name %q is already registered to handle %d; every tensor of the state needs its own name (two layers given the same name?)", ErrState, name, old)
	}
	if ok {
		return nil
	}
	if len(s.state) >= s.limits.MaxHandles {
		return fmt.Errorf("%w: %d state names registered (limit %d)", ErrQuota, len(s.state), s.limits.MaxHandles)
	}
	s.state[name] = h
	s.stateRefs[h]++
	return nil
}

// SetBlob stores the guest's opaque state blob (part of every checkpoint).
func (s *Session) SetBlob(b []byte) error {
	if len(b) > s.limits.MaxBlobBytes {
		return fmt.Errorf("%w: state blob of %d bytes exceeds %d", ErrQuota, len(b), s.limits.MaxBlobBytes)
	}
	if err := s.charge(blobCost(int64(len(b)))); err != nil {
		return err
	}
	s.blob = append([]byte(nil), b...)
	return nil
}

// Blob returns the current state blob.
func (s *Session) Blob() []byte { return s.blob }

// Checkpoint returns the state after the current step, with its root.
func (s *Session) Checkpoint() *Checkpoint {
	cp := &Checkpoint{Step: s.trace.Step, Tensors: map[string]*kernels.Tensor{}, Blob: s.blob}
	cp.leaves = make([]StateLeaf, 0, len(s.state))
	for name, h := range s.state {
		cp.Tensors[name] = s.tensors[h].t
		cp.leaves = append(cp.leaves, StateLeaf{Name: name, Hash: s.hashOf(h)})
	}
	cp.Root = CheckpointRoot(cp.Step, cp.leaves, cp.Blob)
	return cp
}

// Restore replaces the registered state with a checkpoint's: every registered name must be
// in the checkpoint with the same dtype and shape, and the checkpoint may hold no others.
func (s *Session) Restore(cp *Checkpoint) error {
	if len(cp.Tensors) != len(s.state) {
		var extra, missing []string
		for name := range cp.Tensors {
			if _, ok := s.state[name]; !ok {
				extra = append(extra, name)
			}
		}
		for name := range s.state {
			if _, ok := cp.Tensors[name]; !ok {
				missing = append(missing, name)
			}
		}
		return fmt.Errorf("%w: checkpoint has %d state tensors, the task registered %d (only in the checkpoint: %s; only in the task: %s; a task must register the same state in every instance, in Init, not in a step)",
			ErrState, len(cp.Tensors), len(s.state), nameList(extra), nameList(missing))
	}
	names := slices.Sorted(maps.Keys(s.state)) // the first mismatch in name order
	for _, name := range names {
		t, ok := cp.Tensors[name]
		cur := s.tensors[s.state[name]].t
		if !ok {
			return fmt.Errorf("%w: checkpoint lacks state %q", ErrState, name)
		}
		if t.DType() != cur.DType() || !slices.Equal(t.Shape(), cur.Shape()) {
			return fmt.Errorf("%w: state %q is %s%v in the checkpoint, %s%v in the task", ErrState, name, t.DType(), t.Shape(), cur.DType(), cur.Shape())
		}
	}
	if len(cp.Blob) > s.limits.MaxBlobBytes {
		return fmt.Errorf("%w: checkpoint blob of %d bytes exceeds %d", ErrQuota, len(cp.Blob), s.limits.MaxBlobBytes)
	}
	// Same dtypes and shapes: the tensor bytes do not change.
	for _, name := range names {
		t := cp.Tensors[name]
		s.put(s.state[name], t, nil)
	}
	s.blob = append([]byte(nil), cp.Blob...)
	s.sealed = true
	// The session now stands at the end of cp's step: a checkpoint taken before the next
	// step names that step.
	s.trace = newTrace(cp.Step)
	s.entries, s.traceBytes = 0, 0
	return nil
}

// nameList lists names in order, at most 8 of them.
func nameList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(" and %d more", len(names)-8)
	}
	return strings.Join(names, ", ")
}

// input returns the named input, or an error that lists the inputs the task was given.
func (s *Session) input(name string) (Input, error) {
	in, ok := s.inputs[name]
	if !ok {
		names := slices.Sorted(maps.Keys(s.inputs))
		given := "none"
		if len(names) > 0 {
			given = strings.Join(names, ", ")
		}
		return Input{}, fmt.Errorf("%w: no input named %q (inputs given: %s)", ErrNotFound, name, given)
	}
	return in, nil
}

// InputSize returns the byte length of the named input.
func (s *Session) InputSize(name string) (int64, error) {
	in, err := s.input(name)
	if err != nil {
		return 0, err
	}
	return int64(len(in.Data)), nil
}

// InputRead returns n bytes of the named input from offset, traced as input_read with
// the input's content hash as input and the hash of the bytes as output.
func (s *Session) InputRead(name string, offset int64, n int) ([]byte, error) {
	in, err := s.input(name)
	if err != nil {
		return nil, err
	}
	if offset < 0 || n < 0 || offset > int64(len(in.Data)) || int64(n) > int64(len(in.Data))-offset {
		return nil, fmt.Errorf("%w: range [%d, %d+%d) is outside input %q of %d bytes", ErrBadArgument, offset, offset, n, name, len(in.Data))
	}
	if err := s.room(0, 0, entrySize(3, 2, 1)); err != nil {
		return nil, err
	}
	if err := s.charge(hashCost(int64(n+len(name))) + moveCost(int64(n))); err != nil {
		return nil, err
	}
	b := in.Data[offset : offset+int64(n)]
	if s.inputHook != nil {
		b = s.inputHook(name, offset, b)
	}
	nameHash := sha256.Sum256([]byte(name))
	attrs := []uint32{uint32(offset), uint32(offset >> 32), uint32(n)}
	s.record(entrySize(len(attrs), 2, 1), func() TraceEntry {
		return TraceEntry{Op: OpInputRead, Attrs: attrs, Inputs: [][32]byte{in.Hash, nameHash}, Outputs: [][32]byte{sha256.Sum256(b)}}
	})
	return b, nil
}

// Metric records a value the guest reports (a side channel, outside the trace).
func (s *Session) Metric(name string, v float64) error {
	if err := s.checkName("metric", name); err != nil {
		return err
	}
	if _, ok := s.metrics[name]; !ok && len(s.metrics) >= maxMetrics {
		return fmt.Errorf("%w: %d metric names this step (limit %d)", ErrQuota, len(s.metrics), maxMetrics)
	}
	s.metrics[name] = v
	return nil
}

// maxMetrics bounds the distinct metric names a guest may report in one step.
const maxMetrics = 256

// MaxOutputBytes bounds the byte string a guest hands the host with SetOutput.
const MaxOutputBytes = 1 << 20

// SetOutput keeps b (a copy) as the result of the export call under way, replacing any
// earlier one: a side channel outside the trace and the state, like a metric, which the
// caller reads with Output (an RL task's rewards, say). At most MaxOutputBytes.
func (s *Session) SetOutput(b []byte) error {
	if len(b) > MaxOutputBytes {
		return fmt.Errorf("%w: output of %d bytes exceeds %d", ErrQuota, len(b), MaxOutputBytes)
	}
	if err := s.charge(moveCost(int64(len(b)))); err != nil {
		return err
	}
	s.output = append(make([]byte, 0, len(b)), b...)
	return nil
}

// Output returns what the guest handed over with SetOutput since the last BeginStep
// (nil: nothing).
func (s *Session) Output() []byte { return s.output }

// Log passes a guest log line to the side channel.
func (s *Session) Log(line string) {
	if s.logf != nil {
		s.logf(line)
	}
}
