package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/lockstep-ml/lockstep/kernels"
)

// ModuleName is the import module name of the host functions.
const ModuleName = "lockstep"

type sessionKey struct{}

// WithSession returns a context under which guest calls into the host module use s.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// guestMem reads and writes guest memory through wazero's bounds-checked accessors; the
// first failure is kept and turns the call into StatusBadArgument.
type guestMem struct {
	m   api.Memory
	err error
}

func (g *guestMem) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("%w: "+format, append([]any{ErrBadArgument}, args...)...)
	}
}

// bytes returns the n bytes at ptr: a view of guest memory (valid during the call), which
// host functions read from and write into directly, so a copy costs no allocation.
func (g *guestMem) bytes(ptr, n uint32) []byte {
	if g.err != nil {
		return nil
	}
	if g.m == nil {
		g.fail("the module has no memory")
		return nil
	}
	b, ok := g.m.Read(ptr, n)
	if !ok {
		g.fail("range [%d, %d+%d) is outside guest memory of %d bytes", ptr, ptr, n, g.m.Size())
		return nil
	}
	return b
}

// words reads n little-endian u32 values (n is bounded so 4n cannot overflow).
func (g *guestMem) words(ptr, n uint32, max int) []uint32 {
	if int64(n) > int64(max) {
		g.fail("%d values exceed the limit of %d", n, max)
		return nil
	}
	b := g.bytes(ptr, 4*n)
	if b == nil {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
	}
	return out
}

func (g *guestMem) shape(ptr, rank uint32) []int {
	w := g.words(ptr, rank, kernels.MaxRank)
	s := make([]int, len(w))
	for i, d := range w {
		s[i] = int(int32(d))
	}
	return s
}

func (g *guestMem) str(ptr, n uint32, max int) string {
	if int64(n) > int64(max) {
		g.fail("name of %d bytes exceeds %d", n, max)
		return ""
	}
	return string(g.bytes(ptr, n))
}

// writable checks, before a call has any effect, that it can write n bytes at ptr.
func (g *guestMem) writable(ptr, n uint32) {
	if g.err == nil && g.m != nil {
		if _, ok := g.m.Read(ptr, n); !ok {
			g.fail("cannot write %d bytes at %d: outside guest memory of %d bytes", n, ptr, g.m.Size())
		}
	}
}

func (g *guestMem) putU32(ptr, v uint32) {
	if g.err == nil && !g.m.WriteUint32Le(ptr, v) {
		g.fail("cannot write at %d: outside guest memory", ptr)
	}
}

func (g *guestMem) putU64(ptr uint32, v uint64) {
	if g.err == nil && !g.m.WriteUint64Le(ptr, v) {
		g.fail("cannot write at %d: outside guest memory", ptr)
	}
}

// maxOpOperands bounds the handle arrays of one op call.
const maxOpOperands = 4096

// maxAttrWords bounds the attribute words of one op call.
const maxAttrWords = 64

const i32, i64, f64 = api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF64

// hostFunc is one function of the host module: it returns a status.
type hostFunc struct {
	name   string
	params []api.ValueType
	call   func(s *Session, g *guestMem, p []uint64) error
}

func u32(v uint64) uint32 { return api.DecodeU32(v) }

// copyOut writes as much of src as fits in the buffer (p[0], p[1]) and src's full length
// at p[2]: the shape of last_error and state_get_blob.
func copyOut(s *Session, g *guestMem, p []uint64, src []byte) error {
	n := min(uint32(len(src)), u32(p[1]))
	dst := g.bytes(u32(p[0]), n)
	g.writable(u32(p[2]), 4)
	if g.err != nil {
		return g.err
	}
	if err := s.charge(moveCost(int64(n))); err != nil {
		return err
	}
	copy(dst, src)
	g.putU32(u32(p[2]), uint32(len(src)))
	return g.err
}

// Every host function validates all its arguments, and checks that everything it will
// write is writable, before it has any effect: a failed call changes nothing but the
// last error (ABI.md).
var hostFuncs = []hostFunc{
	{"last_error", []api.ValueType{i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		return copyOut(s, g, p, []byte(s.lastErr))
	}},
	{"tensor_new", []api.ValueType{i32, i32, i32, i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		shape := g.shape(u32(p[1]), u32(p[2]))
		data := g.bytes(u32(p[3]), u32(p[4]))
		g.writable(u32(p[5]), 4)
		if g.err != nil {
			return g.err
		}
		h, err := s.NewTensor(kernels.DType(u32(p[0])), shape, data)
		if err != nil {
			return err
		}
		g.putU32(u32(p[5]), h)
		return g.err
	}},
	{"tensor_zeros", []api.ValueType{i32, i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		shape := g.shape(u32(p[1]), u32(p[2]))
		g.writable(u32(p[3]), 4)
		if g.err != nil {
			return g.err
		}
		h, err := s.Zeros(kernels.DType(u32(p[0])), shape)
		if err != nil {
			return err
		}
		g.putU32(u32(p[3]), h)
		return g.err
	}},
	{"tensor_read", []api.ValueType{i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		t, err := s.Tensor(u32(p[0]))
		if err != nil {
			return err
		}
		if int64(u32(p[2])) != tensorBytes(t) {
			return fmt.Errorf("%w: tensor %d has %d bytes, the buffer %d", ErrBadArgument, u32(p[0]), tensorBytes(t), u32(p[2]))
		}
		dst := g.bytes(u32(p[1]), u32(p[2])) // encoded in place: no copy of the tensor
		if g.err != nil {
			return g.err
		}
		return s.ReadTensorInto(u32(p[0]), dst)
	}},
	{"tensor_info", []api.ValueType{i32, i32, i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		t, err := s.Tensor(u32(p[0]))
		if err != nil {
			return err
		}
		shape := t.Shape()
		if uint32(len(shape)) > u32(p[3]) {
			return fmt.Errorf("%w: tensor %d has rank %d, the shape buffer holds %d", ErrBadArgument, u32(p[0]), len(shape), u32(p[3]))
		}
		g.writable(u32(p[1]), 4)
		g.writable(u32(p[2]), 4*uint32(len(shape)))
		g.writable(u32(p[4]), 4)
		if g.err != nil {
			return g.err
		}
		g.putU32(u32(p[1]), uint32(t.DType()))
		for i, d := range shape {
			g.putU32(u32(p[2])+4*uint32(i), uint32(d))
		}
		g.putU32(u32(p[4]), uint32(len(shape)))
		return g.err
	}},
	{"tensor_free", []api.ValueType{i32}, func(s *Session, _ *guestMem, p []uint64) error {
		return s.Free(u32(p[0]))
	}},
	{"tensor_free_many", []api.ValueType{i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		hs := g.words(u32(p[0]), u32(p[1]), s.limits.MaxHandles)
		if g.err != nil {
			return g.err
		}
		return s.FreeMany(hs)
	}},
	{"op", []api.ValueType{i32, i32, i32, i32, i32, i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		op, outCap := Opcode(u32(p[0])), u32(p[6])
		in := g.words(u32(p[1]), u32(p[2]), maxOpOperands)
		attrs := g.words(u32(p[3]), u32(p[4]), maxAttrWords)
		if outCap > maxOpOperands {
			return fmt.Errorf("%w: output capacity %d exceeds %d", ErrBadArgument, outCap, maxOpOperands)
		}
		g.writable(u32(p[5]), 4*outCap)
		g.writable(u32(p[7]), 4)
		if g.err != nil {
			return g.err
		}
		if _, err := lookup(op); err != nil {
			return err
		}
		if n := newOutputs(op, attrs, len(in)); n > int(outCap) {
			return fmt.Errorf("%w: %s makes %d new outputs, the output buffer holds %d", ErrBadArgument, op, n, outCap)
		}
		outs, err := s.Op(op, attrs, in)
		if err != nil {
			return err
		}
		for i, h := range outs {
			g.putU32(u32(p[5])+4*uint32(i), h)
		}
		g.putU32(u32(p[7]), uint32(len(outs)))
		return g.err
	}},
	{"state_register", []api.ValueType{i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		name := g.str(u32(p[0]), u32(p[1]), s.limits.MaxNameBytes)
		if g.err != nil {
			return g.err
		}
		return s.Register(name, u32(p[2]))
	}},
	{"state_set_blob", []api.ValueType{i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		if int64(u32(p[1])) > int64(s.limits.MaxBlobBytes) {
			return fmt.Errorf("%w: state blob of %d bytes exceeds %d", ErrQuota, u32(p[1]), s.limits.MaxBlobBytes)
		}
		b := g.bytes(u32(p[0]), u32(p[1]))
		if g.err != nil {
			return g.err
		}
		return s.SetBlob(b)
	}},
	{"state_get_blob", []api.ValueType{i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		return copyOut(s, g, p, s.blob)
	}},
	{"input_size", []api.ValueType{i32, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		name := g.str(u32(p[0]), u32(p[1]), s.limits.MaxNameBytes)
		g.writable(u32(p[2]), 8)
		if g.err != nil {
			return g.err
		}
		n, err := s.InputSize(name)
		if err != nil {
			return err
		}
		g.putU64(u32(p[2]), uint64(n))
		return g.err
	}},
	{"input_read", []api.ValueType{i32, i32, i64, i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		name := g.str(u32(p[0]), u32(p[1]), s.limits.MaxNameBytes)
		dst := g.bytes(u32(p[3]), u32(p[4]))
		if g.err != nil {
			return g.err
		}
		b, err := s.InputRead(name, int64(p[2]), int(u32(p[4])))
		if err != nil {
			return err
		}
		copy(dst, b)
		return nil
	}},
	{"metric", []api.ValueType{i32, i32, f64}, func(s *Session, g *guestMem, p []uint64) error {
		name := g.str(u32(p[0]), u32(p[1]), s.limits.MaxNameBytes)
		if g.err != nil {
			return g.err
		}
		return s.Metric(name, math.Float64frombits(p[2]))
	}},
	{"output", []api.ValueType{i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		if u32(p[1]) > MaxOutputBytes {
			return fmt.Errorf("%w: output of %d bytes exceeds %d", ErrQuota, u32(p[1]), MaxOutputBytes)
		}
		b := g.bytes(u32(p[0]), u32(p[1]))
		if g.err != nil {
			return g.err
		}
		return s.SetOutput(b)
	}},
	{"log", []api.ValueType{i32, i32}, func(s *Session, g *guestMem, p []uint64) error {
		const maxLine = 4096
		b := g.bytes(u32(p[0]), min(u32(p[1]), maxLine))
		if g.err != nil {
			return g.err
		}
		s.Log(string(b))
		return nil
	}},
}

// invoke runs one host function call for the guest: it pays the call's base cost, runs
// it, and leaves its status in stack[0]. A call that cannot pay for its work panics with
// fuelExhausted, which traps the guest.
func (f hostFunc) invoke(s *Session, mem api.Memory, stack []uint64) {
	t0 := time.Now()
	g := &guestMem{m: mem}
	err := s.charge(callCost)
	if err == nil {
		err = f.call(s, g, stack)
	}
	if errors.Is(err, ErrFuelExhausted) {
		panic(fuelExhausted{})
	}
	status := StatusOK
	if err != nil {
		status = s.fail(f.name, err)
	}
	stack[0] = api.EncodeI32(status)
	s.stats.Calls++
	s.stats.CallTime += time.Since(t0)
}

// Signature describes one host function for import checking.
type Signature struct {
	Params  []api.ValueType
	Results []api.ValueType
}

// Functions returns the host module's functions by name with their signatures.
func Functions() map[string]Signature {
	m := make(map[string]Signature, len(hostFuncs))
	for _, f := range hostFuncs {
		m[f.name] = Signature{Params: f.params, Results: []api.ValueType{i32}}
	}
	return m
}

// Instantiate adds the host module to runtime r. Guest calls find their Session through
// the context of the export call (WithSession); a call without one traps.
func Instantiate(ctx context.Context, r wazero.Runtime) (api.Module, error) {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range hostFuncs {
		f := f
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				s, ok := ctx.Value(sessionKey{}).(*Session)
				if !ok {
					panic(fmt.Errorf("lockstep.%s called outside a task session", f.name))
				}
				f.invoke(s, mod.Memory(), stack)
			}), f.params, []api.ValueType{i32}).
			WithName(f.name).
			Export(f.name)
	}
	return b.Instantiate(ctx)
}
