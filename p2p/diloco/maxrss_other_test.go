//go:build !linux

package diloco

// maxRSS is unknown here: getrusage's units differ between systems, and some lack it.
func maxRSS() (uint64, bool) { return 0, false }
