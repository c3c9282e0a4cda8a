package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
)

// Deleting a key frees nothing on disk by itself. The ledger's tensors, inputs and blobs
// live in Badger's value log (they exceed ValueThreshold), and Badger rewrites a value-log
// file only once it knows how much of it is dead: a count that compactions keep, as they
// drop deleted keys together with the versions that pointed into the file. A ledger's
// keys are small, so its memtable (MemTableBytes of keys and value pointers) holds
// hundreds of runs' keys before it fills and is flushed, and until then no compaction
// runs: the value log grows by everything written, deleted or not.
//
// Reclaim therefore compacts on demand. Badger's one way to flush the memtable and compact
// level 0 on request is DropPrefix of a prefix that has a key, so Reclaim writes a key
// under reclaimPrefix and drops it; the compaction that drops it also drops the deleted
// keys, and counts their values as dead.
var reclaimPrefix = []byte("reclaim/")

// reclaimRatio: Badger rewrites a value-log file once at least this share of it is dead.
// Its own recommendation: each byte is then written about twice over its life.
const reclaimRatio = 0.5

// maxRewrites bounds the value-log files one Reclaim rewrites: each rewrite removes one
// file, so the loop ends of itself, but a bound costs nothing.
const maxRewrites = 1024

// Reclaim gives back the disk space of what was deleted (DeleteRun, Prune, Sweep): it
// compacts the keys' deletions into Badger's tables, then rewrites every value-log file
// at least half dead, keeping its live values, and removes it. It returns how many bytes
// the ledger's files shrank by: in a ledger that keeps a window of runs this is about
// zero, the live values of a rewritten file filling the value log being written as the
// file goes.
//
// It costs a memtable flush and a compaction of level 0 (milliseconds for the ledger's
// small keys) plus, for each rewritten file, copying its live values (at most half of
// 16 MiB): call it after removals, not after every commit. Writes wait for it.
func (l *Ledger) Reclaim() (freed int64, err error) {
	if l.db.Opts().ReadOnly {
		return 0, badger.ErrGCInReadOnlyMode
	}
	defer damaged(&err)
	l.gc.Lock() // DropPrefix fails every write made meanwhile (ErrBlockedWrites)
	defer l.gc.Unlock()
	before, err := l.size()
	if err != nil {
		return 0, err
	}
	if err := l.compact(); err != nil {
		return 0, fmt.Errorf("reclaiming space: compacting: %w", err)
	}
	for range maxRewrites {
		err := l.db.RunValueLogGC(reclaimRatio)
		if errors.Is(err, badger.ErrNoRewrite) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reclaiming space: rewriting the value log: %w", err)
		}
	}
	after, err := l.size()
	return before - after, err
}

// compact flushes the memtable and compacts level 0 (see reclaimPrefix).
func (l *Ledger) compact() error {
	if err := l.db.Update(func(txn *badger.Txn) error { return txn.Set(reclaimPrefix, nil) }); err != nil {
		return err
	}
	return l.db.DropPrefix(reclaimPrefix)
}

// size is the bytes of the ledger's files.
func (l *Ledger) size() (int64, error) {
	var n int64
	err := filepath.WalkDir(l.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) { // removed by Badger meanwhile
			return nil
		}
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}
