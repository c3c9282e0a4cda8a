package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/klauspost/compress/zstd"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// longRun commits steps 0..last to a new run in l, a full checkpoint every every-th step,
// in batches the way the runner commits them, and returns its metadata.
func longRun(t *testing.T, l *Ledger, last, every uint64) RunMeta {
	t.Helper()
	meta, err := l.CreateRun(RunMeta{Seed: 1, Every: every, Steps: last, Created: time.Unix(7, 0)}, []byte("module"), []host.Input{host.NewInput("d", []byte("data"))})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Pending
	for s := uint64(0); s <= last; s++ {
		batch = append(batch, Pending{Checkpoint: fakeCheckpoint(t, s), Store: s%every == 0 || s == last})
		if len(batch) == 200 || s == last {
			if _, err := l.CommitBatch(meta.ID, batch, time.Unix(8, 0)); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	return meta
}

// An export of a long run imports whole: Badger limits one transaction to a few
// thousand entries, and the records of 5,000 steps are more than that.
func TestImportLongRun(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	meta := longRun(t, l, 5000, 100)
	var file bytes.Buffer
	if err := l.Export(meta.ID, &file); err != nil {
		t.Fatal(err)
	}
	v := openTest(t, t.TempDir())
	defer v.Close()
	if _, err := v.Import(bytes.NewReader(file.Bytes())); err != nil {
		t.Fatal(err)
	}
	checkSameRun(t, l, v, meta.ID)
}

// checkSameRun checks that b holds a's run record for record, and that it verifies.
func checkSameRun(t testing.TB, a, b *Ledger, run string) {
	t.Helper()
	want, err := a.Steps(run)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Steps(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d step records imported, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Step != want[i].Step || got[i].Root != want[i].Root || got[i].Time != want[i].Time ||
			got[i].Checkpoint != want[i].Checkpoint || !bytes.Equal(got[i].Signature, want[i].Signature) {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	rep, err := b.Verify(run)
	if err != nil || !rep.OK() || rep.Steps != len(want) {
		t.Fatalf("verify after import: %+v %v", rep, err)
	}
}

// rewriteExport decodes an export, lets edit change its header and body (the records and
// the end record), and encodes it again with a correct checksum: an export that is well
// formed but says something else.
func rewriteExport(t *testing.T, file []byte, edit func(hdr *exportHeader, body []byte) []byte) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	raw = raw[len(exportMagic):]
	n := binary.LittleEndian.Uint32(raw)
	var hdr exportHeader
	if err := json.Unmarshal(raw[4:4+n], &hdr); err != nil {
		t.Fatal(err)
	}
	body := edit(&hdr, raw[4+n:len(raw)-32])
	hj, _ := json.Marshal(hdr)
	out := append([]byte(exportMagic), binary.LittleEndian.AppendUint32(nil, uint32(len(hj)))...)
	out = append(append(out, hj...), body...)
	sum := sha256.Sum256(out)
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	zw.Write(append(out, sum[:]...))
	zw.Close()
	return buf.Bytes()
}

// An import refused at its very end, after all its content was stored, takes back what
// it stored, and nothing of the runs already there: content addressed and so shared,
// their tensors and blobs are the import's too.
func TestRefusedImportKeepsSharedContent(t *testing.T) {
	src := openTest(t, t.TempDir())
	defer src.Close()
	short := longRun(t, src, 10, 2)
	long := longRun(t, src, 30, 2) // steps 0-10 checkpoint as the first run's did
	exports := map[string][]byte{}
	for _, id := range []string{short.ID, long.ID} {
		var buf bytes.Buffer
		if err := src.Export(id, &buf); err != nil {
			t.Fatal(err)
		}
		exports[id] = buf.Bytes()
	}
	v := openTest(t, t.TempDir())
	defer v.Close()
	if _, err := v.Import(bytes.NewReader(exports[short.ID])); err != nil {
		t.Fatal(err)
	}
	before := contents(t, v)
	// Damage the export's last bytes (its checksum): everything else is read and stored
	// before the import finds it.
	damaged := rewriteExport(t, exports[long.ID], func(_ *exportHeader, body []byte) []byte { return body })
	zr, _ := zstd.NewReader(bytes.NewReader(damaged))
	raw, _ := io.ReadAll(zr)
	zr.Close()
	raw[len(raw)-1] ^= 1
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	if _, err := v.Import(bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrExport) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("import of a damaged export: %v", err)
	}
	if after := contents(t, v); !maps.Equal(before, after) {
		t.Fatalf("a refused import changed the ledger: %d keys before, %d after", len(before), len(after))
	}
	checkSameRun(t, src, v, short.ID)
	// Undamaged, it imports.
	if _, err := v.Import(bytes.NewReader(exports[long.ID])); err != nil {
		t.Fatal(err)
	}
	checkSameRun(t, src, v, long.ID)
	checkSameRun(t, src, v, short.ID)
}

// Importing a run the ledger holds adds what the export has and the ledger lacks, and
// refuses an export that contradicts what the ledger holds, even one its node signed.
func TestImportIntoALedgerHoldingTheRun(t *testing.T) {
	src := openTest(t, t.TempDir())
	defer src.Close()
	meta := longRun(t, src, 6, 2)
	var early bytes.Buffer
	if err := src.Export(meta.ID, &early); err != nil {
		t.Fatal(err)
	}
	var batch []Pending
	for s := uint64(7); s <= 9; s++ {
		batch = append(batch, Pending{Checkpoint: fakeCheckpoint(t, s), Store: s == 9})
	}
	if _, err := src.CommitBatch(meta.ID, batch, time.Unix(9, 0)); err != nil {
		t.Fatal(err)
	}
	var late bytes.Buffer
	if err := src.Export(meta.ID, &late); err != nil {
		t.Fatal(err)
	}

	v := openTest(t, t.TempDir())
	defer v.Close()
	for _, file := range [][]byte{early.Bytes(), early.Bytes(), late.Bytes(), early.Bytes()} {
		if _, err := v.Import(bytes.NewReader(file)); err != nil {
			t.Fatal(err)
		}
	}
	checkSameRun(t, src, v, meta.ID) // the late export's 10 steps: the early one took none away
	held := contents(t, v)
	for name, edit := range map[string]func(*exportHeader, []byte) []byte{
		"other metadata": func(h *exportHeader, body []byte) []byte { h.Run.Seed++; return body },
		"another root for step 3, signed by the node": func(h *exportHeader, body []byte) []byte {
			r := &h.Steps[3]
			r.Root[0] ^= 1
			d := r.Digest()
			r.Signature, _ = crypto.Sign(d[:], src.key)
			return body
		},
	} {
		_, err := v.Import(bytes.NewReader(rewriteExport(t, late.Bytes(), edit)))
		if !errors.Is(err, ErrExport) {
			t.Fatalf("%s: imported (%v)", name, err)
		}
		t.Logf("%s: %v", name, err)
		if !maps.Equal(held, contents(t, v)) {
			t.Fatalf("%s: the refused import changed the ledger", name)
		}
	}
}

// freshCheckpoint makes a checkpoint of step s with tensors tensors of n fresh
// parameters each: nothing in it is shared with another step's.
func freshCheckpoint(t testing.TB, s uint64, tensors, n int) *host.Checkpoint {
	t.Helper()
	cp := &host.Checkpoint{Step: s, Tensors: map[string]*kernels.Tensor{}, Blob: binary.LittleEndian.AppendUint64(nil, s)}
	for k := range tensors {
		w, err := kernels.Normal(kernels.RNG{Seed: s, Stream: uint64(k)}, 0, 0.02, n)
		if err != nil {
			t.Fatal(err)
		}
		cp.Tensors[fmt.Sprintf("p%d", k)] = w
	}
	cp.Root = host.CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	return cp
}

// checkpointedRun commits steps 0..last to a new run in l, each with a fresh checkpoint
// of tensors tensors of n parameters, stored every every-th step.
func checkpointedRun(t *testing.T, l *Ledger, last, every uint64, tensors, n int) RunMeta {
	t.Helper()
	meta, err := l.CreateRun(RunMeta{Seed: 3, Every: every, Steps: last, Created: time.Unix(7, 0)}, []byte("module"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var batch []Pending
	stored := 0
	for s := uint64(0); s <= last; s++ {
		store := s%every == 0 || s == last
		cp := fakeCheckpoint(t, s)
		if store {
			cp = freshCheckpoint(t, s, tensors, n)
			stored++
		}
		batch = append(batch, Pending{Checkpoint: cp, Store: store})
		if len(batch) == 200 || stored == 20 || s == last {
			if _, err := l.CommitBatch(meta.ID, batch, time.Unix(8, 0)); err != nil {
				t.Fatal(err)
			}
			batch, stored = nil, 0
		}
	}
	return meta
}

// An export with more checkpoint pieces than Badger takes in one transaction imports
// whole. Small memtables make Badger's limit (15% of a memtable) small enough for 401
// stored checkpoints of four fresh 2 KiB tensors each to pass it quickly.
func TestImportManyCheckpoints(t *testing.T) {
	small := Options{MemTableBytes: 1 << 20, BlockCacheBytes: 4 << 20}
	l, err := Open(t.TempDir(), small)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	meta := checkpointedRun(t, l, 400, 1, 4, 512)
	if pieces := 401 * 5; int64(pieces) <= l.db.MaxBatchCount() {
		t.Fatalf("%d tensors and blobs fit in one transaction (at most %d entries): the test tests nothing", pieces, l.db.MaxBatchCount())
	}
	var file bytes.Buffer
	if err := l.Export(meta.ID, &file); err != nil {
		t.Fatal(err)
	}
	v, err := Open(t.TempDir(), small)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Import(bytes.NewReader(file.Bytes())); err != nil {
		t.Fatal(err)
	}
	checkSameRun(t, l, v, meta.ID)
}

// The long runs of issue 11: 100,000 logreg-sized steps, and a run with 160 MiB of stored
// checkpoints. Each is exported, imported into another ledger, and compared record for
// record; the imported run verifies (signatures, checkpoints re-hashed).
func TestImportLongRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("commits, exports and imports 100,000 steps and 160 MiB of checkpoints; skipped in -short mode")
	}
	for _, c := range []struct {
		name string
		make func(*Ledger) RunMeta
	}{
		{"100000 steps", func(l *Ledger) RunMeta { return longRun(t, l, 100_000, 1000) }},
		{"160 MiB of checkpoints", func(l *Ledger) RunMeta { return checkpointedRun(t, l, 3000, 75, 4, 1<<18) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := openTest(t, t.TempDir())
			defer l.Close()
			t0 := time.Now()
			meta := c.make(l)
			var file bytes.Buffer
			if err := l.Export(meta.ID, &file); err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			v := openTest(t, t.TempDir())
			defer v.Close()
			if _, err := v.Import(bytes.NewReader(file.Bytes())); err != nil {
				t.Fatal(err)
			}
			t2 := time.Now()
			checkSameRun(t, l, v, meta.ID)
			t.Logf("committed and exported in %v, export %.1f MB; imported in %v; compared and verified in %v",
				t1.Sub(t0).Round(time.Millisecond), float64(file.Len())/1e6, t2.Sub(t1).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
		})
	}
}

// An import killed (SIGKILL) at random moments leaves no run that lists as present, or
// the whole run; the next Open removes everything a killed import wrote, and importing
// again succeeds. The test re-runs its own binary as the importing process.
func TestKilledImport(t *testing.T) {
	if into := os.Getenv("LOCKSTEP_TEST_IMPORT_INTO"); into != "" { // the child
		l := openTest(t, into)
		defer l.Close()
		f, err := os.Open(os.Getenv("LOCKSTEP_TEST_IMPORT_FROM"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := l.Import(f); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("imports a run in a child process and kills it repeatedly; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a POSIX signal")
	}
	src := openTest(t, t.TempDir())
	defer src.Close()
	meta := checkpointedRun(t, src, 3000, 10, 4, 4096) // 301 checkpoints of 64 KiB
	export := filepath.Join(t.TempDir(), "run.lsx")
	var file bytes.Buffer
	if err := src.Export(meta.ID, &file); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(export, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	importInto := func(dir string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledImport$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LOCKSTEP_TEST_IMPORT_INTO="+dir, "LOCKSTEP_TEST_IMPORT_FROM="+export)
		return cmd
	}
	t0 := time.Now()
	if out, err := importInto(t.TempDir()).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	whole := time.Since(t0)

	const kills = 8
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	midway := 0
	for kill := 1; kill <= kills; kill++ {
		cmd := importInto(dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(whole))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if importMarkers(t, dir) > 0 {
			midway++
		}
		l := openTest(t, dir)
		if runs, err := l.Runs(); err != nil {
			t.Fatal(err)
		} else if len(runs) == 0 {
			if left := contents(t, l); len(left) != 0 {
				t.Fatalf("after kill %d and an open, the ledger holds %d keys and no run", kill, len(left))
			}
		} else {
			checkSameRun(t, src, l, meta.ID) // listed, so whole
		}
		l.Close()
	}
	if midway == 0 {
		t.Fatalf("none of %d kills came while the import was writing: the test tested nothing", kills)
	}
	if out, err := importInto(dir).CombinedOutput(); err != nil {
		t.Fatalf("import after the kills: %v\n%s", err, out)
	}
	l := openTest(t, dir)
	defer l.Close()
	checkSameRun(t, src, l, meta.ID)
	t.Logf("an import of %.1f MB takes %v; %d of %d kills came while it was writing", float64(file.Len())/1e6, whole.Round(time.Millisecond), midway, kills)
}

// importMarkers counts the markers of unfinished imports in the ledger in dir, reading
// Badger directly: Open would clear them.
func importMarkers(t *testing.T, dir string) int {
	t.Helper()
	db, err := badger.Open(badgerOptions(dir, DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("import/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}
