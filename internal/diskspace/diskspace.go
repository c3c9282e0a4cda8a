// Package diskspace says how much space a file system has left, so that the ledger can
// refuse a write it has no room for: Badger writes through memory-mapped files, and a
// write to a full disk there kills the process with SIGBUS instead of returning an error.
package diskspace

import (
	"errors"
	"fmt"
)

// ErrUnknown is returned where the platform cannot say.
var ErrUnknown = errors.New("free disk space unknown on this platform")

// Free returns the bytes an unprivileged process may still write on the file system that
// holds path.
func Free(path string) (uint64, error) {
	n, err := free(path)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", path, err)
	}
	return n, nil
}

// Bytes formats a byte count for messages: 3.2 MB, 64 MB, 1.5 GB.
func Bytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}
