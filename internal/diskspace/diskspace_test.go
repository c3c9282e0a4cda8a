package diskspace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Free follows what is written: a file of 8 MB takes about that much from it (on a file
// system no one else writes to much meanwhile: the test's own temp dir).
func TestFreeSeesWrites(t *testing.T) {
	dir := t.TempDir()
	before, err := Free(dir)
	if errors.Is(err, ErrUnknown) {
		t.Skip(err)
	}
	if err != nil || before == 0 {
		t.Fatalf("free: %d, %v", before, err)
	}
	f, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 8<<20)); err != nil {
		t.Skipf("cannot write 8 MB here: %v", err)
	}
	f.Sync()
	after, err := Free(dir)
	if err != nil {
		t.Fatal(err)
	}
	if used := int64(before) - int64(after); used < 4<<20 || used > 64<<20 {
		t.Errorf("writing 8 MB changed the free space by %d bytes", used)
	}
	if _, err := Free(filepath.Join(dir, "no such dir")); err == nil {
		t.Error("the free space of a missing directory")
	}
}
