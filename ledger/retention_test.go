package ledger

import (
	"testing"
	"time"
)

// Pruning a checkpoint keeps the record and its signature; sweeping then frees the
// tensors only it used, and never one a kept checkpoint needs.
func TestPruneAndSweep(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	meta, _ := l.CreateRun(RunMeta{Created: time.Unix(1, 0)}, []byte("m"), nil)
	for s := uint64(0); s <= 6; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), true, time.Unix(2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(prefix string) int { return countKeys(t, l, prefix) }
	if n := count("tensor/"); n != 8 { // w for 7 steps, const once
		t.Fatalf("%d tensors before pruning", n)
	}
	for _, s := range []uint64{1, 2, 3, 5} {
		if err := l.Prune(meta.ID, s); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := l.Sweep()
	// Steps 1, 2, 3 and 5 each had their own w tensor and their own blob.
	if err != nil || removed != 8 || count("tensor/") != 4 || count("blob/") != 3 {
		t.Fatalf("sweep removed %d (%v), leaving %d tensors and %d blobs; want 8 removed, 4 and 3 left",
			removed, err, count("tensor/"), count("blob/"))
	}
	rep, err := l.Verify(meta.ID)
	if err != nil || !rep.OK() || rep.Steps != 7 || rep.Checkpoints != 3 {
		t.Fatalf("after pruning: %+v %v", rep, err)
	}
	for _, s := range []uint64{0, 4, 6} {
		if _, err := l.Checkpoint(fakeCheckpoint(t, s).Root); err != nil {
			t.Fatalf("kept checkpoint %d: %v", s, err)
		}
	}
	if _, err := l.Checkpoint(fakeCheckpoint(t, 3).Root); err == nil {
		t.Fatal("a pruned checkpoint is still there")
	}
}
