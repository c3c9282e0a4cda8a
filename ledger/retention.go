package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockstep-ml/lockstep/host"
)

// Retention: roots are kept for every step; full checkpoints are kept as the caller
// decides (every K-th step and the last few, in lockstep run) and dropped with Prune.
// Tensors and blobs are shared between checkpoints (content-addressed), so Prune leaves
// them, and Sweep removes those no stored checkpoint refers to any more.

// Prune drops the stored checkpoints of a run's steps (their records and roots stay), in
// one synced transaction. A step without a stored checkpoint is left as it is.
func (l *Ledger) Prune(run string, steps ...uint64) error {
	l.gc.Lock()
	defer l.gc.Unlock()
	return l.update(func(txn *badger.Txn) error {
		others := otherRuns(txn, run)
		for _, step := range steps {
			if err := l.prune(txn, run, step, others); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *Ledger) prune(txn *badger.Txn, run string, step uint64, others []string) error {
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
	if checkpointShared(txn, others, r) {
		return nil
	}
	return txn.Delete(blobKey("checkpoint", r.Root))
}

// StoreCheckpoint stores the full checkpoint of a step already committed with only its
// root (an interrupted run keeps its last step this way, so a resume starts there). The
// checkpoint must be the one the record commits to.
func (l *Ledger) StoreCheckpoint(run string, cp *host.Checkpoint) error {
	l.gc.RLock()
	defer l.gc.RUnlock()
	return l.update(func(txn *badger.Txn) error {
		item, err := txn.Get(stepKey(run, cp.Step))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: run %s has no step %d", ErrNotFound, run, cp.Step)
		}
		if err != nil {
			return err
		}
		var r StepRecord
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
			return fmt.Errorf("%w: run %s step %d: %v", ErrCorrupt, run, cp.Step, err)
		}
		if r.Root != cp.Root || !cp.Verify() {
			return fmt.Errorf("BUG: storing a checkpoint of step %d that is not the committed one", cp.Step)
		}
		if r.Checkpoint {
			return nil
		}
		if err := l.putCheckpoint(txn, cp); err != nil {
			return err
		}
		r.Checkpoint = true
		js, _ := json.Marshal(r)
		return txn.Set(stepKey(run, cp.Step), js)
	})
}

// checkpointShared reports whether a stored record of one of the runs others uses r's
// root. A root commits to its step, so only another run's record of the same step can: it
// reads that one record of each run, never the step records themselves (keeping the last
// few checkpoints prunes one per step, so scanning them all made --keep-last quadratic).
func checkpointShared(txn *badger.Txn, others []string, r StepRecord) bool {
	for _, id := range others {
		item, err := txn.Get(stepKey(id, r.Step))
		if err != nil {
			continue
		}
		var o StepRecord
		if item.Value(func(v []byte) error { return json.Unmarshal(v, &o) }) == nil && o.Checkpoint && o.Root == r.Root {
			return true
		}
	}
	return false
}

// otherRuns lists the runs with any key (metadata or steps) besides run, once per
// transaction for all the records it prunes.
func otherRuns(txn *badger.Txn, run string) []string {
	ids := runIDs(txn)
	return slices.DeleteFunc(ids, func(id string) bool { return id == run })
}

// runIDs lists the IDs of the runs that have any key (metadata or steps), skipping over
// each run's step records.
func runIDs(txn *badger.Txn) []string {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("run/")})
	defer it.Close()
	var ids []string
	for it.Rewind(); it.Valid(); {
		k := it.Item().Key()
		id, _, ok := bytes.Cut(k[len("run/"):], []byte("/"))
		if !ok {
			it.Next()
			continue
		}
		ids = append(ids, string(id))
		it.Seek(append([]byte("run/"+string(id)+"/"), 0xff))
	}
	return ids
}

// Sweep deletes tensors and blobs that no stored checkpoint refers to, and returns how
// many it deleted. Modules and inputs belong to runs and are kept.
func (l *Ledger) Sweep() (int, error) {
	l.gc.Lock()
	defer l.gc.Unlock()
	return l.sweep()
}

func (l *Ledger) sweep() (int, error) {
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
	if err := l.deleteKeys(dead); err != nil {
		return 0, err
	}
	return len(dead), nil
}
