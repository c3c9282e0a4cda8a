package guest

import "testing"

// Draws for neighbouring rounds are unrelated: no shifted repeats between consecutive
// batches (a seeding flaw once made round r+1 repeat round r shifted by one).
func TestSampleRoundsAreIndependent(t *testing.T) {
	const n, k = 1 << 20, 16
	for round := uint64(0); round < 100; round++ {
		a, b := Sample(n, k, 1, round), Sample(n, k, 1, round+1)
		seen := map[int]bool{}
		for _, v := range a {
			seen[v] = true
		}
		shared := 0
		for _, v := range b {
			if seen[v] {
				shared++
			}
		}
		if shared > 1 {
			t.Fatalf("rounds %d and %d share %d of %d draws", round, round+1, shared, k)
		}
	}
	p := Shuffle(1000, 3, 0)
	seen := make([]bool, 1000)
	for _, v := range p {
		if seen[v] {
			t.Fatalf("Shuffle repeats %d", v)
		}
		seen[v] = true
	}
}
