package ledger

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

func exportedRun(t *testing.T) (*Ledger, RunMeta, []byte) {
	t.Helper()
	l := openTest(t, t.TempDir())
	t.Cleanup(func() { l.Close() })
	meta, err := l.CreateRun(RunMeta{Seed: 9, Every: 2, Created: time.Unix(5, 0)}, []byte("module"), []host.Input{host.NewInput("d", []byte("data"))})
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s <= 4; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), s%2 == 0, time.Unix(10, 0)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := l.Export(meta.ID, &buf); err != nil {
		t.Fatal(err)
	}
	return l, meta, buf.Bytes()
}

// A verifier imports a run exported by another node and gets the same, verifiable run.
func TestExportImportRoundTrip(t *testing.T) {
	_, meta, file := exportedRun(t)
	v := openTest(t, t.TempDir()) // another node's ledger
	defer v.Close()
	got, err := v.Import(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != meta.ID || got.Node == v.Address().Hex() {
		t.Fatalf("imported run %+v", got)
	}
	rep, err := v.Verify(meta.ID)
	if err != nil || !rep.OK() || rep.Steps != 5 || rep.Checkpoints != 3 {
		t.Fatalf("verify after import: %+v %v", rep, err)
	}
	cp, err := v.Checkpoint(fakeCheckpoint(t, 4).Root)
	if err != nil || !kernels.Equal(cp.Tensors["w"], fakeCheckpoint(t, 4).Tensors["w"]) {
		t.Fatalf("checkpoint after import: %v", err)
	}
	if mod, err := v.Module(got); err != nil || string(mod) != "module" {
		t.Fatalf("module after import: %q %v", mod, err)
	}
}

// Damaged exports give a clear error, never a panic and never a half-imported run.
func TestDamagedExportsAreRefused(t *testing.T) {
	_, _, file := exportedRun(t)
	v := openTest(t, t.TempDir())
	defer v.Close()
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": file[:len(file)/2],
		"one byte":  file[:1],
		"garbage":   []byte("this is not an export"),
	}
	for i := 0; i < 40; i++ {
		c := append([]byte(nil), file...)
		c[(i*7919)%len(c)] ^= byte(1 << (i % 8))
		cases["flip "+string(rune('A'+i))] = c
	}
	for name, data := range cases {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s: panicked: %v", name, r)
				}
			}()
			_, err := v.Import(bytes.NewReader(data))
			if err == nil {
				t.Fatalf("%s: imported", name)
			}
			if !errors.Is(err, ErrExport) {
				t.Fatalf("%s: error %v is not ErrExport", name, err)
			}
		}()
	}
	if runs, _ := v.Runs(); len(runs) != 0 {
		t.Fatalf("a refused import left %d runs behind", len(runs))
	}
	if left := contents(t, v); len(left) != 0 {
		t.Fatalf("refused imports left %d keys behind", len(left))
	}
}

// A record that claims a huge size in a short file is refused without allocating it.
func TestImportDoesNotTrustClaimedSizes(t *testing.T) {
	var raw bytes.Buffer
	raw.WriteString(exportMagic)
	raw.Write([]byte{0xff, 0xff, 0xff, 0x3f}) // header claims ~1 GiB
	raw.WriteString("{}")
	var file bytes.Buffer
	zw, _ := zstd.NewWriter(&file)
	zw.Write(raw.Bytes())
	zw.Close()
	v := openTest(t, t.TempDir())
	defer v.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := v.Import(bytes.NewReader(file.Bytes()))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrExport) {
		t.Fatalf("import: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("refusing a short file allocated %d MiB", grew>>20)
	}
}

// A file that is not an export says so, not what the decompressor tripped on.
func TestImportOfANonExport(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	for _, data := range [][]byte{nil, []byte("\x00asm\x01\x00\x00\x00"), []byte("hello\n")} {
		if _, err := l.Import(bytes.NewReader(data)); err == nil || !strings.Contains(err.Error(), "not a Lockstep export") {
			t.Errorf("importing %q: %v", data, err)
		}
	}
}
