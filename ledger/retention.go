package ledger

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Retention: roots are kept for every step; full checkpoints are kept as the caller
// decides (every K-th step and the last few, in lockstep run) and dropped with Prune.
// Tensors and blobs are shared between checkpoints (content-addressed), so Prune leaves
// them, and Sweep removes those no stored checkpoint refers to any more.

// Prune drops the stored checkpoint of a run's step (its record and root stay). It does
// nothing if the step has no stored checkpoint.
func (l *Ledger) Prune(run string, step uint64) error {
	return l.update(func(txn *badger.Txn) error {
		item, err := txn.Get(stepKey(run, step))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: run %s has no step %d", ErrNotFound, run, step)
		}
		if err != nil {
			return err
		}
		var r StepRecord
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
			return fmt.Errorf("%w: run %s step %d: %v", ErrCorrupt, run, step, err)
		}
		if !r.Checkpoint {
			return nil
		}
		r.Checkpoint = false
		js, _ := json.Marshal(r)
		if err := txn.Set(stepKey(run, step), js); err != nil {
			return err
		}
		if l.checkpointShared(txn, run, r) {
			return nil
		}
		return txn.Delete(blobKey("checkpoint", r.Root))
	})
}

// checkpointShared reports whether another stored record (of any run) uses r's root.
func (l *Ledger) checkpointShared(txn *badger.Txn, run string, r StepRecord) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("run/"), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var o StepRecord
		if it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &o) }) != nil {
			continue
		}
		if o.Checkpoint && o.Root == r.Root && !(o.Run == run && o.Step == r.Step) {
			return true
		}
	}
	return false
}

// Sweep deletes tensors and blobs that no stored checkpoint refers to, and returns how
// many it deleted. Modules and inputs belong to runs and are kept.
func (l *Ledger) Sweep() (int, error) {
	live := map[string]bool{}
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("checkpoint/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var m manifest
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				return fmt.Errorf("%w: %q: %v", ErrCorrupt, it.Item().Key(), err)
			}
			for _, hx := range m.Tensors {
				h, _ := hash32(hx)
				live[string(blobKey("tensor", h))] = true
			}
			h, _ := hash32(m.Blob)
			live[string(blobKey("blob", h))] = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var dead [][]byte
	err = l.view(func(txn *badger.Txn) error {
		for _, prefix := range []string{"tensor/", "blob/"} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
			for it.Rewind(); it.Valid(); it.Next() {
				if k := it.Item().KeyCopy(nil); !live[string(k)] {
					dead = append(dead, k)
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for start := 0; start < len(dead); start += 1000 {
		batch := dead[start:min(start+1000, len(dead))]
		if err := l.update(func(txn *badger.Txn) error {
			for _, k := range batch {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}
