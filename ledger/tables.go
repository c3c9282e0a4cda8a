package ledger

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/y"
	"google.golang.org/protobuf/proto"
)

// checkTables checks the footer and index of every table file (.sst) in dir the way
// Badger reads them when it opens, before it does: Badger opens tables in goroutines of
// its own, and a truncated or altered table panics there, where no recover can reach,
// killing the process. A table that fails here is reported as ErrCorrupt instead.
//
// A table ends with its index, the index's length (u32, big-endian), a checksum of the
// index (a protobuf pb.Checksum) and the checksum's length (u32): badger/table's initIndex.
//
// Only the tables the MANIFEST lists are checked: a process killed while it wrote a new
// table leaves one the MANIFEST does not name yet, which Badger deletes when it opens.
func checkTables(dir string, bo badger.Options) error {
	listed, ok := manifestTables(dir, bo)
	if !ok { // no MANIFEST, or one Badger itself must judge
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return err
	}
	for _, path := range files {
		id, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".sst"), 10, 64)
		if err != nil || !listed[id] {
			continue
		}
		if err := checkTable(path); err != nil {
			return fmt.Errorf("%w: table %s is damaged (%v): the ledger cannot be opened. Restore the data dir from a backup, or move %s aside and import the runs again from their exports (lockstep ledger import)",
				ErrCorrupt, path, err, dir)
		}
	}
	return nil
}

// manifestTables returns the IDs of the tables dir's MANIFEST lists.
func manifestTables(dir string, bo badger.Options) (map[uint64]bool, bool) {
	f, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	m, _, err := badger.ReplayManifestFile(f, bo.ExternalMagicVersion, bo)
	if err != nil {
		return nil, false
	}
	ids := make(map[uint64]bool, len(m.Tables))
	for id := range m.Tables {
		ids[id] = true
	}
	return ids, true
}

func checkTable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	u32At := func(at int64) (int64, error) {
		var b [4]byte
		if at < 0 {
			return 0, fmt.Errorf("%d bytes is too short for its footer", size)
		}
		if _, err := f.ReadAt(b[:], at); err != nil {
			return 0, err
		}
		return int64(binary.BigEndian.Uint32(b[:])), nil
	}
	pos := size - 4
	sumLen, err := u32At(pos)
	if err != nil {
		return err
	}
	if pos -= sumLen; pos < 4 {
		return fmt.Errorf("a checksum of %d bytes does not fit in %d", sumLen, size)
	}
	sumBytes := make([]byte, sumLen)
	if _, err := f.ReadAt(sumBytes, pos); err != nil {
		return err
	}
	var sum pb.Checksum
	if err := proto.Unmarshal(sumBytes, &sum); err != nil {
		return fmt.Errorf("index checksum: %v", err)
	}
	pos -= 4
	indexLen, err := u32At(pos)
	if err != nil {
		return err
	}
	if pos -= indexLen; pos < 0 {
		return fmt.Errorf("an index of %d bytes does not fit in %d", indexLen, size)
	}
	index := make([]byte, indexLen)
	if _, err := f.ReadAt(index, pos); err != nil {
		return err
	}
	return y.VerifyChecksum(index, &sum)
}

// emptyLogs lists the write-ahead (.mem) and value-log (.vlog) files of length 0 in dir.
// A process killed between creating such a file and sizing it leaves one; it holds
// nothing (not even its header), and Badger refuses to open a ledger that has one
// ("Create a new file"), so a writer that Badger refused removes them and tries again.
func emptyLogs(dir string) []string {
	var empty []string
	for _, pattern := range []string{"*.mem", "*.vlog"} {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, path := range files {
			if st, err := os.Stat(path); err == nil && st.Size() == 0 {
				empty = append(empty, path)
			}
		}
	}
	return empty
}
