package ledger

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Removed says what DeleteRun removed.
type Removed struct {
	Steps, Checkpoints, Blobs int // step records, stored checkpoints, module/input/tensor blobs
}

// DeleteRun removes a run from the ledger: its metadata first, so that from then on it is
// neither listed nor resumable, then its step records, the checkpoints no other run
// stores, the module and inputs no other run names, and the tensors and blobs no stored
// checkpoint refers to any more. A crash part-way leaves no visible run, and DeleteRun of
// the same ID finishes the job.
func (l *Ledger) DeleteRun(id string) (Removed, error) {
	l.gc.Lock()
	defer l.gc.Unlock()
	var rm Removed
	var meta *RunMeta
	if m, err := l.Run(id); err == nil {
		meta = &m
	} else if !errors.Is(err, ErrNotFound) {
		return rm, err
	}
	var recs []StepRecord
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: stepPrefix(id), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r StepRecord
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				// Delete it all the same: it is this run's, and the run is going.
				r = StepRecord{Step: ^uint64(0)}
			}
			r.Run = id
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return rm, err
	}
	if meta == nil && len(recs) == 0 {
		return rm, fmt.Errorf("%w: no run %q (lockstep ledger runs lists them)", ErrNotFound, id)
	}
	if meta != nil {
		if err := l.update(func(txn *badger.Txn) error { return txn.Delete(runKey(id)) }); err != nil {
			return rm, err
		}
	}
	// The records, a batch per transaction; each checkpoint goes with its record unless
	// another run stores it too.
	for start := 0; start < len(recs); start += 1000 {
		batch := recs[start:min(start+1000, len(recs))]
		if err := l.update(func(txn *badger.Txn) error {
			others := otherRuns(txn, id)
			for _, r := range batch {
				if r.Step != ^uint64(0) && r.Checkpoint && !checkpointShared(txn, others, r) {
					if err := txn.Delete(blobKey("checkpoint", r.Root)); err != nil {
						return err
					}
					rm.Checkpoints++
				}
			}
			it := txn.NewIterator(badger.IteratorOptions{Prefix: stepPrefix(id)})
			var keys [][]byte
			for it.Rewind(); it.Valid() && len(keys) < len(batch); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			rm.Steps += len(keys)
			return nil
		}); err != nil {
			return rm, err
		}
	}
	n, err := l.dropUnnamed()
	rm.Blobs += n
	if err != nil {
		return rm, err
	}
	n, err = l.sweep()
	rm.Blobs += n
	return rm, err
}

// dropUnnamed deletes the modules and inputs that no run names (those of removed runs).
func (l *Ledger) dropUnnamed() (int, error) {
	runs, err := l.Runs()
	if err != nil {
		return 0, err
	}
	named := map[string]bool{}
	for _, r := range runs {
		if h, ok := hash32(r.Module); ok {
			named[string(blobKey("module", h))] = true
		}
		for _, hx := range r.Inputs {
			if h, ok := hash32(hx); ok {
				named[string(blobKey("input", h))] = true
			}
		}
	}
	var keys [][]byte
	err = l.view(func(txn *badger.Txn) error {
		for _, prefix := range []string{"module/", "input/"} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
			for it.Rewind(); it.Valid(); it.Next() {
				if k := it.Item().KeyCopy(nil); !named[string(k)] {
					keys = append(keys, k)
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(keys), l.update(func(txn *badger.Txn) error {
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
