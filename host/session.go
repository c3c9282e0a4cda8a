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

// Limits are the per-task quotas.
type Limits struct {
	MaxTensorBytes  int64 // bytes of all live tensors together
	MaxHandles      int   // live handles
	MaxTraceEntries int   // operator calls per step
	MaxBlobBytes    int   // the guest's opaque state blob
	MaxNameBytes    int   // state and input names
}

// DefaultLimits suits a small node: 1 GiB of tensors, 65536 handles, a million trace
// entries per step, a 64 MiB blob.
func DefaultLimits() Limits {
	return Limits{MaxTensorBytes: 1 << 30, MaxHandles: 1 << 16, MaxTraceEntries: 1 << 20, MaxBlobBytes: 64 << 20, MaxNameBytes: 256}
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
	hash [32]byte
}

// Session is the host-side state of one task instance: its tensors, the current step's
// trace, its registered state and inputs. Tensors in a session are never modified: an
// in-place operator's handle is rebound to a new tensor. So a tensor's hash is computed
// once, and checkpoints share tensors with the session instead of copying them.
type Session struct {
	limits  Limits
	tensors map[uint32]slot
	next    uint32
	bytes   int64
	trace   *Trace
	state   map[string]uint32
	blob    []byte
	inputs  map[string]Input
	lastErr string
	metrics map[string]float64
	logf    func(string)
	stats   Stats
}

// Stats are where a session's time went (for benchmarks and status displays).
type Stats struct {
	Ops        int           // operator calls
	KernelTime time.Duration // inside the RepOps kernels
	HashTime   time.Duration // hashing operator outputs for the trace
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
		state: map[string]uint32{}, inputs: map[string]Input{}, metrics: map[string]float64{}, logf: logf,
	}
	for _, in := range inputs {
		s.inputs[in.Name] = in
	}
	return s
}

// BeginStep starts a new trace for step (0 is init) and clears the metrics, which then
// hold what the guest reports during that step.
func (s *Session) BeginStep(step uint64) {
	s.trace = newTrace(step)
	clear(s.metrics)
}

// Trace returns the current step's trace.
func (s *Session) Trace() *Trace { return s.trace }

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

// bind stores t under handle h (0: a new handle), accounting quotas.
func (s *Session) bind(h uint32, t *kernels.Tensor, hash [32]byte) (uint32, error) {
	old, rebinding := s.tensors[h]
	delta := tensorBytes(t)
	if rebinding {
		delta -= tensorBytes(old.t)
	} else if len(s.tensors) >= s.limits.MaxHandles {
		return 0, fmt.Errorf("%w: %d live handles (limit %d)", ErrQuota, len(s.tensors), s.limits.MaxHandles)
	}
	if s.bytes+delta > s.limits.MaxTensorBytes {
		return 0, fmt.Errorf("%w: %d tensor bytes live, %d more would pass the limit %d", ErrQuota, s.bytes, delta, s.limits.MaxTensorBytes)
	}
	if !rebinding {
		if s.next == math.MaxUint32 {
			return 0, fmt.Errorf("%w: handle numbers exhausted", ErrQuota)
		}
		h = s.next
		s.next++ // handles are never reused, so a freed handle stays invalid
	}
	s.tensors[h] = slot{t: t, hash: hash}
	s.bytes += delta
	return h, nil
}

func (s *Session) get(h uint32) (slot, error) {
	sl, ok := s.tensors[h]
	if !ok {
		return slot{}, fmt.Errorf("%w: %d is not a live tensor handle", ErrBadHandle, h)
	}
	return sl, nil
}

// Tensor returns the tensor behind handle h.
func (s *Session) Tensor(h uint32) (*kernels.Tensor, error) {
	sl, err := s.get(h)
	return sl.t, err
}

func (s *Session) record(e TraceEntry) error {
	if len(s.trace.Entries) >= s.limits.MaxTraceEntries {
		return fmt.Errorf("%w: step %d has %d trace entries (limit %d)", ErrQuota, s.trace.Step, len(s.trace.Entries), s.limits.MaxTraceEntries)
	}
	s.trace.append(e)
	return nil
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
	n, err := s.checkShape(shape)
	if err != nil {
		return 0, err
	}
	if len(data) != 4*n {
		return 0, fmt.Errorf("%w: shape %v needs %d bytes of data, got %d", ErrBadArgument, shape, 4*n, len(data))
	}
	var t *kernels.Tensor
	switch dtype {
	case kernels.Float32:
		f := make([]float32, n)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		t, err = kernels.New(shape, f)
	case kernels.Int32:
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
		t, err = kernels.NewInt32(shape, v)
	default:
		return 0, fmt.Errorf("%w: dtype %d is not float32 (1) or int32 (2)", ErrBadArgument, dtype)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadArgument, err)
	}
	return s.adopt(OpTensorNew, nil, t)
}

// Zeros creates a zero tensor (traced as tensor_new).
func (s *Session) Zeros(dtype kernels.DType, shape []int) (uint32, error) {
	if _, err := s.checkShape(shape); err != nil {
		return 0, err
	}
	return s.NewTensor(dtype, shape, make([]byte, 4*numel(shape)))
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (s *Session) adopt(op Opcode, attrs []uint32, t *kernels.Tensor) (uint32, error) {
	hash := kernels.Hash(t)
	h, err := s.bind(0, t, hash)
	if err != nil {
		return 0, err
	}
	if err := s.record(TraceEntry{Op: op, Attrs: attrs, Outputs: [][32]byte{hash}}); err != nil {
		delete(s.tensors, h)
		s.bytes -= tensorBytes(t)
		return 0, err
	}
	return h, nil
}

// ReadTensor returns the little-endian element bytes of handle h.
func (s *Session) ReadTensor(h uint32) ([]byte, error) {
	sl, err := s.get(h)
	if err != nil {
		return nil, err
	}
	return encodeElements(sl.t), nil
}

// encodeElements returns t's elements as little-endian bytes.
func encodeElements(t *kernels.Tensor) []byte {
	out := make([]byte, 4*t.Len())
	if t.DType() == kernels.Int32 {
		for i, v := range t.Int32s() {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(v))
		}
	} else {
		for i, v := range t.Float32s() {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	}
	return out
}

// Free releases handle h. A handle registered as state cannot be freed.
func (s *Session) Free(h uint32) error {
	sl, err := s.get(h)
	if err != nil {
		return err
	}
	for name, sh := range s.state {
		if sh == h {
			return fmt.Errorf("%w: handle %d is registered as state %q", ErrState, h, name)
		}
	}
	delete(s.tensors, h)
	s.bytes -= tensorBytes(sl.t)
	return nil
}

// FreeMany releases several handles: all of them, or (if any is not a live, unregistered
// tensor, or appears twice) none.
func (s *Session) FreeMany(hs []uint32) error {
	seen := make(map[uint32]bool, len(hs))
	registered := make(map[uint32]string, len(s.state))
	for name, h := range s.state {
		registered[h] = name
	}
	for _, h := range hs {
		if _, err := s.get(h); err != nil {
			return err
		}
		if name, ok := registered[h]; ok {
			return fmt.Errorf("%w: handle %d is registered as state %q", ErrState, h, name)
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

// rebinds says, for an in-place operator with nIn inputs, which input handle each output
// replaces (-1: the output gets a new handle).
func rebinds(op Opcode, nIn int) []int {
	switch op {
	case OpSGD:
		return []int{0, 2}
	case OpAdamW:
		return []int{0, 2, 3}
	case OpClipGradNorm:
		r := []int{-1}
		for i := 0; i < nIn; i++ {
			r = append(r, i)
		}
		return r
	}
	return nil
}

// Op runs operator op on the tensors behind the input handles and returns the handles of
// its new outputs. An in-place operator (SGD, AdamW, ClipGradNorm) rebinds its updated
// inputs' handles to the new values and returns handles only for new tensors (the norm of
// ClipGradNorm). Every call is one trace entry.
func (s *Session) Op(op Opcode, attrWords []uint32, in []uint32) ([]uint32, error) {
	inputs := make([]*kernels.Tensor, len(in))
	hashes := make([][32]byte, len(in))
	for i, h := range in {
		sl, err := s.get(h)
		if err != nil {
			return nil, err
		}
		inputs[i], hashes[i] = sl.t, sl.hash
	}
	// Refuse before allocating when the outputs cannot fit the quota.
	if n := outputBound(op, attrWords, inputs); n > 0 && 4*n > s.limits.MaxTensorBytes-s.bytes {
		return nil, fmt.Errorf("%w: %s would make up to %d output elements (%d bytes); %d of %d tensor bytes are free",
			ErrQuota, op, n, 4*n, s.limits.MaxTensorBytes-s.bytes, s.limits.MaxTensorBytes)
	}
	t0 := time.Now()
	outs, err := Apply(op, attrWords, inputs)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	outHashes := make([][32]byte, len(outs))
	for i, t := range outs {
		outHashes[i] = kernels.Hash(t)
	}
	s.stats.Ops++
	s.stats.KernelTime += t1.Sub(t0)
	s.stats.HashTime += time.Since(t1)
	if err := s.record(TraceEntry{Op: op, Attrs: append([]uint32(nil), attrWords...), Inputs: hashes, Outputs: outHashes}); err != nil {
		return nil, err
	}
	rb := rebinds(op, len(in))
	var handles []uint32
	for i, t := range outs {
		target := uint32(0)
		if rb != nil && rb[i] >= 0 {
			target = in[rb[i]]
		}
		h, err := s.bind(target, t, outHashes[i])
		if err != nil {
			for _, nh := range handles { // undo the new handles of this call
				_ = s.Free(nh)
			}
			return nil, err
		}
		if target == 0 {
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
// goes into the checkpoint. Registering a name again replaces its handle.
func (s *Session) Register(name string, h uint32) error {
	if err := s.checkName("state", name); err != nil {
		return err
	}
	if _, err := s.get(h); err != nil {
		return err
	}
	if _, ok := s.state[name]; !ok && len(s.state) >= s.limits.MaxHandles {
		return fmt.Errorf("%w: %d state names registered (limit %d)", ErrQuota, len(s.state), s.limits.MaxHandles)
	}
	s.state[name] = h
	return nil
}

// SetBlob stores the guest's opaque state blob (part of every checkpoint).
func (s *Session) SetBlob(b []byte) error {
	if len(b) > s.limits.MaxBlobBytes {
		return fmt.Errorf("%w: state blob of %d bytes exceeds %d", ErrQuota, len(b), s.limits.MaxBlobBytes)
	}
	s.blob = append([]byte(nil), b...)
	return nil
}

// Blob returns the current state blob.
func (s *Session) Blob() []byte { return s.blob }

// Checkpoint returns the state after the current step, with its root.
func (s *Session) Checkpoint() *Checkpoint {
	cp := &Checkpoint{Step: s.trace.Step, Tensors: map[string]*kernels.Tensor{}, Blob: s.blob, TraceHead: s.trace.Head}
	leaves := make([]StateLeaf, 0, len(s.state))
	for name, h := range s.state {
		sl := s.tensors[h]
		cp.Tensors[name] = sl.t
		leaves = append(leaves, StateLeaf{Name: name, Hash: sl.hash})
	}
	cp.Root = CheckpointRoot(cp.Step, leaves, cp.Blob, cp.TraceHead)
	return cp
}

// Restore replaces the registered state with a checkpoint's: every registered name must be
// in the checkpoint with the same dtype and shape, and the checkpoint may hold no others.
func (s *Session) Restore(cp *Checkpoint) error {
	if len(cp.Tensors) != len(s.state) {
		return fmt.Errorf("%w: checkpoint has %d state tensors, the task registered %d", ErrState, len(cp.Tensors), len(s.state))
	}
	for name, h := range s.state {
		t, ok := cp.Tensors[name]
		cur := s.tensors[h].t
		if !ok {
			return fmt.Errorf("%w: checkpoint lacks state %q", ErrState, name)
		}
		if t.DType() != cur.DType() || fmt.Sprint(t.Shape()) != fmt.Sprint(cur.Shape()) {
			return fmt.Errorf("%w: state %q is %s%v in the checkpoint, %s%v in the task", ErrState, name, t.DType(), t.Shape(), cur.DType(), cur.Shape())
		}
	}
	for name, h := range s.state {
		t := cp.Tensors[name]
		if _, err := s.bind(h, t, kernels.Hash(t)); err != nil {
			return err
		}
	}
	s.blob = append([]byte(nil), cp.Blob...)
	return nil
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
	b := in.Data[offset : offset+int64(n)]
	nameHash := sha256.Sum256([]byte(name))
	attrs := []uint32{uint32(offset), uint32(offset >> 32), uint32(n)}
	if err := s.record(TraceEntry{Op: OpInputRead, Attrs: attrs, Inputs: [][32]byte{in.Hash, nameHash}, Outputs: [][32]byte{sha256.Sum256(b)}}); err != nil {
		return nil, err
	}
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

// Log passes a guest log line to the side channel.
func (s *Session) Log(line string) {
	if s.logf != nil {
		s.logf(line)
	}
}
