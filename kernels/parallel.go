package kernels

import (
	"math"
	"runtime"
	"sync"
)

// parallelFor splits [0, n) into contiguous chunks of at least grain indices and runs fn
// on them across GOMAXPROCS goroutines. R0 allows parallelism only across independent
// output elements: fn must write each output element from one chunk only, so the result
// cannot depend on how the range was split.
func parallelFor(n, grain int, fn func(lo, hi int)) {
	parallelForN(n, grain, runtime.GOMAXPROCS(0), fn)
}

// parallelForN is parallelFor with at most workers goroutines.
func parallelForN(n, grain, workers int, fn func(lo, hi int)) {
	if grain < 1 {
		grain = 1
	}
	if w := n / grain; w < workers {
		workers = w
	}
	if workers <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// sqrtf is the correctly rounded binary32 square root. Rounding the binary64 root to
// binary32 is exact-to-nearest (53 >= 2*24+2), and compilers emit one SQRTSS for it.
func sqrtf(x float32) float32 { return float32(math.Sqrt(float64(x))) }
