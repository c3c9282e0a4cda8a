package kernels

import (
	"sort"
	"sync"
	"testing"
)

// parallelForN covers [0, n) exactly once with contiguous chunks, uses every worker it is
// given when there is enough work (gemm once ran 171 row panels on one of two workers),
// and never makes a chunk smaller than grain unless n itself is.
func TestParallelForSplits(t *testing.T) {
	cases := []struct{ n, grain, workers, wantChunks int }{
		{171, 1, 2, 2}, {86, 1, 2, 2}, {1, 1, 4, 1}, {0, 1, 4, 0}, {10, 1, 16, 10},
		{100, 30, 8, 3}, {100, 200, 8, 1}, {1 << 20, 4096, 2, 2},
	}
	for _, c := range cases {
		var mu sync.Mutex
		var chunks [][2]int
		parallelForN(c.n, c.grain, c.workers, func(lo, hi int) {
			mu.Lock()
			chunks = append(chunks, [2]int{lo, hi})
			mu.Unlock()
		})
		sort.Slice(chunks, func(i, j int) bool { return chunks[i][0] < chunks[j][0] })
		if len(chunks) != c.wantChunks {
			t.Errorf("n=%d grain=%d workers=%d: %d chunks %v, want %d", c.n, c.grain, c.workers, len(chunks), chunks, c.wantChunks)
			continue
		}
		next := 0
		for _, ch := range chunks {
			if ch[0] != next || ch[1] <= ch[0] {
				t.Errorf("n=%d workers=%d: chunks %v do not tile [0, n)", c.n, c.workers, chunks)
				break
			}
			next = ch[1]
		}
		if next != c.n {
			t.Errorf("n=%d workers=%d: chunks %v stop at %d", c.n, c.workers, chunks, next)
		}
	}
}
