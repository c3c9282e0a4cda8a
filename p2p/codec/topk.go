package codec

import (
	"math"
	"slices"
)

// magnitude is |x| as its float32 bits: for finite values, ordering these integers orders
// the magnitudes, and +0 and -0 are equal.
func magnitude(x float32) uint32 { return math.Float32bits(x) &^ (1 << 31) }

// rank is the position of element i in the selection order as one integer: magnitude
// bits high, inverted index low, so a larger rank is a larger magnitude or, on a tie, a
// lower index. Ranks are distinct, so the top k is one set whatever the algorithm.
func rank(x float32, i int) uint64 { return uint64(magnitude(x))<<32 | uint64(^uint32(i)) }

// topK returns, in increasing order, the indices of the k elements of v of highest rank.
// It buckets the magnitudes by their top 16 bits, takes every bucket above the one where
// the k-th element falls, and sorts only that bucket: linear unless most magnitudes share
// a bucket.
func topK(v []float32, k int) []uint32 {
	if k <= 0 {
		return nil
	}
	const shift = 15 // magnitudes have 31 bits: 16 bits of bucket
	count := make([]int, 1<<16)
	for _, x := range v {
		count[magnitude(x)>>shift]++
	}
	above, edge := 0, len(count)-1
	for ; above+count[edge] < k; edge-- {
		above += count[edge]
	}
	ranks := make([]uint64, 0, count[edge])
	for i, x := range v {
		if magnitude(x)>>shift == uint32(edge) {
			ranks = append(ranks, rank(x, i))
		}
	}
	slices.Sort(ranks)
	least := ranks[len(ranks)-(k-above)] // the lowest rank still kept

	kept := make([]uint32, 0, k)
	for i, x := range v {
		if b := magnitude(x) >> shift; b > uint32(edge) || b == uint32(edge) && rank(x, i) >= least {
			kept = append(kept, uint32(i))
		}
	}
	return kept
}
