package diloco

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p/diloco/outer"
	"github.com/lockstep-ml/lockstep/runtime"
)

var cache = filepath.Join(os.TempDir(), "lockstep-test-cache")

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// digits is the quickest task with an AdamW (moments to leave out of the parameters).
func digits(t testing.TB) ([]byte, []host.Input) {
	return read(t, "testdata/tasks/digits/digits.wasm"), []host.Input{host.NewInput("digits.csv.gz", read(t, "testdata/data/digits.csv.gz"))}
}

func newTrainer(t testing.TB, engine runtime.Engine, cfg Config) *Trainer {
	t.Helper()
	ctx := context.Background()
	rt, err := runtime.New(ctx, runtime.Config{Engine: engine, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	wasm, inputs := digits(t)
	tr, err := New(ctx, rt, led, wasm, inputs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var members = []common.Address{common.HexToAddress("0x01"), common.HexToAddress("0x02"), common.HexToAddress("0x03")}

// round runs one round with every member's full (uncompressed) update.
func round(t testing.TB, tr *Trainer, s *State) (*State, [][]float32) {
	t.Helper()
	ctx := context.Background()
	var ups [][]float32
	for _, m := range members {
		u, _, err := tr.Inner(ctx, s, m)
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
	}
	next, err := tr.Outer(ctx, s, ups, nil)
	if err != nil {
		t.Fatal(err)
	}
	return next, ups
}

// The parameters are the leaves that are not optimizer state.
func TestParamsLeaveOutOptimizerState(t *testing.T) {
	tr := newTrainer(t, runtime.DefaultEngine(), DefaultConfig())
	var names []string
	for _, p := range tr.Layout() {
		names = append(names, p.Name)
		if strings.Contains(p.Name, "/m/") || strings.Contains(p.Name, "/v/") {
			t.Errorf("optimizer state %s taken for a parameter", p.Name)
		}
	}
	if len(names) < 4 {
		t.Fatalf("parameters %v: the MLP's weights and biases are missing", names)
	}
}

// The outer step is the mean of the updates, summed in member order, and one Nesterov
// step: recomputed here with the kernels directly, bit for bit.
func TestOuterStepIsMeanAndNesterov(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Inner = 2
	tr := newTrainer(t, runtime.DefaultEngine(), cfg)
	ctx := context.Background()
	s0, err := tr.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s1, ups := round(t, tr, s0)
	s2, ups2 := round(t, tr, s1)
	if s1.Round != 1 || s2.Round != 2 {
		t.Fatalf("rounds %d, %d", s1.Round, s2.Round)
	}
	// The reference: the same arithmetic on the same tensors, outside the sandbox.
	ref := map[string]*kernels.Tensor{}
	for _, p := range tr.Layout() {
		ref[p.Name] = s0.Checkpoint.Tensors[p.Name].Clone()
		ref["outer/v/"+p.Name] = must(kernels.Zeros(p.Shape...))
	}
	for r, us := range [][][]float32{ups, ups2} {
		off := 0
		for _, p := range tr.Layout() {
			var sum *kernels.Tensor
			for _, u := range us {
				x := must(kernels.New(p.Shape, append([]float32(nil), u[off:off+p.Size()]...)))
				if sum == nil {
					sum = x
				} else {
					sum = must(kernels.Add(sum, x))
				}
			}
			g := must(kernels.Scale(sum, float32(1)/float32(len(us))))
			if err := kernels.SGD(ref[p.Name], g, ref["outer/v/"+p.Name], kernels.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, Nesterov: true}); err != nil {
				t.Fatal(err)
			}
			off += p.Size()
		}
		got := []*State{s1, s2}[r]
		for name, want := range ref {
			if !kernels.Equal(got.Checkpoint.Tensors[name], want) {
				t.Fatalf("round %d: %s differs from the mean-and-Nesterov reference", r+1, name)
			}
		}
	}
	// The update is before minus after: all members moved the parameters.
	for i, u := range ups {
		if norm(u) == 0 {
			t.Errorf("member %d made no update", i)
		}
	}
}

func must(t *kernels.Tensor, err error) *kernels.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

func norm(u []float32) float64 {
	s := 0.0
	for _, x := range u {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// Members on different engines (and ledgers) agree on every root; each member's data
// differ (so do their updates); a state loaded from its bytes has the same root.
func TestRoundsAgreeAcrossEngines(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Inner = 3
	ctx := context.Background()
	a, b := newTrainer(t, runtime.EngineInterpreter, cfg), newTrainer(t, runtime.DefaultEngine(), cfg)
	sa, err := a.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 2; r++ {
		if sa.Root() != sb.Root() {
			t.Fatalf("round %d: roots %x and %x", sa.Round, sa.Root(), sb.Root())
		}
		var ups [][]float32
		sa, ups = round(t, a, sa)
		sb, _ = round(t, b, sb)
		if norm(ups[0]) == norm(ups[1]) {
			t.Fatal("two members made the same update: their data are not their own")
		}
	}
	if sa.Root() != sb.Root() {
		t.Fatalf("round %d: roots differ", sa.Round)
	}
	raw, err := a.StateBytes(sa)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := b.Load(ctx, sa.Round, raw)
	if err != nil || loaded.Root() != sa.Root() {
		t.Fatalf("a state loaded from its bytes: %v, root equal %v", err, err == nil && loaded.Root() == sa.Root())
	}
	if _, err := b.Load(ctx, sa.Round, raw[:len(raw)-4]); err == nil {
		t.Fatal("a truncated state loaded")
	}
	// The ledger holds each outer step as a run of the outer module.
	meta, err := a.led.Run(sa.Run)
	if err != nil || meta.Label != a.OuterLabel(sa.Round) || meta.Inputs[outer.UpdateName(len(members)-1)] == "" {
		t.Fatalf("the outer run in the ledger: %+v %v", meta, err)
	}
	// Pruning keeps the rounds from keepFrom on; the newest state is still there.
	if n, err := a.Prune(sa.Round); err != nil || n != int(sa.Round) {
		t.Fatalf("pruning removed %d runs (%v), want the %d before round %d", n, err, sa.Round, sa.Round)
	}
	if _, ok, _ := a.OuterRun(sa.Round - 1); ok {
		t.Fatal("a pruned round is still in the ledger")
	}
	if latest, err := a.Latest(); err != nil || latest == nil || latest.Root() != sa.Root() {
		t.Fatalf("after pruning, the newest state: %v", err)
	}
	// A faulty member's outer step gives another root.
	a.Fault = func(ev *host.OpEvent) {
		if ev.Op == host.OpSGD && len(ev.Outputs) > 0 {
			ev.Outputs[0] = must(kernels.Scale(ev.Outputs[0], 1.0001))
		}
	}
	bad, _ := round(t, a, sa)
	good, _ := round(t, b, sb)
	if bad.Root() == good.Root() {
		t.Fatal("the fault hook changed nothing")
	}
}

// Training together lowers the held-out loss.
func TestRoundsLowerTheLoss(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Inner = 10
	tr := newTrainer(t, runtime.DefaultEngine(), cfg)
	ctx := context.Background()
	s, err := tr.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.Eval(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 3; r++ {
		s, _ = round(t, tr, s)
	}
	last, err := tr.Eval(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out metrics: %v before, %v after 3 rounds", first, last)
	if !(last["loss"] < first["loss"]*0.8) {
		t.Fatalf("held-out loss %v after 3 rounds, %v before", last["loss"], first["loss"])
	}
}
