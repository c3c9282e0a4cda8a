package ledger

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
)

// A bit flipped anywhere in the ledger's data files gives an error, or (if it hit bytes
// nothing reads) the original answers: never a panic, never a wrong answer.
// flips is how many corrupted copies the test opens; a probe of 300 found no panic and
// no wrong answer.
var flips = 100

func TestFlippedDataFiles(t *testing.T) {
	src := t.TempDir()
	l := openTest(t, src)
	meta, err := l.CreateRun(RunMeta{Seed: 1, Every: 1, Created: time.Unix(1, 0)}, []byte("module bytes"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s < 20; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), true, time.Unix(2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := l.Steps(meta.ID)
	l.Close()

	var files []string
	filepath.Walk(filepath.Join(src, "ledger"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Size() > 64 && (filepath.Ext(p) == ".sst" || filepath.Ext(p) == ".vlog" || filepath.Ext(p) == ".mem") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no data files found")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	errorsSeen, intact := 0, 0
	for i := 0; i < flips; i++ {
		dir := t.TempDir()
		copyTree(t, src, dir)
		rel, _ := filepath.Rel(src, files[i%len(files)])
		target := filepath.Join(dir, rel)
		data, _ := os.ReadFile(target)
		data[rng.IntN(len(data))] ^= byte(1 << rng.IntN(8))
		os.WriteFile(target, data, 0o644)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("flip in %s: panic: %v", rel, r)
				}
			}()
			c, err := Open(dir, DefaultOptions())
			if err != nil {
				errorsSeen++
				return
			}
			defer c.Close()
			rep, err := c.Verify(meta.ID)
			if err != nil || !rep.OK() {
				errorsSeen++
				return
			}
			got, err := c.Steps(meta.ID)
			if err != nil || len(got) != len(want) {
				errorsSeen++
				return
			}
			for j := range got {
				if got[j].Root != want[j].Root {
					t.Fatalf("flip in %s: step %d reads back a different root without an error", rel, j)
				}
			}
			intact++
		}()
	}
	t.Logf("%d flips in %d data files: %d detected as errors, %d hit bytes nothing reads", flips, len(files), errorsSeen, intact)
}

func copyTree(t *testing.T, src, dst string) {
	filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode())
	})
}

// A truncated table file is ErrCorrupt with advice, never a panic in one of Badger's
// goroutines (which no recover reaches: it killed every command).
func TestTruncatedTables(t *testing.T) {
	src := t.TempDir()
	l := openTest(t, src)
	meta, _ := l.CreateRun(RunMeta{Seed: 1, Every: 1, Created: time.Unix(1, 0)}, []byte("module bytes"), nil)
	for s := uint64(0); s < 20; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), true, time.Unix(2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	tables, _ := filepath.Glob(filepath.Join(src, "ledger", "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table files")
	}
	orig, err := os.ReadFile(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	n := len(orig)
	for _, damage := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"7 bytes", orig[:7]},
		{"half", orig[:n/2]},
		{"last byte gone", orig[:n-1]},
		{"footer gone", orig[:n-4]},
		{"index byte flipped", func() []byte {
			b := append([]byte(nil), orig...)
			b[n-60] ^= 0x10
			return b
		}()},
	} {
		t.Run(damage.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, src, dir)
			if err := os.WriteFile(filepath.Join(dir, "ledger", filepath.Base(tables[0])), damage.data, 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := Open(dir, DefaultOptions())
			if err == nil {
				l.Close()
				t.Fatal("a damaged table opened")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "Restore the data dir from a backup") {
				t.Errorf("error: %v", err)
			}
		})
	}
	// A table the MANIFEST does not list yet (a kill while Badger wrote it) is Badger's to
	// delete, not damage: the ledger opens.
	if err := os.WriteFile(filepath.Join(src, "ledger", "000999.sst"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Open(src, DefaultOptions())
	if err != nil {
		t.Fatalf("the undamaged ledger with an unlisted empty table: %v", err)
	}
	l.Close()
}

// Verify reads back everything a resume or an export needs: a flipped byte in the stored
// module or an input is a problem it names, not "verified" followed by a resume that fails.
func TestVerifyFindsDamagedModuleAndInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// Incompressible and over Badger's value threshold: stored verbatim in the value log.
	module, input := random(64<<10), random(64<<10)
	src := t.TempDir()
	l := openTest(t, src)
	meta, err := l.CreateRun(RunMeta{Seed: 1, Every: 1, Created: time.Unix(1, 0)}, module, []host.Input{host.NewInput("data", input)})
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s < 3; s++ {
		if _, err := l.Commit(meta.ID, fakeCheckpoint(t, s), true, time.Unix(2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"module", module, "module " + meta.Module[:16]},
		{"input", input, "input data " + meta.Inputs["data"][:16]},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, src, dir)
			flipValueLog(t, dir, c.data[30000:30032])
			d := openTest(t, dir)
			defer d.Close()
			_, errModule := d.Module(meta)
			_, errInputs := d.Inputs(meta)
			if (c.name == "module" && errModule == nil) || (c.name == "input" && errInputs == nil) {
				t.Fatalf("the flip did not damage the %s", c.name)
			}
			rep, err := d.Verify(meta.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("a damaged %s verified: %+v", c.name, rep)
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), c.want) {
				t.Fatalf("problems %q do not name %q", rep.Problems, c.want)
			}
			t.Logf("verify: %q", rep.Problems)
		})
	}
}

// flipValueLog flips a bit in the middle of the one place in dir's value log files that
// holds needle.
func flipValueLog(t *testing.T, dir string, needle []byte) {
	t.Helper()
	vlogs, _ := filepath.Glob(filepath.Join(dir, "ledger", "*.vlog"))
	found := 0
	for _, p := range vlogs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(data, needle); i >= 0 {
			data[i+len(needle)/2] ^= 0x10
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			found++
		}
	}
	if found != 1 {
		t.Fatalf("the bytes are in %d value log files, want 1", found)
	}
}

// A log file of length 0, left by a process killed between creating and sizing it, holds
// nothing: the ledger opens (Badger alone refuses with "Create a new file").
func TestEmptyLogFileLeftByAKill(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	meta, _ := l.CreateRun(RunMeta{Seed: 1, Every: 1, Created: time.Unix(1, 0)}, []byte("module bytes"), nil)
	if _, err := l.Commit(meta.ID, fakeCheckpoint(t, 0), true, time.Unix(2, 0)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, name := range []string{"00099.mem", "000099.vlog"} {
		if err := os.WriteFile(filepath.Join(dir, "ledger", name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, readOnly := range []bool{true, false} {
		o := DefaultOptions()
		o.ReadOnly = readOnly
		l, err := Open(dir, o)
		if err != nil {
			t.Fatalf("read-only %v: %v", readOnly, err)
		}
		if recs, err := l.Steps(meta.ID); err != nil || len(recs) != 1 {
			t.Errorf("read-only %v: %d records, %v", readOnly, len(recs), err)
		}
		l.Close()
	}
}
