package verde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/runtime"
)

const steps = 24

// cache is the compiled-module cache the tests' runtimes share: each party compiles
// logreg once, not twice per flip.
var cache = func() string {
	d, err := os.MkdirTemp("", "lockstep-verde-test-")
	if err != nil {
		panic(err)
	}
	return d
}()

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

var logreg = func() []byte {
	b, err := os.ReadFile("../../testdata/tasks/logreg/logreg.wasm")
	if err != nil {
		panic(err)
	}
	return b
}()

// flip is a fault: one bit of one output element of the first operator call at or after
// entry seq of step step. It records where it struck.
type flip struct {
	step      uint64
	seq       int
	elem, bit int
	struckSeq int // -1 until it struck
}

func (f *flip) apply(ev *host.OpEvent) {
	if ev.Op == host.OpTensorNew { // a fault in the operators, not in the guest's data
		return
	}
	if ev.Step != f.step || ev.Seq < f.seq || (f.struckSeq >= 0 && ev.Seq != f.struckSeq) || len(ev.Outputs) == 0 {
		return
	}
	t := ev.Outputs[0]
	if t.Len() == 0 {
		return
	}
	f.struckSeq = ev.Seq
	i := f.elem % t.Len()
	var c *kernels.Tensor
	if t.DType() == kernels.Int32 {
		v := append([]int32(nil), t.Int32s()...)
		v[i] ^= 1 << f.bit
		c, _ = kernels.NewInt32(t.Shape(), v)
	} else {
		v := append([]float32(nil), t.Float32s()...)
		v[i] = math.Float32frombits(math.Float32bits(v[i]) ^ 1<<f.bit)
		c, _ = kernels.New(t.Shape(), v)
	}
	ev.Outputs = append([]*kernels.Tensor{c}, ev.Outputs[1:]...)
}

// party trains logreg for steps steps into a fresh ledger (checkpoints every 8), with fault
// applied to every operator call if it is not nil, and returns a party answering for the
// run, computing the same fault whenever it recomputes.
func party(t *testing.T, fault func(*host.OpEvent)) *RunParty {
	return partyFor(t, logregTask, faults{op: fault})
}

// task is what a party trains: steps steps, a full checkpoint every every.
type task struct {
	wasm         []byte
	inputs       []host.Input
	seed         uint64
	steps, every uint64
}

var logregTask = task{wasm: logreg, seed: 9, steps: steps, every: 8}

// faults are what a dishonest party changes, in training and whenever it recomputes.
type faults struct {
	op    func(*host.OpEvent)
	step  func(*host.Session, uint64)
	input func(string, int64, []byte) []byte
	skip  uint64 // a step training skips: the state before it is committed again under its number
}

func partyFor(t testing.TB, tk task, f faults) *RunParty {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Load(ctx, tk.wasm)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := led.CreateRun(ledger.RunMeta{Seed: tk.seed, Engine: string(rt.Engine()), Fuel: runtime.DefaultConfig().Fuel, Every: tk.every, Steps: tk.steps, Created: time.Now()}, tk.wasm, tk.inputs)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := m.Instantiate(ctx, tk.seed, tk.inputs)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	sess := inst.Session()
	sess.SetOpHook(f.op)
	if f.step != nil {
		sess.SetStepHook(func(s uint64) { f.step(sess, s) })
	}
	sess.SetInputHook(f.input)
	run := runner.New(led, meta, inst, runner.Options{CheckpointEvery: tk.every})
	if _, err := run.Init(ctx); err != nil {
		t.Fatal(err)
	}
	for s := uint64(1); s <= tk.steps; s++ {
		if s == f.skip {
			sess.BeginStep(s)
			if err := run.Commit(sess.Checkpoint(), s == tk.steps); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := run.Step(ctx, s, s == tk.steps); err != nil {
			t.Fatal(err)
		}
	}
	r, err := runner.OpenReplay(ctx, led, meta.ID, runtime.Config{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	p := NewRunParty(r)
	p.Fault, p.StepFault, p.InputFault = f.op, f.step, f.input
	return p
}

// controlBound is the rounds of a dispute over logreg's steps settled by re-running the
// guest (cases b and c): ceil(log2 steps) + ceil(log2 entries) + 3.
var controlBound = bits.Len(uint(steps-1)) + bits.Len(uint(12-1)) + 3

func randomFlip(rng *rand.Rand) *flip {
	return &flip{step: 1 + rng.Uint64N(steps), seq: rng.IntN(10), elem: rng.IntN(1 << 20), bit: rng.IntN(32), struckSeq: -1}
}

// A party that flipped one bit of one operator output loses, whichever side it plays, and
// the ruling names exactly the step and entry of the flip; binary bisection takes at most
// ceil(log2 steps) + ceil(log2 entries) + 2 rounds, and the referee runs one operator.
func TestBitFlipCheaterLoses(t *testing.T) {
	ctx := context.Background()
	n := 100
	if testing.Short() {
		n = 12
	}
	honest := party(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	disputed, harmless := 0, 0
	for i := 0; i < n; i++ {
		f := randomFlip(rng)
		cheat := party(t, f.apply)
		for _, honestFirst := range []bool{true, false} {
			var r *Ruling
			var err error
			if honestFirst {
				r, err = Referee{}.Play(ctx, "honest", honest, "cheat", cheat, steps)
			} else {
				r, err = Referee{}.Play(ctx, "cheat", cheat, "honest", honest, steps)
			}
			if errors.Is(err, ErrNoDispute) {
				harmless++ // the flipped value never reached the state (a loss, say)
				continue
			}
			if err != nil {
				t.Fatalf("flip %+v: %v", f, err)
			}
			disputed++
			entries := 12 // logreg's steps have at most 11 entries and the binding one
			bound := bits.Len(uint(steps-1)) + bits.Len(uint(entries-1)) + 2
			if r.Step != f.step || r.Entry != f.struckSeq || r.Case != CaseOutput || len(r.Losers) != 1 || r.Losers[0] != "cheat" || r.Rounds > bound || r.KernelOps != 1 {
				t.Errorf("flip at step %d entry %d (bit %d): ruling %v, %d rounds (bound %d)", f.step, f.struckSeq, f.bit, r, r.Rounds, bound)
			}
		}
	}
	t.Logf("%d disputes settled, %d flips never reached the state", disputed, harmless)
	if disputed < n {
		t.Errorf("only %d of %d flips were disputed", disputed, 2*n)
	}
}

// Two parties that flipped different bits of the same output both lose.
func TestBothLiarsLose(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 4; i++ {
		f := randomFlip(rng)
		g := *f
		g.bit = (f.bit + 1 + rng.IntN(30)) % 32
		a, b := party(t, f.apply), party(t, g.apply)
		r, err := Referee{}.Play(ctx, "a", a, "b", b, steps)
		if errors.Is(err, ErrNoDispute) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Step != f.step || r.Entry != f.struckSeq || len(r.Losers) != 2 {
			t.Errorf("flips of bits %d and %d at step %d entry %d: ruling %v", f.bit, g.bit, f.step, f.struckSeq, r)
		}
	}
}

// A ruling file re-checks offline; one byte changed anywhere is refuted, and so is a
// verdict rewritten with its digest made to match.
func TestRulingFileChecks(t *testing.T) {
	ctx := context.Background()
	honest := party(t, nil)
	var r *Ruling
	rng := rand.New(rand.NewPCG(5, 6))
	for r == nil {
		f := randomFlip(rng)
		var err error
		r, err = Referee{}.Play(ctx, "honest", honest, "cheat", party(t, f.apply), steps)
		if err != nil && !errors.Is(err, ErrNoDispute) {
			t.Fatal(err)
		}
	}
	file := r.File(Task{Module: "logreg", Seed: 9})
	b := file.Encode()
	f, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	what, err := CheckFile(f)
	if err != nil {
		t.Fatalf("the referee's own ruling is refuted: %v", err)
	}
	t.Logf("%d bytes; checked: %s", len(b), what)
	for i := 0; i < 200; i++ {
		c := append([]byte(nil), b...)
		pos := rng.IntN(len(c))
		c[pos] ^= byte(1 + rng.IntN(255))
		if f, err := ParseFile(c); err == nil {
			if _, err := CheckFile(f); err == nil {
				t.Fatalf("byte %d changed (%q), and the ruling still checks", pos, c[max(0, pos-20):min(len(c), pos+20)])
			}
		}
	}
	// A rewritten verdict with a fresh digest: the replay refutes it.
	f.Losers = []string{"honest"}
	if g, err := ParseFile(f.Encode()); err != nil {
		t.Fatal(err)
	} else if _, err := CheckFile(g); err == nil {
		t.Fatal("a ruling against the honest party checks")
	}
}

// attrFault changes one attribute word of the first operator call with attributes at or
// after entry seq of step step, and computes the call with it: the trace records the
// changed attribute (the event's attributes are the call's).
type attrFault struct {
	step      uint64
	seq, bit  int
	struckSeq int
}

func (f *attrFault) apply(ev *host.OpEvent) {
	if ev.Step != f.step || ev.Seq < f.seq || len(ev.Attrs) == 0 || (f.struckSeq >= 0 && ev.Seq != f.struckSeq) {
		return
	}
	saved := ev.Attrs[0]
	ev.Attrs[0] ^= 1 << f.bit
	outs, err := host.Apply(ev.Op, ev.Attrs, ev.Inputs)
	if err != nil || len(outs) != len(ev.Outputs) {
		ev.Attrs[0] = saved // not a call this attribute can change
		return
	}
	f.struckSeq = ev.Seq
	ev.Outputs = outs
}

func referee(t *testing.T) *Sandbox { return refereeFor(t, logregTask) }

func refereeFor(t *testing.T, tk task) *Sandbox {
	t.Helper()
	ctx := context.Background()
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.Load(ctx, tk.wasm)
	if err != nil {
		t.Fatal(err)
	}
	return &Sandbox{Module: m, Seed: tk.seed, Inputs: tk.inputs}
}

// A party that ran one call with a changed attribute (and says so in its trace) loses: the
// referee re-runs the guest's code for the step against the agreed prefix, sees the call
// the guest really makes, and runs at most one kernel.
func TestChangedAttributeLoses(t *testing.T) {
	ctx := context.Background()
	n := 100
	if testing.Short() {
		n = 6
	}
	honest, sb := party(t, nil), referee(t)
	rng := rand.New(rand.NewPCG(11, 12))
	disputed := 0
	for i := 0; i < n; i++ {
		f := &attrFault{step: 1 + rng.Uint64N(steps), seq: rng.IntN(10), bit: rng.IntN(32), struckSeq: -1}
		cheat := party(t, f.apply)
		for _, honestFirst := range []bool{true, false} {
			ref := Referee{Sandbox: sb}
			var r *Ruling
			var err error
			if honestFirst {
				r, err = ref.Play(ctx, "honest", honest, "cheat", cheat, steps)
			} else {
				r, err = ref.Play(ctx, "cheat", cheat, "honest", honest, steps)
			}
			if errors.Is(err, ErrNoDispute) {
				continue
			}
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			disputed++
			if r.Step != f.step || r.Entry != f.struckSeq || r.Case != CaseControl || len(r.Losers) != 1 || r.Losers[0] != "cheat" || r.KernelOps > 1 || r.Rounds > controlBound {
				t.Errorf("attribute bit %d changed at step %d entry %d: ruling %v (kernels %d, %d rounds)", f.bit, f.step, f.struckSeq, r, r.KernelOps, r.Rounds)
			}
		}
	}
	t.Logf("%d disputes over a changed attribute settled", disputed)
	if disputed == 0 {
		t.Error("no changed attribute reached the state")
	}
}

// rootLiar answers as its party does, but claims another root for one step.
type rootLiar struct {
	*RunParty
	step uint64
}

func (l rootLiar) Roots(ctx context.Context, steps []uint64) ([][32]byte, error) {
	r, err := l.RunParty.Roots(ctx, steps)
	for i, s := range steps {
		if err == nil && s == l.step {
			r[i][0] ^= 1
		}
	}
	return r, err
}

// A party that computed honestly but claims another final root contradicts its own trace's
// binding entry and loses, at the last step's binding entry.
func TestFinalRootLiarLoses(t *testing.T) {
	ctx := context.Background()
	honest := party(t, nil)
	liar := rootLiar{party(t, nil), steps}
	for _, ref := range []Referee{{}, {Sandbox: referee(t)}} {
		r, err := ref.Play(ctx, "liar", liar, "honest", honest, steps)
		if err != nil {
			t.Fatal(err)
		}
		if r.Step != steps || r.Op != host.OpStateRoot || len(r.Losers) != 1 || r.Losers[0] != "liar" {
			t.Errorf("ruling %v", r)
		}
	}
}

// serve runs p behind one end of an in-process connection and returns the other end as a
// Remote party.
func serve(t *testing.T, p Party, timeout time.Duration) *Remote {
	t.Helper()
	client, server := net.Pipe()
	go Serve(context.Background(), p, server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return NewRemote(client, timeout)
}

// Over the wire encoding the game reaches the same rulings; a party that does not answer
// within its deadline, or answers with garbage, loses.
func TestGameOverTheWire(t *testing.T) {
	ctx := context.Background()
	honest, sb := party(t, nil), referee(t)
	rng := rand.New(rand.NewPCG(21, 22))
	found := 0
	for found < 2 {
		var cheat *RunParty
		var want struckAt
		if found == 0 {
			f := randomFlip(rng)
			cheat, want = party(t, f.apply), struckAt{f.step, &f.struckSeq, CaseOutput}
		} else {
			f := &attrFault{step: 1 + rng.Uint64N(steps), seq: rng.IntN(10), bit: rng.IntN(32), struckSeq: -1}
			cheat, want = party(t, f.apply), struckAt{f.step, &f.struckSeq, CaseControl}
		}
		direct, err := Referee{Sandbox: sb}.Play(ctx, "honest", honest, "cheat", cheat, steps)
		if errors.Is(err, ErrNoDispute) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		a, b := serve(t, honest, 10*time.Second), serve(t, cheat, 10*time.Second)
		wired, err := Referee{Sandbox: sb}.Play(ctx, "honest", a, "cheat", b, steps)
		if err != nil {
			t.Fatal(err)
		}
		if wired.String() != direct.String() || wired.Step != want.step || wired.Entry != *want.seq || wired.Case != want.c {
			t.Errorf("over the wire: %v; directly: %v", wired, direct)
		}
		t.Logf("%s: %d rounds, %d bytes counted, %d and %d bytes on the wire", wired.Case, wired.Rounds, wired.Bytes, a.Received+a.Sent, b.Received+b.Sent)
		found++
	}
	// A party that never answers loses at its deadline; so does one that sends garbage.
	silentClient, silentServer := net.Pipe()
	defer silentClient.Close()
	defer silentServer.Close()
	go io.Copy(io.Discard, silentServer)
	r, err := Referee{}.Play(ctx, "silent", NewRemote(silentClient, 200*time.Millisecond), "honest", honest, steps)
	if err != nil || r.Case != CaseUnanswered || len(r.Losers) != 1 || r.Losers[0] != "silent" {
		t.Errorf("a silent party: %v %v", r, err)
	}
	garbageClient, garbageServer := net.Pipe()
	defer garbageClient.Close()
	defer garbageServer.Close()
	go func() {
		var n [4]byte
		io.ReadFull(garbageServer, n[:])
		io.CopyN(io.Discard, garbageServer, int64(binary.BigEndian.Uint32(n[:])))
		garbageServer.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, 'x'}) // a 4 GiB frame, announced
	}()
	r, err = Referee{}.Play(ctx, "honest", honest, "garbage", NewRemote(garbageClient, time.Second), steps)
	if err != nil || r.Case != CaseUnanswered || len(r.Losers) != 1 || r.Losers[0] != "garbage" {
		t.Errorf("a party sending garbage: %v %v", r, err)
	}
}

type struckAt struct {
	step uint64
	seq  *int
	c    Case
}

// A party whose state was tampered with between two steps (after it committed the first)
// loses at the second: its first call that reads the tampered tensor has other inputs
// than the guest's code, re-run from the agreed state, makes.
func TestTamperedStateLoses(t *testing.T) {
	ctx := context.Background()
	honest, sb := party(t, nil), referee(t)
	rng := rand.New(rand.NewPCG(31, 32))
	disputed, n := 0, 100
	if testing.Short() {
		n = 3
	}
	for i := 0; i < n; i++ {
		at, bit := 2+rng.Uint64N(steps-1), rng.IntN(23)
		tamper := func(sess *host.Session, s uint64) {
			if s != at {
				return
			}
			cp := sess.Checkpoint()
			names := slices.Sorted(maps.Keys(cp.Tensors))
			x := cp.Tensors[names[0]]
			v := append([]float32(nil), x.Float32s()...)
			v[0] = math.Float32frombits(math.Float32bits(v[0]) ^ 1<<bit)
			cp.Tensors[names[0]], _ = kernels.New(x.Shape(), v)
			if err := sess.Restore(cp); err != nil {
				panic(err)
			}
		}
		cheat := partyFor(t, logregTask, faults{step: tamper})
		r, err := Referee{Sandbox: sb}.Play(ctx, "cheat", cheat, "honest", honest, steps)
		if errors.Is(err, ErrNoDispute) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		disputed++
		if r.Step != at || r.Case != CaseControl || len(r.Losers) != 1 || r.Losers[0] != "cheat" {
			t.Errorf("state tampered before step %d: ruling %v", at, r)
		}
	}
	if disputed == 0 {
		t.Error("no tampering reached a dispute")
	}
	t.Logf("%d of %d tamperings disputed and settled", disputed, n)
}

// A party that fed the task different data (a corrupted copy of its input, under the
// input's hash) loses at the first step whose batch differs: the guest's code, re-run by
// the referee on the true input, makes another tensor.
func TestDifferentDataLoses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains charlm for several parties; skipped in -short mode")
	}
	ctx := context.Background()
	wasm, err := os.ReadFile("../../testdata/tasks/charlm/charlm.wasm")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("../../testdata/data/opticks.txt")
	if err != nil {
		t.Fatal(err)
	}
	tk := task{wasm: wasm, inputs: []host.Input{host.NewInput("opticks.txt", text)}, seed: 2, steps: steps, every: 8}
	honest, sb := partyFor(t, tk, faults{}), refereeFor(t, tk)
	for _, stride := range []int64{97, 331, 1009} {
		corrupt := func(name string, offset int64, b []byte) []byte {
			c := append([]byte(nil), b...)
			for i := range c {
				if (offset+int64(i))%stride == 0 && c[i] >= 'a' && c[i] <= 'z' {
					c[i] = 'a' + (c[i]-'a'+1)%26
				}
			}
			return c
		}
		cheat := partyFor(t, tk, faults{input: corrupt})
		r, err := Referee{Sandbox: sb}.Play(ctx, "honest", honest, "cheat", cheat, steps)
		if err != nil {
			t.Fatal(err)
		}
		if r.Case != CaseControl || len(r.Losers) != 1 || r.Losers[0] != "cheat" || r.Op != host.OpTensorNew {
			t.Errorf("every %d-th letter changed: ruling %v", stride, r)
		}
		t.Logf("every %d-th letter changed: %v", stride, r)
	}
}

// A party that ran another kernel for one call (sub where the trace says add) loses: the
// referee replays the traced operator on the agreed inputs.
func TestSubstitutedKernelLoses(t *testing.T) {
	ctx := context.Background()
	honest := party(t, nil)
	rng := rand.New(rand.NewPCG(51, 52))
	n := 100
	if testing.Short() {
		n = 3
	}
	for i := 0; i < n; i++ {
		at := 1 + rng.Uint64N(steps)
		sub := func(ev *host.OpEvent) {
			if ev.Step == at && ev.Op == host.OpAdd {
				if outs, err := host.Apply(host.OpSub, ev.Attrs, ev.Inputs); err == nil {
					ev.Outputs = outs
				}
			}
		}
		r, err := Referee{}.Play(ctx, "honest", honest, "cheat", party(t, sub), steps)
		if errors.Is(err, ErrNoDispute) {
			continue // sub equals add where the bias is still zero (step 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Step != at || r.Op != host.OpAdd || r.Case != CaseOutput || len(r.Losers) != 1 || r.Losers[0] != "cheat" {
			t.Errorf("sub for add at step %d: ruling %v", at, r)
		}
	}
}

// lazyParty skipped step skip: it committed the state before it again under the step's
// number, and answers about that step with the trace such a node has: its binding entry
// alone.
type lazyParty struct {
	*RunParty
	skip uint64
}

// lazyStep is what the lazy party says step skip was: no calls, the state unchanged.
func (l lazyParty) lazyStep(ctx context.Context) (*host.Trace, *host.Checkpoint, error) {
	cp, _, _, err := l.r.Step(ctx, l.skip-1, false)
	if err != nil {
		return nil, nil, err
	}
	root := host.CheckpointRoot(l.skip, cp.Leaves(), cp.Blob)
	e := host.BindingEntry(root, cp.Leaves(), cp.Blob)
	head := host.ChainNext(host.TraceStart(l.skip), e)
	return &host.Trace{Step: l.skip, Head: head, Entries: []host.TraceEntry{e}, Heads: [][32]byte{head}}, cp, nil
}

func (l lazyParty) Commit(ctx context.Context, s uint64) ([32]byte, int, error) {
	if s != l.skip {
		return l.RunParty.Commit(ctx, s)
	}
	tr, _, err := l.lazyStep(ctx)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return tr.Head, 1, nil
}

func (l lazyParty) Heads(ctx context.Context, s uint64, entries []int) ([][32]byte, error) {
	if s != l.skip {
		return l.RunParty.Heads(ctx, s, entries)
	}
	tr, _, err := l.lazyStep(ctx)
	if err != nil {
		return nil, err
	}
	var out [][32]byte
	for _, e := range entries {
		if e != 0 {
			return nil, fmt.Errorf("no entry %d", e)
		}
		out = append(out, tr.Head)
	}
	return out, nil
}

func (l lazyParty) Entry(ctx context.Context, s uint64, k int) (Revealed, error) {
	if s != l.skip {
		return l.RunParty.Entry(ctx, s, k)
	}
	tr, _, err := l.lazyStep(ctx)
	if err != nil || k != 0 {
		return Revealed{}, fmt.Errorf("no entry %d (%v)", k, err)
	}
	return Revealed{Entry: tr.Entries[0]}, nil
}

func (l lazyParty) Material(ctx context.Context, s uint64, k int) (Material, error) {
	if s != l.skip {
		return l.RunParty.Material(ctx, s, k)
	}
	_, cp, err := l.lazyStep(ctx)
	if err != nil || k != 0 {
		return Material{}, fmt.Errorf("no material for entry %d (%v)", k, err)
	}
	return Material{State: cp}, nil
}

// A node that skipped a step (and committed the state before it again) loses at that step:
// the guest's code, re-run from the agreed state, makes a call where the lazy trace ends.
func TestSkippedStepLoses(t *testing.T) {
	ctx := context.Background()
	honest, sb := party(t, nil), referee(t)
	rng := rand.New(rand.NewPCG(41, 42))
	n := 100
	if testing.Short() {
		n = 5
	}
	for i := 0; i < n; i++ {
		skip := 1 + rng.Uint64N(steps)
		// Its ledger: the honest run to skip-1, then the same state committed as step skip,
		// then the task going on from that state.
		lazy := lazyParty{partyFor(t, logregTask, faults{skip: skip}), skip}
		r, err := Referee{Sandbox: sb}.Play(ctx, "honest", honest, "lazy", lazy, steps)
		if err != nil {
			t.Fatalf("skip %d: %v", skip, err)
		}
		if r.Step != skip || r.Entry != 0 || r.Case != CaseControl || len(r.Losers) != 1 || r.Losers[0] != "lazy" || r.KernelOps > 1 || r.Rounds > controlBound {
			t.Errorf("step %d skipped: ruling %v", skip, r)
		}
	}
}

// A party that fed the task other data (one value of one tensor the guest made, changed)
// loses at exactly that step and entry: the guest's code, re-run by the referee, makes the
// tensor from its own data.
func TestChangedGuestDataLoses(t *testing.T) {
	ctx := context.Background()
	honest, sb := party(t, nil), referee(t)
	rng := rand.New(rand.NewPCG(61, 62))
	n := 100
	if testing.Short() {
		n = 4
	}
	disputed := 0
	for i := 0; i < n; i++ {
		at, bit, struck := 1+rng.Uint64N(steps), rng.IntN(23), -1
		change := func(ev *host.OpEvent) {
			if ev.Step != at || ev.Op != host.OpTensorNew || (struck >= 0 && ev.Seq != struck) || ev.Outputs[0].Len() == 0 || ev.Outputs[0].DType() != kernels.Float32 {
				return
			}
			struck = ev.Seq
			v := append([]float32(nil), ev.Outputs[0].Float32s()...)
			v[0] = math.Float32frombits(math.Float32bits(v[0]) ^ 1<<bit)
			ev.Outputs[0], _ = kernels.New(ev.Outputs[0].Shape(), v)
		}
		r, err := Referee{Sandbox: sb}.Play(ctx, "cheat", party(t, change), "honest", honest, steps)
		if errors.Is(err, ErrNoDispute) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		disputed++
		if r.Step != at || r.Entry != struck || r.Op != host.OpTensorNew || r.Case != CaseControl || len(r.Losers) != 1 || r.Losers[0] != "cheat" || r.Rounds > controlBound {
			t.Errorf("data changed at step %d entry %d: ruling %v", at, struck, r)
		}
	}
	if disputed == 0 {
		t.Error("no changed data reached the state")
	}
	t.Logf("%d of %d data changes disputed and settled", disputed, n)
}
