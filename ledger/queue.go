package ledger

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Queued is a submission waiting in the ledger's outbox: something this node committed
// to locally that must reach another system (the chain), kept until that system has it.
// A crash loses nothing: the submitter starts again from the outbox.
type Queued struct {
	Seq       uint64          `json:"seq"`
	Kind      string          `json:"kind"` // what to submit: "commit", "vote", "dispute", ...
	Body      json.RawMessage `json:"body"` // its arguments
	Added     time.Time       `json:"added"`
	Tries     int             `json:"tries"`
	LastError string          `json:"last_error,omitempty"`
	// Sent is the hash of the transaction that carried it, once one did; the entry stays
	// (Done) until that transaction is deep enough to keep.
	Sent string    `json:"sent,omitempty"`
	Done time.Time `json:"done,omitempty"`
}

// MaxQueued bounds the outbox: a node that cannot reach the chain for a long time keeps
// its newest submissions and says it dropped the oldest.
const MaxQueued = 100_000

func outboxKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte("outbox/"), seq) }

// Enqueue adds a submission to the outbox.
func (l *Ledger) Enqueue(kind string, body any, now time.Time) (Queued, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return Queued{}, fmt.Errorf("outbox: %w", err)
	}
	q := Queued{Kind: kind, Body: raw, Added: now.UTC()}
	// One enqueue at a time: the next number is read, then written.
	l.outboxMu.Lock()
	defer l.outboxMu.Unlock()
	err = l.update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("outbox/"), Reverse: true})
		it.Seek(outboxKey(^uint64(0)))
		if it.Valid() {
			q.Seq = binary.BigEndian.Uint64(it.Item().Key()[len("outbox/"):]) + 1
		} else {
			q.Seq = 1
		}
		it.Close()
		v, err := json.Marshal(q)
		if err != nil {
			return err
		}
		return txn.Set(outboxKey(q.Seq), v)
	})
	if err != nil {
		return Queued{}, fmt.Errorf("outbox: %w", err)
	}
	if q.Seq%1000 == 0 {
		return q, l.trimOutbox()
	}
	return q, nil
}

// trimOutbox drops the oldest entries beyond MaxQueued (checked every 1,000 entries).
func (l *Ledger) trimOutbox() error {
	qs, err := l.Outbox()
	if err != nil || len(qs) <= MaxQueued {
		return err
	}
	for _, q := range qs[:len(qs)-MaxQueued] {
		if err := l.Dequeue(q.Seq); err != nil {
			return err
		}
	}
	return nil
}

// Outbox lists the outbox in order.
func (l *Ledger) Outbox() ([]Queued, error) {
	var out []Queued
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("outbox/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var q Queued
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &q) }); err != nil {
				return fmt.Errorf("outbox entry %x: %w", it.Item().Key(), err)
			}
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

// UpdateQueued rewrites an entry (its tries, error, transaction); it must still be there.
func (l *Ledger) UpdateQueued(q Queued) error {
	v, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return l.update(func(txn *badger.Txn) error {
		if _, err := txn.Get(outboxKey(q.Seq)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("outbox entry %d is gone", q.Seq)
		} else if err != nil {
			return err
		}
		return txn.Set(outboxKey(q.Seq), v)
	})
}

// Dequeue removes an entry.
func (l *Ledger) Dequeue(seq uint64) error {
	return l.update(func(txn *badger.Txn) error { return txn.Delete(outboxKey(seq)) })
}
