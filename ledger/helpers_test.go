package ledger

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func jsonArray(b [32]byte) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// contents is everything stored in l, key to value.
func contents(t testing.TB, l *Ledger) map[string]string {
	t.Helper()
	all := map[string]string{}
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			all[string(it.Item().Key())] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
