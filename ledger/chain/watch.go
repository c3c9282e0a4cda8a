package chain

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// ExpireSub ends a dispute past its deadline.
type ExpireSub struct {
	Dispute uint64 `json:"dispute"`
}

// Watch looks at the chain every interval for what a member of swarm must do there by
// itself: answer the disputes opened against it (an accused that does not answer loses),
// end its own disputes whose deadlines passed, and claim the rewards of rounds it won.
// Rounds to claim are those Claimable was told of.
func (s *Submitter) Watch(ctx context.Context, swarm [32]byte, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	seen := map[string]bool{} // submissions made: kind|dispute or claim|round
	for {
		if err := s.watchOnce(ctx, swarm, seen); err != nil && ctx.Err() == nil {
			s.mu.Lock()
			s.status.Failing = err.Error()
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Claimable notes a round this member committed to: its reward is claimed if it wins.
func (s *Submitter) Claimable(round uint64) {
	s.mu.Lock()
	if s.claims == nil {
		s.claims = map[uint64]bool{}
	}
	s.claims[round] = true
	s.mu.Unlock()
}

func (s *Submitter) watchOnce(ctx context.Context, swarm [32]byte, seen map[string]bool) error {
	head, err := s.c.BlockNumber(ctx)
	if err != nil {
		return err
	}
	n, err := call(ctx, s.c, "dispute count", s.c.abi.PackDisputeCount(), s.c.abi.UnpackDisputeCount)
	if err != nil {
		return err
	}
	// The newest disputes: older ones were settled or acted on before.
	for d := n.Uint64(); d >= 1 && d+256 > n.Uint64(); d-- {
		x, err := s.c.Dispute(ctx, d)
		if err != nil {
			return err
		}
		if x.Swarm != swarm {
			continue
		}
		key := func(kind string) string { return fmt.Sprintf("%s|%d", kind, d) }
		switch {
		case x.State == Open && x.Accused == s.c.from && head <= x.AnswerBy && !seen[key("answer")]:
			seen[key("answer")] = true
			s.onEvent("chain", fmt.Sprintf("dispute %d: %s disputes this member's round %d: answering", d, short(x.Challenger), x.Round))
			if err := s.Submit("answer", AnswerSub{Dispute: d}); err != nil {
				return err
			}
		case x.State == Open && x.Challenger == s.c.from && head > x.AnswerBy && !seen[key("expire")],
			x.State == Answered && x.Challenger == s.c.from && head > x.RuleBy && !seen[key("expire")]:
			seen[key("expire")] = true
			s.onEvent("chain", fmt.Sprintf("dispute %d: past its deadline (%s): ending it", d, StateName(x.State)))
			if err := s.Submit("expire", ExpireSub{Dispute: d}); err != nil {
				return err
			}
		}
	}
	sw, err := s.c.Swarm(ctx, swarm)
	if err != nil || sw.Created == 0 {
		return err
	}
	s.mu.Lock()
	var rounds []uint64
	for r := range s.claims {
		rounds = append(rounds, r)
	}
	s.mu.Unlock()
	for _, r := range rounds {
		rd, err := s.c.Round(ctx, swarm, r)
		if err != nil {
			return err
		}
		if rd.Opened == 0 || head <= rd.Opened+sw.Spec.VoteBlocks {
			continue // not on chain yet, or still voting
		}
		s.mu.Lock()
		delete(s.claims, r)
		s.mu.Unlock()
		if rd.Leader == s.c.from && !rd.Paid && sw.Spec.Reward.Sign() > 0 {
			s.onEvent("chain", fmt.Sprintf("round %d: this member has the most votes (%d): claiming its reward", r, rd.LeaderVotes))
			if err := s.Submit("claim", ClaimSub{Swarm: swarm, Round: r}); err != nil {
				return err
			}
		}
	}
	return nil
}

func short(a common.Address) string { return a.Hex()[:10] }
