package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

func openTest(t *testing.T, dir string) *Ledger {
	t.Helper()
	l, err := Open(dir, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fakeCheckpoint makes a checkpoint of step s with one changing and one constant tensor.
func fakeCheckpoint(t *testing.T, s uint64) *host.Checkpoint {
	w, _ := kernels.New([]int{3}, []float32{float32(s), 2, 3})
	c, _ := kernels.New([]int{2}, []float32{7, 7})
	cp := &host.Checkpoint{Step: s, Tensors: map[string]*kernels.Tensor{"w": w, "const": c}, Blob: []byte{byte(s)}}
	cp.Root = host.CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	return cp
}

func TestCommitVerifyAndReopen(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	module := []byte("\x00asm module bytes")
	meta, err := l.CreateRun(RunMeta{Seed: 3, Engine: "compiler", Every: 2, Created: time.Unix(100, 0)}, module, []host.Input{host.NewInput("data", []byte("abc"))})
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s <= 5; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), s%2 == 0, time.Unix(int64(200+s), 0)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()

	l = openTest(t, dir) // everything survives a reopen
	defer l.Close()
	rep, err := l.Verify(meta.ID)
	if err != nil || !rep.OK() || rep.Steps != 6 || rep.Checkpoints != 3 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	got, err := l.Module(meta)
	if err != nil || string(got) != string(module) {
		t.Fatalf("module: %q %v", got, err)
	}
	ins, err := l.Inputs(meta)
	if err != nil || len(ins) != 1 || string(ins[0].Data) != "abc" {
		t.Fatalf("inputs: %v %v", ins, err)
	}
	cpStep, root, last, err := l.LatestCheckpoint(meta.ID)
	if err != nil || cpStep != 4 || last != 5 || root != fakeCheckpoint(t, 4).Root {
		t.Fatalf("latest checkpoint: step %d last %d %v", cpStep, last, err)
	}
	cp, err := l.Checkpoint(root)
	if err != nil || !kernels.Equal(cp.Tensors["w"], fakeCheckpoint(t, 4).Tensors["w"]) {
		t.Fatalf("checkpoint: %v", err)
	}
	// The constant tensor is stored once across the three checkpoints.
	n := 0
	l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("tensor/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if n != 4 { // w at steps 0, 2, 4, and const once
		t.Fatalf("%d tensors stored, want 4 (content-addressed)", n)
	}
}

// A record altered in the store no longer carries its node's signature.
func TestTamperedRecordFailsVerification(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	meta, _ := l.CreateRun(RunMeta{Created: time.Unix(1, 0)}, []byte("m"), nil)
	rec, err := l.Commit(meta.ID, fakeCheckpoint(t, 0), false, time.Unix(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	rec.Root[0] ^= 1 // claim another root, keep the old signature
	l.db.Update(func(txn *badger.Txn) error {
		js := []byte(`{"run":"` + meta.ID + `","step":0,"root":` + jsonArray(rec.Root) + `,"time":2000000000,"checkpoint":false,"signature":"` + b64(rec.Signature) + `"}`)
		return txn.Set(stepKey(meta.ID, 0), js)
	})
	rep, err := l.Verify(meta.ID)
	if err != nil || rep.OK() {
		t.Fatalf("tampered record verified: %+v %v", rep, err)
	}
	if _, err := l.Run("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
}

// A second opener of the same ledger gets a clear error, not Badger's.
func TestLedgerInUse(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	defer l.Close()
	if _, err := Open(dir, DefaultOptions()); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v", err)
	}
}
