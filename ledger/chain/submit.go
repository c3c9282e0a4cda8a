package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/lockstep-ml/lockstep/ledger"
)

// What a node submits, as it is kept in the ledger's outbox. Amounts are decimal wei.
type (
	RegisterSub struct {
		Addrs    []string `json:"addrs"`
		Bootnode bool     `json:"bootnode"`
	}
	CreateSub struct {
		Spec SpecJSON `json:"spec"`
		Pool string   `json:"pool"`
	}
	JoinSub struct {
		Swarm common.Hash `json:"swarm"`
		Stake string      `json:"stake"`
	}
	CommitSub struct {
		Swarm common.Hash `json:"swarm"`
		Round uint64      `json:"round"`
		Root  common.Hash `json:"root"`
	}
	VoteSub struct {
		Swarm  common.Hash    `json:"swarm"`
		Round  uint64         `json:"round"`
		Winner common.Address `json:"winner"`
	}
	DisputeSub struct {
		Swarm    common.Hash    `json:"swarm"`
		Round    uint64         `json:"round"`
		Accused  common.Address `json:"accused"`
		Evidence common.Hash    `json:"evidence"`
		Bond     string         `json:"bond"`
	}
	// AnswerSub answers the dispute of Challenger against this node's round.
	AnswerSub struct {
		Dispute uint64 `json:"dispute"`
	}
	// RuleSub settles the dispute of Challenger against Accused's round, with this
	// node's signature as a referee (and any others').
	RuleSub struct {
		Swarm       common.Hash    `json:"swarm"`
		Round       uint64         `json:"round"`
		Accused     common.Address `json:"accused"`
		Challenger  common.Address `json:"challenger"`
		AccusedLost bool           `json:"accused_lost"`
		Ruling      common.Hash    `json:"ruling"`
	}
	ClaimSub struct {
		Swarm common.Hash `json:"swarm"`
		Round uint64      `json:"round"`
	}
)

// SpecJSON is a Spec as the outbox keeps it.
type SpecJSON struct {
	Module, Data, Config                 common.Hash
	Stake, Reward                        string
	VoteBlocks, AnswerBlocks, RuleBlocks uint64
	Quorum                               uint8
}

func (s SpecJSON) Spec() (Spec, error) {
	stake, ok1 := new(big.Int).SetString(s.Stake, 10)
	reward, ok2 := new(big.Int).SetString(s.Reward, 10)
	if !ok1 || !ok2 {
		return Spec{}, fmt.Errorf("spec: stake %q or reward %q is not a number of wei", s.Stake, s.Reward)
	}
	return Spec{Module: s.Module, Data: s.Data, Config: s.Config, Stake: stake, Reward: reward,
		VoteBlocks: s.VoteBlocks, AnswerBlocks: s.AnswerBlocks, RuleBlocks: s.RuleBlocks, Quorum: s.Quorum}, nil
}

// AsJSON is the outbox form of a Spec.
func AsJSON(s Spec) SpecJSON {
	return SpecJSON{Module: s.Module, Data: s.Data, Config: s.Config, Stake: s.Stake.String(), Reward: s.Reward.String(),
		VoteBlocks: s.VoteBlocks, AnswerBlocks: s.AnswerBlocks, RuleBlocks: s.RuleBlocks, Quorum: s.Quorum}
}

// SubmitStatus is what the submitter shows.
type SubmitStatus struct {
	Queued    int               // waiting in the outbox (not yet on chain)
	Submitted uint64            // transactions mined, this run
	Gas       uint64            // gas they used
	LastGas   map[string]uint64 // the last gas of each kind
	Failing   string            // why the chain cannot be reached now ("" when it can)
	Dropped   uint64            // submissions the contract refused for good
}

// Submitter sends the outbox to the chain, in order, retrying with backoff. It never
// stops the node: a chain that cannot be reached is reported (Status, events) and tried
// again. A submission is removed from the outbox only once its transaction is mined and
// Confirmations blocks deep; one whose transaction vanished (a chain that lost blocks) is
// sent again.
type Submitter struct {
	c       *Chain
	led     *ledger.Ledger
	onEvent func(kind, text string)
	// Confirmations is how deep a mined submission must be before it leaves the outbox.
	Confirmations uint64
	// MaxRefusals is how many times a refused submission is tried (the state may change:
	// a vote for a member whose join is not mined yet) before it is dropped.
	MaxRefusals int

	mu     sync.Mutex
	status SubmitStatus
	wake   chan struct{}
	next   map[uint64]time.Time // when a refused entry may be tried again
	claims map[uint64]bool      // rounds whose reward this member may claim (Watch)
}

// NewSubmitter makes the submitter of led's outbox to c. onEvent receives "chain" and
// "warn" lines.
func NewSubmitter(c *Chain, led *ledger.Ledger, onEvent func(kind, text string)) *Submitter {
	if onEvent == nil {
		onEvent = func(string, string) {}
	}
	conf := uint64(12)
	if c.chainID.Uint64() == DevChainID {
		conf = 1
	}
	return &Submitter{c: c, led: led, onEvent: onEvent, Confirmations: conf, MaxRefusals: 5,
		status: SubmitStatus{LastGas: map[string]uint64{}}, wake: make(chan struct{}, 1), next: map[uint64]time.Time{}}
}

// Chain is the submitter's chain client.
func (s *Submitter) Chain() *Chain { return s.c }

// Submit puts a submission in the outbox and wakes the submitter.
func (s *Submitter) Submit(kind string, body any) error {
	if _, err := s.led.Enqueue(kind, body, time.Now()); err != nil {
		return err
	}
	s.mu.Lock()
	s.status.Queued++ // until the next pass counts again
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Status is a copy of the submitter's status.
func (s *Submitter) Status() SubmitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.LastGas = map[string]uint64{}
	for k, v := range s.status.LastGas {
		st.LastGas[k] = v
	}
	return st
}

// Run sends the outbox until ctx ends.
func (s *Submitter) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		err := s.pass(ctx)
		wait := 2 * time.Second
		if err != nil && ctx.Err() == nil {
			s.mu.Lock()
			first := s.status.Failing == ""
			s.status.Failing = err.Error()
			s.mu.Unlock()
			if first {
				s.onEvent("warn", fmt.Sprintf("%v (training goes on; retrying with backoff)", err))
			}
			wait, backoff = backoff, min(2*backoff, time.Minute)
		} else if err == nil {
			s.mu.Lock()
			if s.status.Failing != "" {
				s.onEvent("chain", "reachable again")
			}
			s.status.Failing = ""
			s.mu.Unlock()
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}

// pass goes through the outbox once. It returns an error when the chain could not be
// reached (the rest waits for the next pass).
func (s *Submitter) pass(ctx context.Context) error {
	qs, err := s.led.Outbox()
	if err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	head, err := s.c.BlockNumber(ctx)
	if err != nil {
		return err
	}
	// Answers first: an accused that does not answer in time loses, whatever waits ahead
	// of its answer.
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].Kind == "answer" && qs[j].Kind != "answer" })
	waiting := 0
	for _, q := range qs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if q.Sent != "" {
			if err := s.confirm(ctx, q, head); err != nil {
				return err
			}
			continue
		}
		waiting++
		if t, ok := s.next[q.Seq]; ok && time.Now().Before(t) {
			continue
		}
		rec, err := s.send(ctx, q)
		switch {
		case err == nil:
			q.Sent, q.Done, q.Tries = rec.TxHash.Hex(), time.Now().UTC(), q.Tries+1
			delete(s.next, q.Seq)
			s.mu.Lock()
			s.status.Submitted++
			s.status.Gas += rec.GasUsed
			s.status.LastGas[q.Kind] = rec.GasUsed
			s.mu.Unlock()
			s.onEvent("chain", fmt.Sprintf("%s mined in block %d, %d gas", describe(q), rec.BlockNumber, rec.GasUsed))
			if err := s.led.UpdateQueued(q); err != nil {
				return err
			}
			waiting--
		case isDone(err):
			// Already on chain: a submission sent before a restart, or by another.
			delete(s.next, q.Seq)
			s.onEvent("chain", fmt.Sprintf("%s was already on chain (%v)", describe(q), reason(err)))
			if err := s.led.Dequeue(q.Seq); err != nil {
				return err
			}
			waiting--
		case unreachable(err):
			return err
		default:
			// Refused, waiting for something else to reach the chain, or not sendable
			// (no funds for its value, a malformed entry): tried a few times, then
			// dropped, so that one entry never holds up the rest.
			q.Tries++
			q.LastError = err.Error()
			limit := s.MaxRefusals
			if errors.Is(err, errNotYet) {
				limit *= 6
			}
			if q.Tries >= limit {
				s.onEvent("warn", fmt.Sprintf("%s dropped after %d tries: %v", describe(q), q.Tries, err))
				s.mu.Lock()
				s.status.Dropped++
				s.mu.Unlock()
				delete(s.next, q.Seq)
				if err := s.led.Dequeue(q.Seq); err != nil {
					return err
				}
				waiting--
				continue
			}
			s.next[q.Seq] = time.Now().Add(time.Duration(min(q.Tries*q.Tries, 30)) * 2 * time.Second)
			if err := s.led.UpdateQueued(q); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	s.status.Queued = waiting
	s.mu.Unlock()
	return nil
}

// confirm removes a mined submission once it is deep enough, or sends it again if its
// transaction is gone.
func (s *Submitter) confirm(ctx context.Context, q ledger.Queued, head uint64) error {
	rec, err := s.c.b.TransactionReceipt(ctx, common.HexToHash(q.Sent))
	switch {
	case errors.Is(err, ethereum.NotFound):
		s.onEvent("warn", fmt.Sprintf("the transaction of %s (%s) is no longer on chain: sending it again", describe(q), q.Sent))
		q.Sent, q.Done = "", time.Time{}
		return s.led.UpdateQueued(q)
	case err != nil:
		return err
	case rec.BlockNumber.Uint64()+s.Confirmations <= head:
		return s.led.Dequeue(q.Seq)
	}
	return nil
}

// errNotYet is a submission that waits for something else to reach the chain first.
var errNotYet = errors.New("not on chain yet")

// send makes one submission's transaction.
func (s *Submitter) send(ctx context.Context, q ledger.Queued) (*types.Receipt, error) {
	wei := func(v string) (*big.Int, error) {
		n, ok := new(big.Int).SetString(v, 10)
		if !ok {
			return nil, fmt.Errorf("%q is not a number of wei", v)
		}
		return n, nil
	}
	switch q.Kind {
	case "register":
		var b RegisterSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.Register(ctx, b.Addrs, b.Bootnode)
	case "create":
		var b CreateSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		spec, err := b.Spec.Spec()
		if err != nil {
			return nil, err
		}
		pool, err := wei(b.Pool)
		if err != nil {
			return nil, err
		}
		_, rec, err := s.c.CreateSwarm(ctx, spec, pool)
		return rec, err
	case "join":
		var b JoinSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		stake, err := wei(b.Stake)
		if err != nil {
			return nil, err
		}
		return s.c.Join(ctx, b.Swarm, stake)
	case "commit":
		var b CommitSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.Commit(ctx, b.Swarm, b.Round, b.Root)
	case "vote":
		var b VoteSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.Vote(ctx, b.Swarm, b.Round, b.Winner)
	case "dispute":
		var b DisputeSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		bond, err := wei(b.Bond)
		if err != nil {
			return nil, err
		}
		_, rec, err := s.c.OpenDispute(ctx, b.Swarm, b.Round, b.Accused, b.Evidence, bond)
		return rec, err
	case "answer":
		var b AnswerSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.Answer(ctx, b.Dispute)
	case "rule":
		var b RuleSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		d, err := s.c.DisputeOf(ctx, b.Swarm, b.Round, b.Accused, b.Challenger)
		if err != nil {
			return nil, err
		}
		if d == 0 {
			return nil, fmt.Errorf("the dispute of %s against %s's round %d: %w", b.Challenger, b.Accused, b.Round, errNotYet)
		}
		sig, err := s.c.SignRuling(ctx, d, b.AccusedLost, b.Ruling)
		if err != nil {
			return nil, err
		}
		return s.c.Rule(ctx, d, b.AccusedLost, b.Ruling, [][]byte{sig})
	case "expire":
		var b ExpireSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.Expire(ctx, b.Dispute)
	case "claim":
		var b ClaimSub
		if err := json.Unmarshal(q.Body, &b); err != nil {
			return nil, err
		}
		return s.c.ClaimReward(ctx, b.Swarm, b.Round)
	}
	return nil, &Reverted{Op: q.Kind, Reason: "unknown kind of submission"}
}

// isDone reports a refusal that means the submission is on chain already.
func isDone(err error) bool {
	var r *Reverted
	if !errors.As(err, &r) {
		return false
	}
	for _, s := range []string{"already committed for this round", "already voted for this round", "swarm exists", "already a member", "already disputed", "the dispute is settled", "already paid", "the dispute is not open"} {
		if strings.HasPrefix(r.Reason, s) {
			return true
		}
	}
	return false
}

func reason(err error) string {
	var r *Reverted
	if errors.As(err, &r) {
		return r.Reason
	}
	return err.Error()
}

// describe names a submission for the log.
func describe(q ledger.Queued) string {
	var b struct {
		Round   *uint64         `json:"round"`
		Winner  *common.Address `json:"winner"`
		Accused *common.Address `json:"accused"`
	}
	json.Unmarshal(q.Body, &b)
	s := q.Kind
	if b.Round != nil {
		s += fmt.Sprintf(" round %d", *b.Round)
	}
	if b.Winner != nil {
		s += " for " + b.Winner.Hex()[:10]
	}
	if b.Accused != nil {
		s += " of " + b.Accused.Hex()[:10]
	}
	return s
}

// unreachable reports an error of reaching the chain (the node, the network, a
// transaction not mined in time), as against one of the submission itself: the first
// holds up the outbox until the chain answers again, the second only its entry.
func unreachable(err error) bool {
	if IsReverted(err) || errors.Is(err, errNotYet) {
		return false
	}
	var ne net.Error
	var ue *url.Error
	var he rpc.HTTPError
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &he) || errors.Is(err, errNotMined) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	m := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "no such host", "timeout", "EOF", "closed", "indexing is in progress"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
