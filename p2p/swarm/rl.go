package swarm

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	"github.com/lockstep-ml/lockstep/p2p"
	"github.com/lockstep-ml/lockstep/p2p/rl"
	"github.com/lockstep-ml/lockstep/runtime"
)

// An RL swarm (package p2p/rl) runs over the same network as a DiLoCo swarm, but its
// members keep policies of their own: nothing is averaged, so there is no state to agree
// on. A round, for each member (DESIGN.md, "The swarm"):
//
//  1. Generate its rollouts for the round's questions from its newest state and publish
//     them: a "rollouts" message names the state it generated from (its root, and the
//     state itself as a blob), the generation's root and the rows (a blob).
//  2. Collect the others' rows until every member heard last round has published, or
//     RoundWait passes; a member that is late is not waited for longer.
//  3. Score every row with the task's checker, choose the batch (rl.Trainer.Batch: per
//     question, its own rows and the best-scoring of its peers'), train one step, and
//     publish a "commit": its new root, its mean reward and its vote, for the peer whose
//     rows scored best.
//  4. Check one peer (the next in an order that changes every round, so every member is
//     checked by one other): fetch the state it generated from, check it against its
//     announced root, regenerate its rollouts with its sampling seed and compare the
//     generation's root. A peer whose rollouts are not what its state samples is disputed
//     before a referee (the first-ranked member that is neither party) in a Verde game
//     over the generation step; the loser is ignored from then on.
//
// A member that finds the swarm ahead (it was slow, or joined late, or restarted) skips to
// the newest round it hears: its policy is its own, so it has nothing to catch up on.

// RLConfig is how a member of an RL swarm takes part.
type RLConfig struct {
	Swarm  string
	Rounds uint64 // stop after this round (0: until the context ends)
	// Transplant is J, rows per question taken from peers (rl.DefaultTransplant: half a
	// group; 0: trains on its own rows alone, while still sharing and checking).
	Transplant int
	// RoundWait is how long a member waits for the others' rollouts after its own;
	// JoinWait how long a starting member listens for the swarm's round.
	RoundWait, JoinWait time.Duration
	Eval                bool   // evaluate the policy after every round (held-out accuracy)
	Check               bool   // regenerate one peer's rollouts every round
	KeepRounds          uint64 // rounds of runs the ledger keeps (0: all)
	Runtime             runtime.Config
}

// DefaultRLConfig: waits that suit members on different machines.
func DefaultRLConfig(swarm string) RLConfig {
	return RLConfig{Swarm: swarm, Transplant: rl.DefaultTransplant, RoundWait: 30 * time.Second, JoinWait: 5 * time.Second, Eval: true, Check: true, KeepRounds: 16}
}

// RLStatus is what a member of an RL swarm shows.
type RLStatus struct {
	Address  common.Address
	Peer     peer.ID
	Round    uint64 // the last round the member trained
	Phase    string
	Root     [32]byte
	Reward   float64 // the mean reward of its own rows in its last round
	Accuracy float64 // held-out accuracy after its last round (RLConfig.Eval), NaN if none
	Members  int     // members whose rows it had in its last round
	Votes    int     // votes it received for its last round
	Vote     common.Address
	Winner   common.Address // the member most voted for in its last round
	Peers    int
	Checked  int // peers' generations it regenerated and found equal
	Disputes int
	Banned   []common.Address
	Excluded int // members whose rows it no longer uses (a failed check, two rollouts for a round)
	Skipped  int // rounds it skipped (it was behind)
}

// rolloutsBody announces a member's rollouts for a round.
type rolloutsBody struct {
	Tag       string   `json:"tag"`
	Prev      string   `json:"prev"`       // the root of the state it generated from
	PrevRound uint64   `json:"prev_round"` // that state's round (0: the start)
	State     string   `json:"state"`      // blob: the state (host.EncodeCheckpoint)
	Gen       string   `json:"gen"`        // the generation's root
	Rows      string   `json:"rows"`       // blob: the rows
	Addrs     []string `json:"addrs"`
}

// rlCommitBody is a member's root after training a round, with its reward and vote.
type rlCommitBody struct {
	Tag    string   `json:"tag"`
	Root   string   `json:"root"`
	Gen    string   `json:"gen"`
	Batch  string   `json:"batch"` // SHA-256 of the rows it trained on
	Reward float64  `json:"reward"`
	Vote   string   `json:"vote,omitempty"` // address
	Addrs  []string `json:"addrs"`
}

func checkRLBody(m p2p.Message) error {
	switch m.Kind {
	case "rollouts":
		var b rolloutsBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isHash(b.Prev) || !isHash(b.State) || !isHash(b.Gen) || !isHash(b.Rows) || b.PrevRound >= m.Round {
			return fmt.Errorf("rollouts: malformed")
		}
		return checkAddrs(b.Addrs)
	case "commit":
		var b rlCommitBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isHash(b.Root) || !isHash(b.Gen) || !isHash(b.Batch) || math.IsNaN(b.Reward) || b.Reward < 0 || b.Reward > 1 || (b.Vote != "" && !isAddress(b.Vote)) {
			return fmt.Errorf("commit: malformed")
		}
		return checkAddrs(b.Addrs)
	case "ruling":
		return checkBody(m)
	}
	return fmt.Errorf("%s messages are not used by RL swarms", m.Kind)
}

// The RL swarm's dispute protocols: like a DiLoCo swarm's, about a generation.
const (
	rlDisputeProtocol = "/lockstep/rl/dispute/1"
	rlVerdeProtocol   = "/lockstep/rl/verde/1"
)

// rlDispute asks a referee to settle Member's generation of Round between the challenger
// (who regenerated it) and Member.
type rlDispute struct {
	Swarm  string `json:"swarm"`
	Round  uint64 `json:"round"`
	Member string `json:"member"`
}

// RLNode is one member of an RL swarm.
type RLNode struct {
	base
	tr  *rl.Trainer
	cfg RLConfig
	// listen ends the receiving of messages: at Close, not when Run's rounds are done, so
	// that a member that finished its rounds still answers questions and checks (and, for
	// the chain, signs) the rulings of its last rounds while it lingers.
	listen     context.Context
	stopListen context.CancelFunc
	receiving  sync.Once

	state    *rl.State
	status   RLStatus
	rollouts map[uint64]map[common.Address]rolloutsBody
	commits  map[uint64]map[common.Address]rlCommitBody
	ahead    map[common.Address]uint64 // the newest round of each member far ahead of this one
	banned   map[common.Address]bool   // ruled against, confirmed by this member's regeneration
	// excluded are members whose rows this member no longer uses: a check of theirs failed
	// (a state not served or not the announced one, rollouts not what it samples), or they
	// signed two different rollouts messages for a round. Reasons, by member.
	excluded map[common.Address]string
	disputed map[string]bool
	verdicts map[string]bool // regenerations done for rulings: round|member -> it cheated
	active   map[uint64]int  // rounds with a check or dispute under way (not pruned)
	inFlight int
	refSem   chan struct{} // one dispute refereed at a time
	partySem chan struct{} // two referees' questionings answered at a time
	ruleSem  chan struct{} // one ruling checked at a time
	stateMax int           // the most bytes a peer's state may take: twice this member's own
}

// NewRL makes a member of cfg.Swarm on h, training with tr and storing in led (tr's
// ledger). Run starts it.
func NewRL(ctx context.Context, h host.Host, tr *rl.Trainer, led *ledger.Ledger, cfg RLConfig, onEvent func(Event)) (*RLNode, error) {
	addr, err := p2p.Address(h.ID())
	if err != nil {
		return nil, err
	}
	n := &RLNode{base: newBase(h, addr, led, cfg.Swarm, tr.Tag(), "task, inputs, seed or warm-up differ", onEvent), tr: tr, cfg: cfg, rollouts: map[uint64]map[common.Address]rolloutsBody{}, commits: map[uint64]map[common.Address]rlCommitBody{},
		ahead: map[common.Address]uint64{}, banned: map[common.Address]bool{}, excluded: map[common.Address]string{}, disputed: map[string]bool{},
		verdicts: map[string]bool{}, active: map[uint64]int{}, refSem: make(chan struct{}, 1), partySem: make(chan struct{}, 2), ruleSem: make(chan struct{}, 1)}
	if cfg.Transplant < rl.DefaultTransplant {
		return nil, fmt.Errorf("rl: %d rows transplanted per question: at least 0 (or %d, half a group)", cfg.Transplant, rl.DefaultTransplant)
	}
	n.status = RLStatus{Address: addr, Peer: h.ID(), Accuracy: math.NaN(), Phase: "starting"}
	n.g, err = p2p.JoinSwarm(ctx, h, cfg.Swarm, n.window)
	if err != nil {
		return nil, err
	}
	n.g.SetBodyCheck(checkRLBody)
	n.blobs = p2p.ServeBlobs(h, p2p.DefaultBlobLimits())
	h.SetStreamHandler(rlVerdeProtocol, n.serveParty)
	h.SetStreamHandler(rlDisputeProtocol, n.serveDispute)
	n.listen, n.stopListen = context.WithCancel(context.Background())
	return n, nil
}

// Close leaves the swarm.
func (n *RLNode) Close() {
	n.stopListen()
	n.g.Close()
	n.h.RemoveStreamHandler(rlVerdeProtocol)
	n.h.RemoveStreamHandler(rlDisputeProtocol)
}

// Status returns a snapshot of the member's status.
func (n *RLNode) Status() RLStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.status
	s.Votes, s.Winner = n.tally(s.Round)
	s.Peers = len(n.h.Network().Peers())
	s.Banned = nil
	for a := range n.banned {
		s.Banned = append(s.Banned, a)
	}
	sort.Slice(s.Banned, func(i, j int) bool { return s.Banned[i].Cmp(s.Banned[j]) < 0 })
	s.Excluded = len(n.excluded)
	return s
}

// tally counts round r's votes: those for this member, and the member most voted for
// (ties: the lower address) (n.mu held).
func (n *RLNode) tally(r uint64) (mine int, winner common.Address) {
	votes := map[common.Address]int{}
	for a, c := range n.commits[r] {
		if c.Vote != "" && !n.ignored(a) {
			votes[common.HexToAddress(c.Vote)]++
		}
	}
	best := 0
	for a, v := range votes {
		if v > best || (v == best && a.Cmp(winner) < 0) {
			winner, best = a, v
		}
	}
	return votes[n.addr], winner
}

// ignored reports whether a member's rows and messages are not used (n.mu held).
func (n *RLNode) ignored(a common.Address) bool { return n.banned[a] || n.excluded[a] != "" }

// exclude stops using a member's rows, saying why once.
func (n *RLNode) exclude(r uint64, a common.Address, why string) {
	n.mu.Lock()
	first := n.excluded[a] == ""
	if first {
		n.excluded[a] = why
	}
	n.mu.Unlock()
	if first {
		n.event(r, "warn", "no longer using the rollouts of %s: %s", short(a), why)
	}
}

func (n *RLNode) setPhase(p string) {
	n.mu.Lock()
	n.status.Phase = p
	n.mu.Unlock()
}

// Run takes part until ctx ends or cfg.Rounds is done. It resumes from the newest state
// in the ledger, or starts from the swarm's starting state.
func (n *RLNode) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.receiving.Do(func() { go n.receive(n.listen) })
	st, err := n.tr.Latest()
	if err != nil {
		return err
	}
	if st != nil {
		n.event(st.Round, "round", "resuming from round %d in the ledger (root %x)", st.Round, head(st.Root()))
	} else {
		n.setPhase("warming up")
		if st, err = n.tr.Genesis(ctx); err != nil {
			return err
		}
		n.event(0, "round", "starting from the task's init and %d warm-up steps (root %x)", n.tr.Config().Warmup, head(st.Root()))
	}
	n.setState(st)
	n.setPhase("listening")
	if err := n.sleep(ctx, n.cfg.JoinWait); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := n.current()
		r := max(st.Round+1, n.swarmRound())
		if n.cfg.Rounds > 0 && r > n.cfg.Rounds {
			n.linger(ctx)
			return nil
		}
		if r > st.Round+1 && st.Round > 0 {
			n.mu.Lock()
			n.status.Skipped += int(r - st.Round - 1)
			n.mu.Unlock()
			n.event(r, "round", "the swarm is at round %d: skipping to it", r)
		}
		if err := n.round(ctx, st, r); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.event(r, "warn", "round %d: %v", r, err)
			if err := n.sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	}
}

// swarmRound is the newest round that the swarm has reached: that at least two other
// members have published rollouts for (one, where this member knows only one other), so
// that no single member can send the others far ahead.
func (n *RLNode) swarmRound() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	newest := map[common.Address]uint64{}
	for k, m := range n.rollouts {
		for a := range m {
			newest[a] = max(newest[a], k)
		}
	}
	for a, k := range n.ahead {
		// Its rollouts of that round were not kept (far ahead when they came): this
		// member joins the round after.
		newest[a] = max(newest[a], k+1)
	}
	var rounds []uint64
	for a, k := range newest {
		if a != n.addr && !n.ignored(a) {
			rounds = append(rounds, k)
		}
	}
	if len(rounds) == 0 {
		return 0
	}
	sort.Slice(rounds, func(i, j int) bool { return rounds[i] > rounds[j] })
	return rounds[min(1, len(rounds)-1)]
}

// linger, after the last round, waits for the checks and disputes under way.
func (n *RLNode) linger(ctx context.Context) {
	n.setPhase("done")
	n.waitFor(ctx, 2*n.cfg.RoundWait, func() bool { return n.inFlight == 0 })
}

func (n *RLNode) current() *rl.State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

func (n *RLNode) setState(st *rl.State) {
	n.mu.Lock()
	n.state, n.stateRound = st, st.Round
	n.status.Round, n.status.Root = st.Round, st.Root()
	n.mu.Unlock()
}

// round runs round r from st.
func (n *RLNode) round(ctx context.Context, st *rl.State, r uint64) error {
	n.setPhase("generating")
	gen, err := n.tr.Generate(ctx, st, r, n.addr, true)
	if err != nil {
		return err
	}
	state := lshost.EncodeCheckpoint(st.Checkpoint)
	stateID, err := n.blobs.Add(state)
	if err != nil {
		return err
	}
	rowsID, err := n.blobs.Add(gen.Rows)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.held[r] = append(n.held[r], stateID, rowsID)
	n.stateMax = max(n.stateMax, 2*len(state)+1<<20) // the same task's state: about as big as its own
	n.mu.Unlock()
	mine := rolloutsBody{Tag: n.tr.Tag(), Prev: hexHash(st.Root()), PrevRound: st.Round, State: hexHash(stateID), Gen: hexHash(gen.Root()), Rows: hexHash(rowsID), Addrs: n.listenAddrs()}
	if err := n.g.Publish(ctx, r, "rollouts", mine); err != nil {
		return fmt.Errorf("publishing the rollouts: %w", err)
	}
	n.mu.Lock()
	put(n.rollouts, r, n.addr, mine)
	n.mu.Unlock()
	rows, _ := n.tr.Layout()
	n.event(r, "rollouts", "round %d: %d rollouts generated from round %d's state", r, rows, st.Round)

	// Wait for the rollouts of the members heard last round.
	n.setPhase("waiting for rollouts")
	n.mu.Lock()
	heard := 0
	for a := range n.rollouts[r-1] {
		if a != n.addr {
			heard++
		}
	}
	n.mu.Unlock()
	if heard == 0 {
		// The first round this member takes part in with others: who else is in it is
		// not known yet (peers relay for members it has no connection to), so it gives
		// them JoinWait first.
		if err := n.sleep(ctx, min(n.cfg.JoinWait, n.cfg.RoundWait)); err != nil {
			return err
		}
	}
	topic := n.topicMembers()
	n.waitFor(ctx, n.cfg.RoundWait, func() bool {
		expected := n.expected(r, topic)
		for _, a := range expected {
			if _, ok := n.rollouts[r][a]; !ok {
				return false
			}
		}
		return len(expected) > 0
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	var others []common.Address
	for a := range n.rollouts[r] {
		if a != n.addr && !n.ignored(a) {
			others = append(others, a)
		}
	}
	n.mu.Unlock()
	sort.Slice(others, func(i, j int) bool { return others[i].Cmp(others[j]) < 0 })
	if limit := n.tr.MaxGenerations() - 1; len(others) > limit {
		n.event(r, "warn", "%d members published rollouts; a score call takes the rows of %d peers: the rest are left out this round", len(others), limit)
		others = others[:limit]
	}
	// Fetch the rows in parallel, within the round's wait: a member that announces rows
	// it does not serve costs one wait, not one per holder.
	fctx, cancel := context.WithTimeout(ctx, n.cfg.RoundWait)
	fetched := make([][]byte, len(others))
	var wg sync.WaitGroup
	for i, a := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := n.fetchRows(fctx, r, a)
			if err != nil {
				n.event(r, "warn", "left out: %v", err)
				return
			}
			fetched[i] = b
		}()
	}
	wg.Wait()
	cancel()
	var peerRows [][]byte
	var from []common.Address
	for i, b := range fetched {
		if b != nil {
			peerRows, from = append(peerRows, b), append(from, others[i])
		}
	}

	// Score, choose, train.
	n.setPhase("training")
	all := append([]byte(nil), gen.Rows...)
	for _, b := range peerRows {
		all = append(all, b...)
	}
	scores, err := n.tr.Score(ctx, r, all)
	if err != nil {
		return err
	}
	j := n.cfg.Transplant
	if len(peerRows) == 0 {
		j = 0
	}
	batch, err := n.tr.Batch(gen.Rows, peerRows, scores, j)
	if err != nil {
		return err
	}
	next, err := n.tr.Train(ctx, gen, batch)
	if err != nil {
		return err
	}
	per := len(scores) / (1 + len(peerRows))
	reward := mean(scores[:per])
	vote, best := common.Address{}, -1.0
	for i, a := range from {
		if m := mean(scores[per*(i+1) : per*(i+2)]); m > best {
			vote, best = a, m
		}
	}
	c := rlCommitBody{Tag: n.tr.Tag(), Root: hexHash(next.Root()), Gen: hexHash(gen.Root()), Batch: hexHash(sha256.Sum256(batch)), Reward: reward, Addrs: n.listenAddrs()}
	if best >= 0 {
		c.Vote = vote.Hex()
	}
	n.setState(next)
	n.mu.Lock()
	put(n.commits, r, n.addr, c)
	n.status.Reward, n.status.Members, n.status.Vote, n.status.Phase = reward, 1+len(peerRows), vote, "committed"
	n.mu.Unlock()
	if err := n.g.Publish(ctx, r, "commit", c); err != nil {
		n.event(r, "warn", "announcing the root: %v", err)
	}
	voted := ""
	if c.Vote != "" {
		voted = fmt.Sprintf("; voted for %s (%.3f)", short(vote), best)
	}
	n.onEv(Event{Time: time.Now(), Round: r, Kind: "commit", Root: next.Root(), Chain: &ChainAct{Kind: "commit", Root: next.Root(), Vote: vote},
		Text: fmt.Sprintf("round %d trained on %d rows from %d members: reward %.3f%s; root %x", r, len(batch)/(len(gen.Rows)/rows), 1+len(peerRows), reward, voted, head(next.Root()))})
	if n.cfg.Check {
		if target, ok := n.checkTarget(r); ok {
			n.hold(r, +1)
			go func() {
				defer n.hold(r, -1)
				n.check(ctx, r, target)
			}()
		}
	}
	if n.cfg.Eval {
		m, err := n.tr.Eval(ctx, next)
		if err != nil {
			n.event(r, "warn", "evaluating the policy: %v", err)
		} else if acc, ok := m["accuracy"]; ok {
			n.mu.Lock()
			n.status.Accuracy = acc
			n.mu.Unlock()
		}
	}
	n.mu.Lock()
	n.forget(r)
	n.mu.Unlock()
	if k := n.cfg.KeepRounds; k > 0 && r >= k {
		keepFrom := r - k + 1
		n.mu.Lock()
		for a := range n.active { // a round under check or dispute stays
			keepFrom = min(keepFrom, a)
		}
		n.mu.Unlock()
		if _, err := n.tr.Prune(keepFrom, next); err != nil {
			n.event(r, "warn", "removing old rounds from the ledger: %v", err)
		}
	}
	return nil
}

// hold counts a check or dispute of round r under way (+1) or done (-1): the round's runs
// stay in the ledger meanwhile, and a member about to stop waits for it.
func (n *RLNode) hold(r uint64, d int) {
	n.mu.Lock()
	n.active[r] += d
	if n.active[r] <= 0 {
		delete(n.active, r)
	}
	n.mu.Unlock()
	n.busy(d)
}

func mean(v []float32) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// expected are the members this member waits for in round r: those that published
// rollouts in round r-1 or r, and the peers it has on the swarm's topic (its own address
// and the ignored excepted) (n.mu held).
func (n *RLNode) expected(r uint64, topic []common.Address) []common.Address {
	seen := map[common.Address]bool{}
	for _, k := range []uint64{r - 1, r} {
		for a := range n.rollouts[k] {
			seen[a] = true
		}
	}
	for _, a := range topic {
		seen[a] = true
	}
	var out []common.Address
	for a := range seen {
		if a != n.addr && !n.ignored(a) {
			out = append(out, a)
		}
	}
	return out
}

// topicMembers are the addresses of the peers subscribed to the swarm's topic, except
// those known to train another configuration.
func (n *RLNode) topicMembers() []common.Address {
	var out []common.Address
	for _, p := range n.g.Peers() {
		a, err := p2p.Address(p)
		if err != nil {
			continue
		}
		n.mu.Lock()
		other := n.otherTag[a]
		n.mu.Unlock()
		if !other {
			out = append(out, a)
		}
	}
	return out
}

// fetchRows fetches and checks member a's rows of round r.
func (n *RLNode) fetchRows(ctx context.Context, r uint64, a common.Address) ([]byte, error) {
	n.mu.Lock()
	b := n.rollouts[r][a]
	n.mu.Unlock()
	rows, width := n.tr.Layout()
	data, err := n.fetch(ctx, r, a, b.Rows, 4*rows*width)
	if err != nil {
		return nil, fmt.Errorf("the rollouts of %s: %w", short(a), err)
	}
	if err := n.tr.CheckRows(data, rows); err != nil {
		return nil, fmt.Errorf("the rollouts of %s: %w", short(a), err)
	}
	return data, nil
}

// fetch gets blob id (at most limit bytes) from a or any member of round r that has it.
func (n *RLNode) fetch(ctx context.Context, r uint64, a common.Address, id string, limit int) ([]byte, error) {
	bid := p2p.BlobID(unhex32(id))
	if data, ok := n.blobs.Get(bid); ok {
		return data, nil
	}
	n.mu.Lock()
	var holders []peer.ID
	if p, ok := n.peers[a]; ok {
		holders = append(holders, p)
	}
	for m := range n.rollouts[r] {
		if p, ok := n.peers[m]; ok && m != a && m != n.addr && !n.ignored(m) {
			holders = append(holders, p)
		}
	}
	n.mu.Unlock()
	data, dropped, err := n.blobs.FetchMax(ctx, bid, holders, limit)
	for _, p := range dropped {
		n.event(r, "warn", "peer %s sent a chunk that does not match its hash: dropped", p)
	}
	if err != nil {
		return nil, err
	}
	if _, err := n.blobs.Add(data); err == nil { // served on
		n.mu.Lock()
		n.held[r] = append(n.held[r], bid)
		n.mu.Unlock()
	}
	return data, nil
}

// checkTarget is the peer this member checks in round r: the next after it in the order
// rank("check", r, ·) of the round's members, so that each is checked by one other.
func (n *RLNode) checkTarget(r uint64) (common.Address, bool) {
	n.mu.Lock()
	var ms []common.Address
	for a := range n.rollouts[r] {
		if !n.ignored(a) {
			ms = append(ms, a)
		}
	}
	n.mu.Unlock()
	if len(ms) < 2 {
		return common.Address{}, false
	}
	sort.Slice(ms, func(i, j int) bool {
		ri, rj := rank("check", r, ms[i]), rank("check", r, ms[j])
		return bytes.Compare(ri[:], rj[:]) < 0
	})
	for i, a := range ms {
		if a == n.addr {
			return ms[(i+1)%len(ms)], true
		}
	}
	return common.Address{}, false
}

// check regenerates member a's rollouts of round r from the state it announced: equal, or
// a is excluded and, if its rollouts are not what its state samples, disputed.
func (n *RLNode) check(ctx context.Context, r uint64, a common.Address) {
	cheated, sampled, why := n.verify(ctx, r, a)
	if ctx.Err() == nil {
		n.mu.Lock()
		n.verdicts[fmt.Sprintf("%d|%s", r, a.Hex())] = cheated
		n.mu.Unlock()
	}
	switch {
	case ctx.Err() != nil:
	case !cheated:
		n.mu.Lock()
		n.status.Checked++
		n.mu.Unlock()
		n.event(r, "check", "regenerated the rollouts of %s from its state: identical", short(a))
	case sampled:
		n.exclude(r, a, why)
		n.event(r, "dispute", "%s: %s", short(a), why)
		n.challenge(ctx, r, a)
	default:
		n.exclude(r, a, why)
	}
}

// verify regenerates member a's rollouts of round r from the state a announced. cheated
// says they, or the state they came from, are not what a announced (why says how);
// sampled, that the state was the announced one and sampling it gave other rollouts,
// which a Verde game over the generation can pin down. A state a does not serve counts
// against it: a member must serve what it generated from while its round is recent.
func (n *RLNode) verify(ctx context.Context, r uint64, a common.Address) (cheated, sampled bool, why string) {
	n.mu.Lock()
	b, ok := n.rollouts[r][a]
	limit := max(n.stateMax, 1<<20)
	n.mu.Unlock()
	if !ok {
		return false, false, ""
	}
	raw, err := n.fetch(ctx, r, a, b.State, limit)
	if err != nil {
		return true, false, fmt.Sprintf("it does not serve the state it generated round %d from: %v", r, err)
	}
	cp, err := lshost.DecodeCheckpoint(raw)
	if err != nil || hexHash(cp.Root) != b.Prev {
		return true, false, fmt.Sprintf("the state it serves for round %d is not the one it announced (%v)", r, err)
	}
	// The state it generated from is the one it announced: the swarm's start, or the root
	// it committed after that round.
	var announced string
	if b.PrevRound == 0 {
		if start, err := n.tr.Genesis(ctx); err == nil {
			announced = hexHash(start.Root())
		}
	} else {
		n.mu.Lock()
		announced = n.commits[b.PrevRound][a].Root
		n.mu.Unlock()
	}
	if announced != "" && announced != b.Prev {
		return true, false, fmt.Sprintf("it generated round %d from a state it did not announce for round %d (%.12s, announced %.12s)", r, b.PrevRound, b.Prev, announced)
	}
	gen, err := n.tr.Generate(ctx, &rl.State{Round: b.PrevRound, Checkpoint: cp}, r, a, false)
	if err != nil {
		return true, false, fmt.Sprintf("its state for round %d does not sample: %v", r, err)
	}
	if hexHash(gen.Root()) != b.Gen || hexHash(p2p.NewManifest(gen.Rows).ID()) != b.Rows {
		return true, true, fmt.Sprintf("the rollouts it published for round %d are not what its state samples (regenerated root %x, announced %.12s)", r, head(gen.Root()), b.Gen)
	}
	return false, false, ""
}

// referee of a dispute over a's or b's generation in round r: the first-ranked member
// of the round that is neither.
func (n *RLNode) referee(r uint64, a, b common.Address) (common.Address, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var best common.Address
	var bestRank [32]byte
	found := false
	for c := range n.rollouts[r] {
		if c == a || c == b || n.ignored(c) {
			continue
		}
		if rk := rank("referee", r, c); !found || bytes.Compare(rk[:], bestRank[:]) < 0 {
			best, bestRank, found = c, rk, true
		}
	}
	return best, found
}

func (n *RLNode) busy(d int) {
	n.mu.Lock()
	n.inFlight += d
	n.mu.Unlock()
	n.notify()
}

// challenge asks the round's referee to settle a's generation of round r.
func (n *RLNode) challenge(ctx context.Context, r uint64, a common.Address) {
	ref, ok := n.referee(r, n.addr, a)
	if !ok {
		n.event(r, "dispute", "no member can referee the generation of %s", short(a))
		return
	}
	n.mu.Lock()
	pid, known := n.peers[ref]
	n.mu.Unlock()
	if !known {
		n.event(r, "warn", "the referee %s for the generation of %s is not reachable: no dispute", short(ref), short(a))
		return
	}
	n.mu.Lock()
	n.status.Disputes++
	n.mu.Unlock()
	n.onEv(Event{Time: time.Now(), Round: r, Kind: "dispute", Text: fmt.Sprintf("asking %s to referee the generation of %s in round %d", short(ref), short(a), r),
		Chain: &ChainAct{Kind: "dispute", Accused: a}})
	accepted := false
	for try := 0; try < 10; try++ {
		rep, err := askReferee(ctx, n.h, pid, rlDisputeProtocol, rlDispute{Swarm: n.cfg.Swarm, Round: r, Member: a.Hex()})
		switch {
		case err != nil:
			n.event(r, "warn", "asking %s to referee: %v", short(ref), err)
		case rep.Busy:
			if n.sleep(ctx, 2*time.Second) == nil {
				continue
			}
		case rep.Err != "":
			n.event(r, "warn", "%s refused to referee: %s", short(ref), rep.Err)
		default: // accepted, or settled already: a ruling is (or will be) published
			accepted = true
		}
		break
	}
	if accepted { // wait for the ruling (acting on it bans the loser)
		n.waitFor(ctx, 5*time.Minute, func() bool { return n.banned[a] || n.disputed[fmt.Sprintf("ruled|%d|%s", r, a.Hex())] })
	}
}

// askReferee sends a dispute request on protocol and reads the referee's reply.
func askReferee(ctx context.Context, h host.Host, pid peer.ID, protocol protocol.ID, req any) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := h.NewStream(ctx, pid, protocol)
	if err != nil {
		return reply{}, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	if err := writeJSON(s, req); err != nil {
		return reply{}, err
	}
	var rep reply
	if err := readJSON(bufio.NewReaderSize(io.LimitReader(s, maxHeader), maxHeader), &rep); err != nil {
		return reply{}, fmt.Errorf("no answer: %w", err)
	}
	return rep, nil
}

// serveDispute is the referee's side: it checks the request and plays the game.
func (n *RLNode) serveDispute(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	var req rlDispute
	if err := readJSON(bufio.NewReaderSize(io.LimitReader(s, maxHeader), maxHeader), &req); err != nil {
		s.Reset()
		return
	}
	challenger, err := p2p.Address(s.Conn().RemotePeer())
	if err != nil || !isAddress(req.Member) {
		s.Reset()
		return
	}
	accused := common.HexToAddress(req.Member)
	n.waitFor(context.Background(), 20*time.Second, func() bool {
		_, ok := n.rollouts[req.Round][accused]
		return ok
	})
	ref, _ := n.referee(req.Round, challenger, accused)
	key := fmt.Sprintf("ref|%d|%s|%s", req.Round, accused.Hex(), challenger.Hex())
	n.mu.Lock()
	_, announced := n.rollouts[req.Round][accused]
	_, member := n.rollouts[req.Round][challenger]
	seen := n.disputed[key]
	pa, pb := n.peers[challenger], n.peers[accused]
	n.mu.Unlock()
	var why string
	switch {
	case req.Swarm != n.cfg.Swarm:
		why = "another swarm"
	case challenger == accused:
		why = "a member cannot challenge itself"
	case !member:
		why = "the challenger published no rollouts in the round"
	case ref != n.addr:
		why = "this member is not the referee for these parties"
	case !announced:
		why = "this member has not seen the rollouts in dispute"
	case seen:
		writeJSON(s, reply{Settled: true})
		return
	case len(n.refSem) > 0:
		writeJSON(s, reply{Busy: true})
		return
	}
	writeJSON(s, reply{Err: why})
	if why != "" {
		return
	}
	n.mu.Lock()
	n.disputed[key] = true
	n.mu.Unlock()
	n.hold(req.Round, +1)
	go func() {
		defer n.hold(req.Round, -1)
		if !n.play(req.Round, accused, challenger, pa, pb) { // the challenger may ask again
			n.mu.Lock()
			delete(n.disputed, key)
			n.mu.Unlock()
		}
	}()
}

// genHeader opens a referee's questioning of a party about member's generation.
type genHeader struct {
	Swarm  string `json:"swarm"`
	Round  uint64 `json:"round"`
	Member string `json:"member"`
}

// play referees member's generation of round r between the challenger (a) and the member
// (b), and publishes the ruling; it reports whether it published one.
func (n *RLNode) play(r uint64, member, a common.Address, pa, pb peer.ID) bool {
	n.refSem <- struct{}{}
	defer func() { <-n.refSem }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n.event(r, "dispute", "refereeing the generation of %s in round %d, challenged by %s", short(member), r, short(a))
	var remotes [2]*verde.Remote
	for i, p := range []peer.ID{pa, pb} {
		s, err := n.h.NewStream(ctx, p, rlVerdeProtocol)
		if err != nil {
			n.event(r, "warn", "refereeing: reaching a party: %v", err)
			return false
		}
		defer s.Close()
		if err := writeJSON(s, genHeader{Swarm: n.cfg.Swarm, Round: r, Member: member.Hex()}); err != nil {
			return false
		}
		remotes[i] = verde.NewRemote(s, partyTimeout)
	}
	seed, inputs := n.tr.GenerateSandbox(r, member)
	ref := verde.Referee{Sandbox: &verde.Sandbox{Module: n.tr.Module(), Seed: seed, Inputs: inputs, Call: rl.GenerateExport}}
	task := verde.Task{Module: n.tr.Module().HashHex(), Seed: seed, Inputs: map[string]string{}}
	for _, in := range inputs {
		task.Inputs[in.Name] = fmt.Sprintf("%x", in.Hash)
	}
	var file []byte
	var body rulingBody
	ruling, err := ref.Play(ctx, a.Hex(), remotes[0], member.Hex(), remotes[1], 1)
	if err == nil {
		file = ruling.File(task).Encode()
		body = rulingBody{Losers: ruling.Losers, Case: string(ruling.Case), Reason: ruling.Reason}
	} else {
		// No game to play (the member answered with other roots than it announced, or not
		// at all): the referee regenerates the member's rollouts itself.
		n.event(r, "warn", "refereeing round %d: %v; regenerating the rollouts instead", r, err)
		cheated, _, why := n.verify(ctx, r, member)
		if !cheated {
			return false
		}
		file = fmt.Appendf(nil, "{\"round\":%d,\"member\":%q,\"regenerated\":%q}\n", r, member.Hex(), why)
		body = rulingBody{Losers: []string{member.Hex()}, Case: "regenerated", Reason: why}
	}
	id, err := n.blobs.Add(file)
	if err != nil {
		return false
	}
	n.mu.Lock()
	n.held[r] = append(n.held[r], id)
	n.mu.Unlock()
	body.Parties, body.File = [2]string{a.Hex(), member.Hex()}, hexHash(id)
	if err := n.g.Publish(ctx, r, "ruling", body); err != nil {
		n.event(r, "warn", "publishing the ruling: %v", err)
	}
	n.ruled(r, a, member, body.Losers, id)
	n.onRuling(ctx, r, n.addr, body)
	return true
}

// serveParty answers a referee's questions about a generation this member ran (its own,
// or the one it regenerated to check a peer).
func (n *RLNode) serveParty(s network.Stream) {
	defer s.Close()
	br := bufio.NewReader(s)
	var h genHeader
	s.SetDeadline(time.Now().Add(partyTimeout))
	if err := readJSON(br, &h); err != nil || h.Swarm != n.cfg.Swarm || !isAddress(h.Member) {
		s.Reset()
		return
	}
	member := common.HexToAddress(h.Member)
	asker, err := p2p.Address(s.Conn().RemotePeer())
	if err != nil {
		s.Reset()
		return
	}
	if !n.mayQuestion(h.Round, member, asker) {
		s.Reset()
		return
	}
	meta, ok := n.tr.GenRun(h.Round, member)
	if !ok {
		s.Reset()
		return
	}
	select { // questionings are replays: a few at a time
	case n.partySem <- struct{}{}:
		defer func() { <-n.partySem }()
	default:
		s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n.hold(h.Round, +1) // the round's runs stay while a referee questions this member
	defer n.hold(h.Round, -1)
	rep, err := runner.OpenReplay(ctx, n.led, meta.ID, n.cfg.Runtime)
	if err != nil {
		s.Reset()
		return
	}
	defer rep.Close(ctx)
	party := verde.NewRunParty(rep)
	if member == n.addr {
		party.Fault = n.tr.Fault // a faulty member answers about what it computed
	}
	s.SetDeadline(time.Now().Add(10 * time.Minute))
	verde.Serve(ctx, party, struct {
		io.Reader
		io.Writer
	}{br, s})
}

// mayQuestion reports whether asker referees a dispute over member's generation of round
// r that this member is a party to: as member itself (against any challenger of the
// round), or as the one that regenerated it.
func (n *RLNode) mayQuestion(r uint64, member, asker common.Address) bool {
	if member != n.addr {
		ref, ok := n.referee(r, n.addr, member)
		return ok && ref == asker
	}
	n.mu.Lock()
	var challengers []common.Address
	for c := range n.rollouts[r] {
		if c != n.addr {
			challengers = append(challengers, c)
		}
	}
	n.mu.Unlock()
	for _, c := range challengers {
		if ref, ok := n.referee(r, c, n.addr); ok && ref == asker {
			return true
		}
	}
	return false
}

// onRuling acts on a referee's ruling against the member whose generation was disputed:
// this member regenerates that generation itself (once per round and member), and only if
// it too finds the rollouts, or the state they came from, other than announced does it
// ignore the member from then on. So a ruling, forged or mistaken, can never make a
// member ignore an honest one; the ruling's file (a Verde ruling, to re-check offline with
// lockstep ruling check) says where the computations differ.
func (n *RLNode) onRuling(ctx context.Context, r uint64, from common.Address, b rulingBody) {
	pa, pb := common.HexToAddress(b.Parties[0]), common.HexToAddress(b.Parties[1])
	n.mu.Lock()
	cur := uint64(0)
	if n.state != nil {
		cur = n.state.Round
	}
	_, okA := n.rollouts[r][pa]
	_, okB := n.rollouts[r][pb]
	n.mu.Unlock()
	switch {
	case !okA || !okB || r+8 < cur || pa == pb:
		return // not a dispute of a recent round between its members
	case len(b.Losers) != 1 || b.Losers[0] != pb.Hex():
		n.event(r, "ruling", "round %d: %s ruled against %v (%s: %s): noted", r, short(from), b.Losers, b.Case, b.Reason)
		return
	case pb == n.addr:
		n.event(r, "ruling", "round %d: %s ruled against this member (%s: %s)", r, short(from), b.Case, b.Reason)
		return
	}
	if want, ok := n.referee(r, pa, pb); !ok || want != from {
		n.event(r, "warn", "a ruling on round %d from %s, who is not its referee: ignored", r, short(from))
		return
	}
	n.ruleSem <- struct{}{}
	defer func() { <-n.ruleSem }()
	key := fmt.Sprintf("%d|%s", r, pb.Hex())
	n.mu.Lock()
	cheated, known := n.verdicts[key]
	n.mu.Unlock()
	why := "checked before"
	if !known {
		n.hold(r, +1)
		cheated, _, why = n.verify(ctx, r, pb)
		n.hold(r, -1)
		if ctx.Err() != nil {
			return
		}
		n.mu.Lock()
		n.verdicts[key] = cheated
		n.mu.Unlock()
	}
	n.mu.Lock()
	n.disputed[fmt.Sprintf("ruled|%d|%s", r, pb.Hex())] = true
	n.mu.Unlock()
	defer n.notify()
	if !cheated {
		n.event(r, "warn", "a ruling of round %d from %s against %s does not hold: this member regenerated the same rollouts it announced", r, short(from), short(pb))
		return
	}
	n.event(r, "ruling", "round %d: %s ruled against %s (%s: %s); regenerated here: %s", r, short(from), short(pb), b.Case, b.Reason, why)
	n.cosign(r, from, b.Parties, b.Losers, b.File)
	if pb == n.addr {
		return
	}
	n.mu.Lock()
	n.banned[pb] = true
	p := n.peers[pb]
	n.mu.Unlock()
	n.g.Ban(pb, p)
}

// receive files the swarm's messages.
func (n *RLNode) receive(ctx context.Context) {
	for {
		m, from, err := n.g.Next(ctx)
		if err != nil {
			return
		}
		a := common.HexToAddress(m.Author)
		n.mu.Lock()
		n.peers[a] = from
		cur := uint64(0)
		if n.state != nil {
			cur = n.state.Round
		}
		var equivocated string
		switch m.Kind {
		case "rollouts":
			var b rolloutsBody
			switch {
			case decode(m, &b) != nil || a == n.addr || !n.sameSwarm(a, b.Tag):
			case m.Round > cur+2:
				// Far ahead of this member: only how far counts (swarmRound), so that
				// messages of far rounds cannot fill its memory.
				n.ahead[a] = max(n.ahead[a], m.Round)
				n.learn(from, b.Addrs)
			default:
				if prev, dup := n.rollouts[m.Round][a]; !dup {
					put(n.rollouts, m.Round, a, b)
				} else if !sameRollouts(prev, b) {
					equivocated = fmt.Sprintf("it signed two different rollouts messages for round %d", m.Round)
				}
				n.learn(from, b.Addrs)
			}
		case "commit":
			var b rlCommitBody
			if decode(m, &b) == nil && a != n.addr && m.Round <= cur+2 && n.sameSwarm(a, b.Tag) {
				put(n.commits, m.Round, a, b)
				n.learn(from, b.Addrs)
			}
		}
		n.mu.Unlock()
		if equivocated != "" {
			n.exclude(m.Round, a, equivocated)
		}
		if m.Kind == "ruling" {
			var b rulingBody
			if decode(m, &b) == nil && a != n.addr {
				go n.onRuling(ctx, m.Round, a, b)
			}
		}
		n.notify()
	}
}

// sameRollouts reports whether two rollouts messages announce the same generation.
func sameRollouts(a, b rolloutsBody) bool {
	return a.Prev == b.Prev && a.PrevRound == b.PrevRound && a.State == b.State && a.Gen == b.Gen && a.Rows == b.Rows
}

// forget drops what rounds long past held (n.mu held): a member's memory stays bounded.
func (n *RLNode) forget(round uint64) {
	for r := range n.rollouts {
		if r+4 < round {
			delete(n.rollouts, r)
			delete(n.commits, r)
		}
	}
	n.dropHeld(round)
	for k := range n.verdicts {
		var r uint64
		if _, err := fmt.Sscanf(k, "%d|", &r); err == nil && r+8 < round {
			delete(n.verdicts, k)
		}
	}
	for a, r := range n.ahead {
		if r <= round+2 {
			delete(n.ahead, a)
		}
	}
	for k := range n.disputed {
		var r uint64
		if _, err := fmt.Sscanf(k[bytes.IndexByte([]byte(k), '|')+1:], "%d", &r); err == nil && r+8 < round {
			delete(n.disputed, k)
		}
	}
}

// head is the start of a root, for messages.
func head(h [32]byte) []byte { return h[:6] }
