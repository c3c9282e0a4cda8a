package ledger

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	l, err = Open(src, DefaultOptions())
	if err != nil {
		t.Fatalf("the undamaged ledger: %v", err)
	}
	l.Close()
}
