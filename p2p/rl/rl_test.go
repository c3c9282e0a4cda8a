package rl

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	lsrt "github.com/lockstep-ml/lockstep/runtime"
)

func rlTask(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "../../testdata/tasks/rl/rl.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trainer makes a trainer on a ledger of its own.
func trainer(t testing.TB, cfg Config) (*Trainer, *ledger.Ledger) {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(t.TempDir(), ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	rt, err := lsrt.New(ctx, lsrt.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	tr, err := New(ctx, rt, led, rlTask(t), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr, led
}

func testConfig() Config { return Config{Name: "t", Seed: 7, Warmup: 20} }

var (
	alice = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	bob   = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
)

// A member's rollouts are a function of its state, the round and its address: a second
// node regenerates them bit for bit from the state alone; another address samples others.
func TestGenerateIsReproducible(t *testing.T) {
	ctx := context.Background()
	a, _ := trainer(t, testConfig())
	b, _ := trainer(t, testConfig())
	st, err := a.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ga, err := a.Generate(ctx, st, 1, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	// The second node has only the state, sent as bytes.
	cp, err := lshost.DecodeCheckpoint(lshost.EncodeCheckpoint(st.Checkpoint))
	if err != nil || cp.Root != st.Root() {
		t.Fatalf("the state does not survive its encoding: %v", err)
	}
	gb, err := b.Generate(ctx, &State{Round: 0, Checkpoint: cp}, 1, alice, false)
	if err != nil {
		t.Fatal(err)
	}
	if gb.Root() != ga.Root() || !bytes.Equal(gb.Rows, ga.Rows) {
		t.Fatalf("regenerated rollouts differ: root %x, published %x", gb.Root(), ga.Root())
	}
	gc, err := b.Generate(ctx, &State{Round: 0, Checkpoint: cp}, 1, bob, false)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gc.Rows, ga.Rows) {
		t.Fatal("two members sampled the same rollouts")
	}
	// Generation changes no parameter: only the rollouts (and the guest's blob).
	for name, tn := range st.Checkpoint.Tensors {
		if name != RolloutsLeaf && kernels.Hash(tn) != kernels.Hash(ga.Checkpoint.Tensors[name]) {
			t.Errorf("generation changed %s", name)
		}
	}
}

// Training changes the policy, and its run replays from the ledger to the same root (a
// run that continues a state, calling the train export).
func TestTrainReplays(t *testing.T) {
	ctx := context.Background()
	a, led := trainer(t, testConfig())
	st, err := a.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := a.Generate(ctx, st, 1, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := a.Score(ctx, 1, g.Rows)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := a.Layout()
	if len(scores) != rows {
		t.Fatalf("%d scores for %d rows", len(scores), rows)
	}
	batch, err := a.Batch(g.Rows, nil, scores, 0)
	if err != nil || !bytes.Equal(batch, g.Rows) {
		t.Fatalf("alone, the batch is not the member's own rows: %v", err)
	}
	next, err := a.Train(ctx, g, batch)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for name, tn := range g.Checkpoint.Tensors {
		if kernels.Hash(tn) != kernels.Hash(next.Checkpoint.Tensors[name]) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("training changed nothing")
	}
	for _, run := range []string{g.Run, next.Run} {
		rep, err := runner.OpenReplay(ctx, led, run, lsrt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rep.Range(ctx, 1, 1); err != nil {
			t.Errorf("run %s does not replay: %v", run, err)
		}
		rep.Close(ctx)
	}
	latest, err := a.Latest()
	if err != nil || latest == nil || latest.Root() != next.Root() || latest.Round != 1 {
		t.Fatalf("the ledger's latest state is not round 1's: %v", err)
	}
}

// The batch rule: per question, the member's own first G−J rows, then the J best-scoring
// of its peers' rows of it, ties by peer order and then row order.
func TestBatchRule(t *testing.T) {
	tr := &Trainer{width: 2, rows: 4}
	mk := func(rows ...[2]int32) []byte {
		var b []byte
		for _, r := range rows {
			b = binary.LittleEndian.AppendUint32(b, uint32(r[0]))
			b = binary.LittleEndian.AppendUint32(b, uint32(r[1]))
		}
		return b
	}
	// Two questions, G = 2; token values name the rows.
	own := mk([2]int32{0, 10}, [2]int32{0, 11}, [2]int32{1, 12}, [2]int32{1, 13})
	p1 := mk([2]int32{0, 20}, [2]int32{0, 21}, [2]int32{1, 22}, [2]int32{1, 23})
	p2 := mk([2]int32{0, 30}, [2]int32{0, 31}, [2]int32{1, 32}, [2]int32{1, 33})
	scores := []float32{0, 0, 0, 0, 0.5, 1, 0, 0.2, 1, 0, 0, 0.2}
	got, err := tr.Batch(own, [][]byte{p1, p2}, scores, DefaultTransplant)
	if err != nil {
		t.Fatal(err)
	}
	// q0: own 10, then the best of 20(.5) 21(1) 30(1) 31(0): 21 (peer 1 before peer 2).
	// q1: own 12, then the best of 22(0) 23(.2) 32(0) 33(.2): 23.
	want := mk([2]int32{0, 10}, [2]int32{0, 21}, [2]int32{1, 12}, [2]int32{1, 23})
	if !bytes.Equal(got, want) {
		t.Fatalf("batch %v, want %v", got, want)
	}
	if alone, _ := tr.Batch(own, nil, scores[:4], DefaultTransplant); !bytes.Equal(alone, mk([2]int32{0, 10}, [2]int32{1, 12})) {
		t.Fatalf("alone with J = G/2, the batch is %v", alone)
	}
	if _, err := tr.Batch(own, [][]byte{p1}, scores, 1); err == nil {
		t.Fatal("scores for other rows than given were accepted")
	}
	if _, err := tr.Batch(own, [][]byte{p1, p2}, scores, 3); err == nil {
		t.Fatal("J larger than a group was accepted")
	}
}

// A member that publishes doctored rollouts (its generation's assign altered: the
// test-only fault) loses the Verde game against a node that regenerated them honestly.
func TestDoctoredRolloutsLoseTheirDispute(t *testing.T) {
	ctx := context.Background()
	liar, liarLed := trainer(t, testConfig())
	honest, honestLed := trainer(t, testConfig())
	liar.Fault = Doctor
	st, err := liar.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := liar.Generate(ctx, st, 1, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	good, err := honest.Generate(ctx, &State{Checkpoint: st.Checkpoint}, 1, alice, false)
	if err != nil {
		t.Fatal(err)
	}
	if good.Root() == bad.Root() {
		t.Fatal("the fault changed nothing")
	}
	party := func(led *ledger.Ledger, run string, fault func(*lshost.OpEvent)) verde.Party {
		rep, err := runner.OpenReplay(ctx, led, run, lsrt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rep.Close(ctx) })
		p := verde.NewRunParty(rep)
		p.Fault = fault
		return p
	}
	seed, inputs := honest.GenerateSandbox(1, alice)
	ref := verde.Referee{Sandbox: &verde.Sandbox{Module: honest.Module(), Seed: seed, Inputs: inputs, Call: GenerateExport}}
	ruling, err := ref.Play(ctx, "honest", party(honestLed, good.Run, nil), "liar", party(liarLed, bad.Run, liar.Fault), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ruling.Losers) != 1 || ruling.Losers[0] != "liar" {
		t.Fatalf("ruling %v", ruling)
	}
	if ruling.Op != lshost.OpAssign {
		t.Errorf("the game ended at %s, not at the doctored assign", ruling.Op)
	}
	t.Logf("ruling: %v", ruling)
}
