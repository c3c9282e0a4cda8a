package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockstep-ml/lockstep/host"
)

func countKeys(t *testing.T, l *Ledger, prefix string) int {
	t.Helper()
	n := 0
	l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

// Two runs that store the same checkpoint (the same task, seed and inputs) share it:
// pruning or removing one run keeps it for the other, and the last one frees it.
func TestSharedCheckpointOutlivesOneRun(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	inputs := []host.Input{host.NewInput("data", []byte("shared")), host.NewInput("extra", []byte("only a's"))}
	a, _ := l.CreateRun(RunMeta{Created: time.Unix(1, 0)}, []byte("m"), inputs)
	b, _ := l.CreateRun(RunMeta{Created: time.Unix(2, 0)}, []byte("m"), inputs[:1])
	c, _ := l.CreateRun(RunMeta{Created: time.Unix(3, 0)}, []byte("other module"), nil)
	for _, run := range []string{a.ID, b.ID, c.ID} {
		for s := uint64(0); s <= 3; s++ {
			if _, err := l.Commit(run, fakeCheckpoint(t, s), run != c.ID || s == 0, time.Unix(4, 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Prune(a.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(fakeCheckpoint(t, 2).Root); err != nil {
		t.Fatalf("run b's checkpoint of step 2 went with run a's: %v", err)
	}
	rm, err := l.DeleteRun(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rm.Steps != 4 || rm.Checkpoints != 0 {
		t.Errorf("removing run a: %+v, want 4 step records and no checkpoint (b stores them all)", rm)
	}
	if _, err := l.Run(a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("run a after removal: %v", err)
	}
	for _, run := range []string{b.ID, c.ID} {
		if rep, err := l.Verify(run); err != nil || !rep.OK() || rep.Steps != 4 {
			t.Errorf("run %s after removing a: %+v %v", run, rep, err)
		}
		meta, _ := l.Run(run)
		if _, err := l.Module(meta); err != nil {
			t.Errorf("run %s lost its module: %v", run, err)
		}
		if _, err := l.Inputs(meta); err != nil {
			t.Errorf("run %s lost its inputs: %v", run, err)
		}
	}
	if countKeys(t, l, "input/") != 1 {
		t.Errorf("%d inputs stored, want 1: only run a named the other", countKeys(t, l, "input/"))
	}
	if _, err := l.DeleteRun(b.ID); err != nil {
		t.Fatal(err)
	}
	// Step 0 is stored by c as well; steps 1-3 were b's alone now.
	if n := countKeys(t, l, "checkpoint/"); n != 1 {
		t.Errorf("%d checkpoints left, want c's one", n)
	}
	if countKeys(t, l, "input/") != 0 || countKeys(t, l, "module/") != 1 {
		t.Errorf("inputs %d, modules %d left; want 0 and c's 1", countKeys(t, l, "input/"), countKeys(t, l, "module/"))
	}
	if _, err := l.DeleteRun(b.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a removed run: %v", err)
	}
	if runs, _ := l.Runs(); len(runs) != 1 || runs[0].ID != c.ID {
		t.Errorf("runs left: %+v", runs)
	}
}

// A removal that stopped after the metadata went (a crash) is finished by removing the
// same ID again: the run was invisible meanwhile, and nothing of it stays.
func TestInterruptedRemovalFinishes(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	a, _ := l.CreateRun(RunMeta{Created: time.Unix(1, 0)}, []byte("m"), nil)
	for s := uint64(0); s <= 2; s++ {
		l.Commit(a.ID, fakeCheckpoint(t, s), true, time.Unix(4, 0))
	}
	l.update(func(txn *badger.Txn) error { return txn.Delete(runKey(a.ID)) }) // the crash
	if runs, _ := l.Runs(); len(runs) != 0 {
		t.Fatal("a run without metadata is listed")
	}
	rm, err := l.DeleteRun(a.ID)
	if err != nil || rm.Steps != 3 || rm.Checkpoints != 3 {
		t.Fatalf("finishing the removal: %+v %v", rm, err)
	}
	for _, p := range []string{"run/", "checkpoint/", "tensor/", "blob/", "module/"} {
		if n := countKeys(t, l, p); n != 0 {
			t.Errorf("%d %s keys left", n, p)
		}
	}
}
