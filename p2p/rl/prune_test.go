package rl

import (
	"context"
	"testing"
)

// A member with four peers scores its own rows and theirs in one call: five generations,
// more than CheckRows lets Score take (maxBatch = 4), so every round of a swarm of five or
// more members (or four members and one sybil) fails before training.
func TestScoreFiveGenerations(t *testing.T) {
	ctx := context.Background()
	tr, _ := trainer(t, testConfig())
	st, err := tr.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := tr.Generate(ctx, st, 1, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for range 5 { // own + 4 peers
		all = append(all, g.Rows...)
	}
	if _, err := tr.Score(ctx, 1, all); err != nil {
		t.Fatalf("scoring the rows of a member and 4 peers: %v", err)
	}
}

// Latest after a crash between a round's generation and its training: the generation
// run is complete, the training run has only its step 0. Latest must give the state of
// the round before (it does); and a Prune that keeps that state must not remove it.
func TestPruneKeepsLatestAcrossSkippedRounds(t *testing.T) {
	ctx := context.Background()
	tr, _ := trainer(t, testConfig())
	st, err := tr.Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := tr.Generate(ctx, st, 1, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := tr.Train(ctx, g, g.Rows)
	if err != nil {
		t.Fatal(err)
	}
	// The member skips to round 9 (the swarm is there) and prunes with KeepRounds 2.
	g9, err := tr.Generate(ctx, s1, 9, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	s9, err := tr.Train(ctx, g9, g9.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Prune(9-2+1, s9); err != nil {
		t.Fatal(err)
	}
	latest, err := tr.Latest()
	if err != nil || latest == nil || latest.Root() != s9.Root() {
		t.Fatalf("Latest after Prune: %v %v", latest, err)
	}
	// Replaying the kept training run needs the state it continues.
	if _, ok := tr.GenRun(9, alice); !ok {
		t.Errorf("the generation of round 9 (a dispute needs it) is gone")
	}
}
