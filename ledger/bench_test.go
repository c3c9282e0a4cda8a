package ledger

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// BenchmarkLedger measures, in one run: synced commits per second (a step record each),
// checkpoint write and read throughput (fresh tensors each time, so nothing dedupes),
// and the checkpoint root's hashing rate beside raw SHA-256 over the same bytes.
//
//	go test ./ledger -run '^$' -bench Ledger -benchtime 1x
func BenchmarkLedger(b *testing.B) {
	const params = 4 << 20 // 16 MiB of float32 parameters in 4 tensors
	for i := 0; i < b.N; i++ {
		l, err := Open(b.TempDir(), DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		meta, _ := l.CreateRun(RunMeta{Created: time.Now()}, []byte("m"), nil)
		small := fakeCheckpointB(0)
		const commits = 300
		t0 := time.Now()
		for s := uint64(0); s < commits; s++ {
			small.Step = s
			if _, err := l.Commit(meta.ID, small, false, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		commitRate := commits / time.Since(t0).Seconds()

		var cps []*host.Checkpoint
		for s := 0; s < 3; s++ {
			cps = append(cps, bigCheckpoint(b, uint64(1000+s), params))
		}
		t1 := time.Now()
		for _, cp := range cps {
			if _, err := l.Commit(meta.ID, cp, true, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		writeMBs := float64(3*4*params) / time.Since(t1).Seconds() / 1e6
		t2 := time.Now()
		for _, cp := range cps {
			if _, err := l.Checkpoint(cp.Root); err != nil {
				b.Fatal(err)
			}
		}
		readMBs := float64(3*4*params) / time.Since(t2).Seconds() / 1e6

		// Hashing a checkpoint (tensor hashes and the root) against SHA-256 of the bytes.
		cp := cps[0]
		t3 := time.Now()
		leaves := cp.Leaves()
		_ = host.CheckpointRoot(cp.Step, leaves, cp.Blob)
		hashMBs := float64(4*params) / time.Since(t3).Seconds() / 1e6
		raw := make([]byte, 4*params)
		t4 := time.Now()
		_ = sha256.Sum256(raw)
		rawMBs := float64(4*params) / time.Since(t4).Seconds() / 1e6
		l.Close()

		b.ReportMetric(commitRate, "synced-commits/s")
		b.ReportMetric(writeMBs, "ckpt-write-MB/s")
		b.ReportMetric(readMBs, "ckpt-read-MB/s")
		b.ReportMetric(hashMBs, "ckpt-hash-MB/s")
		b.ReportMetric(rawMBs, "sha256-MB/s")
		b.ReportMetric(0, "ns/op")
	}
}

func fakeCheckpointB(s uint64) *host.Checkpoint {
	w, _ := kernels.New([]int{3}, []float32{float32(s), 2, 3})
	cp := &host.Checkpoint{Step: s, Tensors: map[string]*kernels.Tensor{"w": w}, Blob: []byte{1}}
	cp.Root = host.CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	return cp
}

// bigCheckpoint makes a checkpoint of n parameters in four tensors of normal draws.
func bigCheckpoint(b *testing.B, s uint64, n int) *host.Checkpoint {
	cp := &host.Checkpoint{Step: s, Tensors: map[string]*kernels.Tensor{}, Blob: []byte("blob")}
	for k := 0; k < 4; k++ {
		t, err := kernels.Normal(kernels.RNG{Seed: s, Stream: uint64(k)}, 0, 0.02, n/4)
		if err != nil {
			b.Fatal(err)
		}
		cp.Tensors[fmt.Sprintf("p%d", k)] = t
	}
	cp.Root = host.CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	return cp
}

// BenchmarkKeepLast measures what keeping the last two checkpoints costs per step, beside
// the same steps committed without pruning, in one run. Pruning reads one record per run,
// so the two stay within a small factor however long the run (it was quadratic: 3,000
// steps took 88 s against 1.7 s).
//
//	go test ./ledger -run '^$' -bench KeepLast -benchtime 1x
func BenchmarkKeepLast(b *testing.B) {
	const steps = 3000
	perStep := func(prune bool) time.Duration {
		l, err := Open(b.TempDir(), DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		for r := 0; r < 3; r++ { // other runs in the ledger, as on a node
			other, _ := l.CreateRun(RunMeta{Created: time.Unix(int64(r), 0)}, []byte("m"), nil)
			for s := uint64(0); s < steps; s += 500 {
				var batch []Pending
				for k := s; k < s+500; k++ {
					batch = append(batch, Pending{Checkpoint: fakeCheckpointB(k)})
				}
				if _, err := l.CommitBatch(other.ID, batch, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		}
		meta, _ := l.CreateRun(RunMeta{Created: time.Now()}, []byte("m"), nil)
		t0 := time.Now()
		for s := uint64(0); s < steps; s += 10 { // groups of 10, as lockstep run commits them
			var batch []Pending
			for k := s; k < s+10; k++ {
				batch = append(batch, Pending{Checkpoint: fakeCheckpointB(k), Store: true})
			}
			if _, err := l.CommitBatch(meta.ID, batch, time.Now()); err != nil {
				b.Fatal(err)
			}
			var drop []uint64
			for k := s; prune && k < s+10; k++ {
				if k >= 2 {
					drop = append(drop, k-2)
				}
			}
			if err := l.Prune(meta.ID, drop...); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0) / steps
	}
	for i := 0; i < b.N; i++ {
		with, without := perStep(true), perStep(false)
		b.ReportMetric(float64(with.Microseconds()), "µs/step-keep-last-2")
		b.ReportMetric(float64(without.Microseconds()), "µs/step-storing-all")
		b.ReportMetric(0, "ns/op")
	}
}
