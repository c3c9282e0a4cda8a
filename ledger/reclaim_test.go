package ledger

import (
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// dirSize is the bytes of the files under dir, as their sizes say.
func dirSize(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// roundRun stores what a swarm round stores: a run with an incompressible input of
// inputBytes and one stored checkpoint of a tensor of paramCount normal draws.
func roundRun(t testing.TB, l *Ledger, round uint64, inputBytes, paramCount int) RunMeta {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, round))
	state := make([]byte, inputBytes)
	for i := range state {
		state[i] = byte(rng.Uint32())
	}
	meta, err := l.CreateRun(RunMeta{Created: time.Unix(int64(round), 0), Label: "round"}, []byte("outer module"), []host.Input{host.NewInput("state", state)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := kernels.Normal(kernels.RNG{Seed: 7, Stream: round}, 0, 0.02, paramCount)
	if err != nil {
		t.Fatal(err)
	}
	cp := &host.Checkpoint{Step: 0, Tensors: map[string]*kernels.Tensor{"p": p}, Blob: []byte("blob")}
	cp.Root = host.CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	if _, err := l.Commit(meta.ID, cp, true, time.Unix(int64(round), 0)); err != nil {
		t.Fatal(err)
	}
	return meta
}

// A ledger that keeps a window of rounds, removing the oldest each round and reclaiming,
// stays the size of the window instead of growing by a round's bytes every round; the
// runs kept read back whole, after a reopen too; and once every run is removed, the
// ledger is back to the files Badger keeps whatever it holds.
func TestRemovedRunsSpaceComesBack(t *testing.T) {
	const (
		rounds     = 60
		keep       = 8
		inputBytes = 1 << 20
		params     = 1 << 18 // 1 MiB of float32
		roundBytes = inputBytes + 4*params
		// Files of a fixed size, whatever the ledger holds: the value-log file being
		// written (16 MiB, mapped at twice that), the memtable's write-ahead log, the
		// discard statistics.
		fixed = 48 << 20
		// The live rounds, and as much again: Badger rewrites a value-log file once half
		// of it is dead, so up to half of what it keeps may be.
		bound = 2*keep*roundBytes + fixed
	)
	dir := t.TempDir()
	l := openTest(t, dir)
	defer func() { l.Close() }()
	var runs []RunMeta
	var most int64
	for r := uint64(0); r < rounds; r++ {
		runs = append(runs, roundRun(t, l, r, inputBytes, params))
		if len(runs) > keep {
			if _, err := l.DeleteRun(runs[0].ID); err != nil {
				t.Fatal(err)
			}
			runs = runs[1:]
		}
		if _, err := l.Reclaim(); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		most = max(most, dirSize(t, dir))
	}
	t.Logf("%d rounds of %.0f MiB, %d kept: the ledger took %.1f MiB at most (bound %.0f MiB)",
		rounds, float64(roundBytes)/(1<<20), keep, float64(most)/(1<<20), float64(bound)/(1<<20))
	if most > bound {
		t.Errorf("the ledger grew to %d bytes; keeping %d rounds of %d bytes, it should stay under %d", most, keep, roundBytes, bound)
	}

	l.Close()
	l = openTest(t, dir)
	for _, m := range runs {
		if rep, err := l.Verify(m.ID); err != nil || !rep.OK() {
			t.Errorf("kept run %s: %+v %v", m.ID, rep, err)
		}
	}

	for _, m := range runs {
		if _, err := l.DeleteRun(m.ID); err != nil {
			t.Fatal(err)
		}
	}
	freed, err := l.Reclaim()
	if err != nil {
		t.Fatal(err)
	}
	size := dirSize(t, dir)
	t.Logf("every run removed: Reclaim freed %.1f MiB, leaving %.1f MiB", float64(freed)/(1<<20), float64(size)/(1<<20))
	if freed <= 0 || size > fixed {
		t.Errorf("every run removed: Reclaim freed %d bytes, leaving %d; want Badger's fixed files, under %d", freed, size, fixed)
	}
}
