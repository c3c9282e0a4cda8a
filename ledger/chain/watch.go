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
// It finds the swarm's disputes by their DisputeOpened events (every one of them, however
// many other swarms dispute meanwhile) and follows each until it is settled. Rounds to
// claim are those Claimable was told of.
func (s *Submitter) Watch(ctx context.Context, swarm [32]byte, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	w := &watch{swarm: swarm, open: map[uint64]bool{}, seen: map[string]bool{}}
	for {
		if err := s.watchOnce(ctx, w); err != nil && ctx.Err() == nil {
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

// watch is what Watch keeps between looks.
type watch struct {
	swarm [32]byte
	from  uint64          // the next block whose DisputeOpened events to read
	open  map[uint64]bool // the swarm's disputes not yet seen settled
	seen  map[string]bool // submissions queued: kind|dispute
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

func (s *Submitter) watchOnce(ctx context.Context, w *watch) error {
	swarm := w.swarm
	head, err := s.c.BlockNumber(ctx)
	if err != nil {
		return err
	}
	if w.from == 0 {
		sw, err := s.c.Swarm(ctx, swarm)
		if err != nil || sw.Created == 0 {
			return err // the swarm is not on chain yet
		}
		w.from = sw.Created
	}
	if head >= w.from {
		ds, err := s.c.DisputesOpened(ctx, swarm, w.from, head)
		if err != nil {
			return err
		}
		for _, d := range ds {
			w.open[d] = true
		}
		w.from = head + 1
	}
	for d := range w.open {
		x, err := s.c.Dispute(ctx, d)
		if err != nil {
			return err
		}
		if x.State != Open && x.State != Answered {
			delete(w.open, d)
			continue
		}
		act := func(kind, text string, body any) error {
			key := fmt.Sprintf("%s|%d", kind, d)
			if w.seen[key] {
				return nil
			}
			s.onEvent("chain", text)
			if err := s.Submit(kind, body); err != nil {
				return err
			}
			w.seen[key] = true
			return nil
		}
		switch {
		case x.State == Open && x.Accused == s.c.from && head <= x.AnswerBy:
			err = act("answer", fmt.Sprintf("dispute %d: %s disputes this member's round %d: answering", d, short(x.Challenger), x.Round), AnswerSub{Dispute: d})
		case x.State == Open && x.Challenger == s.c.from && head > x.AnswerBy,
			x.State == Answered && x.Challenger == s.c.from && head > x.RuleBy:
			err = act("expire", fmt.Sprintf("dispute %d: past its deadline (%s): ending it", d, StateName(x.State)), ExpireSub{Dispute: d})
		}
		if err != nil {
			return err
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
		if rd.Leader == s.c.from && !rd.Paid && sw.Spec.Reward.Sign() > 0 {
			s.onEvent("chain", fmt.Sprintf("round %d: this member has the most votes (%d): claiming its reward", r, rd.LeaderVotes))
			if err := s.Submit("claim", ClaimSub{Swarm: swarm, Round: r}); err != nil {
				return err
			}
		}
		s.mu.Lock()
		delete(s.claims, r)
		s.mu.Unlock()
	}
	return nil
}

func short(a common.Address) string { return a.Hex()[:10] }
