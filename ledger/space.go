package ledger

import (
	"errors"
	"fmt"

	"github.com/lockstep-ml/lockstep/internal/diskspace"
)

// ErrNoSpace is returned when the disk holding the ledger has too little room to write.
var ErrNoSpace = errors.New("not enough disk space")

// Badger writes through memory-mapped files: its memtables (MemTableBytes each, two of
// them) and value-log files (16 MiB, mapped at twice that). A write to such a file on a
// full disk is a SIGBUS that kills the process, not an error, so the ledger refuses to
// write while the disk has less room than Badger may touch, with a margin. Reading needs
// no room (Open with ReadOnly).
const (
	minFreeOpen   = 64 << 20 // to open for writing
	minFreeCommit = 48 << 20 // plus twice what a commit writes
)

// checkSpace fails with ErrNoSpace if the ledger's disk has fewer than need bytes free.
// Where the platform cannot say, it lets the write go ahead.
func (l *Ledger) checkSpace(need uint64, doing string) error { return checkSpace(l.dir, need, doing) }

// checkSpace is Ledger.checkSpace for the ledger in dir, before it is open.
func checkSpace(dir string, need uint64, doing string) error {
	free, err := diskspace.Free(dir)
	if errors.Is(err, diskspace.ErrUnknown) {
		return nil
	}
	if err != nil {
		return err
	}
	if free < need {
		return fmt.Errorf("%w to %s: the disk holding %s has %s free, and the ledger needs %s to write safely (its files are memory-mapped: a write to a full disk would kill the process); free some space or use another --data-dir. Every committed step is kept, and reading commands (ledger runs, show, verify, export) work meanwhile",
			ErrNoSpace, doing, dir, diskspace.Bytes(free), diskspace.Bytes(need))
	}
	return nil
}
