// Package swarm runs a DiLoCo swarm over the network: members that train together on
// compressed updates (package p2p/diloco), agree bit for bit on the state after every
// round, and dispute a member that announces another state.
//
// A round, for each member (DESIGN.md, "The network"):
//
//  1. Train the inner steps from the state of the last round and publish the update:
//     compressed with error feedback (p2p/codec), held as a blob, announced by gossip.
//  2. Wait for the updates of the round's expected members (those that committed the
//     last state) or until UpdateWait, then publish a manifest: the updates it has, on
//     the same state, in member order.
//  3. Wait for the others' manifests (ManifestWait) and apply the one whose author ranks
//     first (rank: a hash of the round, the state and the author): every member that sees
//     it makes the same choice, and a member that never arrives (killed mid-round) does not
//     stall the round: the next-ranked manifest counts. The updates it lists are fetched
//     from any member that has them, decoded and checked against their announced hashes,
//     and the outer step runs on them in the sandbox.
//  4. Commit: announce the new state root, with the manifest it applied and the state as
//     a blob. A member that sees a different root for the same round and manifest asks a
//     referee (the first-ranked member that is neither party) to settle it: the referee
//     plays Verde with both over streams, publishes the ruling and its file, and every
//     member that checks the file ignores the loser from then on.
//
// A member that finds the swarm ahead of it (it joined late, or restarted) fetches the
// newest state that the most members committed, checks its root, and joins the next round.
package swarm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
	"github.com/lockstep-ml/lockstep/p2p/codec"
	"github.com/lockstep-ml/lockstep/p2p/diloco"
	"github.com/lockstep-ml/lockstep/runtime"
)

// Config is how a member takes part.
type Config struct {
	Swarm string
	Codec codec.Config
	// FeedbackBeta decays the error-feedback residual each round (codec.Feedback).
	FeedbackBeta float32
	Rounds       uint64 // stop after committing this round (0: until the context ends)
	// UpdateWait is how long a member waits for the expected updates after its own;
	// ManifestWait how long for the others' manifests after its own; JoinWait how long
	// a starting member listens for the swarm's state before it starts one.
	UpdateWait, ManifestWait, JoinWait time.Duration
	// Eval: run the task's eval on the state after every round (the held-out loss in
	// the status); it costs one instance and one eval per round.
	Eval bool
	// KeepRounds is how many recent rounds' outer runs the ledger keeps (for disputes
	// and restarts); older ones are removed. 0 keeps every round.
	KeepRounds uint64
	// Runtime configures the runtimes that replay an outer step for a referee.
	Runtime runtime.Config
}

// DefaultConfig: waits that suit members on different machines.
func DefaultConfig(swarm string) Config {
	return Config{Swarm: swarm, Codec: codec.DefaultConfig(), FeedbackBeta: 0.9, UpdateWait: 60 * time.Second, ManifestWait: 5 * time.Second, JoinWait: 5 * time.Second, Eval: true, KeepRounds: 32}
}

// Status is what a member shows.
type Status struct {
	Address                 common.Address
	Peer                    peer.ID
	Round                   uint64 // the round of the member's state
	Phase                   string // training, waiting for updates, waiting for manifests, applying, committed
	Root                    [32]byte
	Members                 int     // updates in the last applied round
	Peers                   int     // connected peers
	Loss                    float64 // the member's last inner loss
	EvalLoss                float64 // held-out loss of the state (Config.Eval), NaN if none
	Agreed                  int     // members that committed the same root for the member's round
	Differ                  int     // members that committed another root for it
	Disputes                int     // disputes this member asked a referee for
	Banned                  []common.Address
	UpdateBytes, DenseBytes int   // the member's last compressed update, and the same dense
	Served, Fetched         int64 // blob bytes sent to and received from peers, in all
}

// Event is one line of what happened, for logs and the status view.
type Event struct {
	Time  time.Time
	Round uint64
	Kind  string // "round", "update", "manifest", "commit", "catch-up", "dispute", "ruling", "warn"
	Text  string
	Root  [32]byte // the root committed or caught up to (commit, catch-up)
	// Chain is what the event asks of the chain, if anything: set on this member's own
	// commitments, the disputes it opens and the rulings it makes as a referee.
	Chain *ChainAct
}

// ChainAct is a member's act that the chain records (ledger/chain's submissions).
type ChainAct struct {
	Kind     string         // "commit", "dispute" or "rule"
	Root     [32]byte       // commit: the member's state root for the round
	Vote     common.Address // commit (RL): the peer voted the round's best; zero for none
	Accused  common.Address // dispute, rule
	Evidence [32]byte       // dispute: the root the member computed instead (zero: none to give)
	// rule: the dispute's challenger, whether the accused lost, and the ruling file's hash.
	Challenger  common.Address
	AccusedLost bool
	Ruling      [32]byte
}

// Node is one member of a swarm.
type Node struct {
	base
	tr     *diloco.Trainer
	cfg    Config
	refSem chan struct{} // one dispute refereed at a time

	state     *diloco.State
	feedback  codec.Feedback // the member's error-feedback residual
	status    Status
	updates   map[uint64]map[common.Address]updateBody
	manifests map[uint64]map[common.Address]manifestBody
	commits   map[uint64]map[common.Address]commitBody
	mine      map[uint64]commitBody   // this member's commits, by round
	applied   map[uint64]manifestBody // the manifests this member applied, by round
	inFlight  int                     // disputes this member is party to or refereeing
	awaiting  map[string]bool         // rulings this member asked for: round|accused
	banned    map[common.Address]bool
	// equivocated are members that signed two different manifests for one round.
	equivocated map[common.Address]bool
	sent        map[uint64]sentRound // what this member published, by round
	// withhold is a test-only fault: the member announces its updates but serves none,
	// and lists its own in its manifest all the same.
	withhold bool
	disputed map[string]bool // disputes asked for or refereed, by round|root|root
}

// New makes a member of cfg.Swarm on h, training with tr and storing in led (the ledger
// tr uses). Run starts it.
func New(ctx context.Context, h host.Host, tr *diloco.Trainer, led *ledger.Ledger, cfg Config, onEvent func(Event)) (*Node, error) {
	addr, err := p2p.Address(h.ID())
	if err != nil {
		return nil, err
	}
	n := &Node{base: newBase(h, addr, led, cfg.Swarm, tr.Tag(), "task, inputs, seed, inner steps or outer optimizer differ", onEvent), tr: tr, cfg: cfg, refSem: make(chan struct{}, 1),
		updates: map[uint64]map[common.Address]updateBody{}, manifests: map[uint64]map[common.Address]manifestBody{},
		commits: map[uint64]map[common.Address]commitBody{}, mine: map[uint64]commitBody{}, applied: map[uint64]manifestBody{}, awaiting: map[string]bool{}, equivocated: map[common.Address]bool{}, sent: map[uint64]sentRound{}, banned: map[common.Address]bool{}, disputed: map[string]bool{}}
	n.status = Status{Address: addr, Peer: h.ID(), EvalLoss: math.NaN(), Phase: "starting"}
	n.g, err = p2p.JoinSwarm(ctx, h, cfg.Swarm, n.window)
	if err != nil {
		return nil, err
	}
	n.g.SetBodyCheck(checkBody)
	n.blobs = p2p.ServeBlobs(h, p2p.DefaultBlobLimits())
	h.SetStreamHandler(verdeProtocol, n.serveParty)
	h.SetStreamHandler(disputeProtocol, n.serveDispute)
	return n, nil
}

// Status returns a snapshot of the member's status.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.status
	// Roots agreed and differing, counted now (not when the last commit was filed).
	if mine, ok := n.mine[s.Round]; ok {
		s.Agreed, s.Differ = 0, 0
		for a, c := range n.commits[s.Round] {
			switch {
			case n.banned[a]:
			case c.Root == mine.Root:
				s.Agreed++
			case c.Manifest == mine.Manifest && mine.Manifest != "":
				s.Differ++
			}
		}
	}
	s.Peers = len(n.h.Network().Peers())
	s.Served, s.Fetched = n.blobs.Traffic()
	s.Banned = nil
	for a := range n.banned {
		s.Banned = append(s.Banned, a)
	}
	return s
}

func (n *Node) setPhase(p string) {
	n.mu.Lock()
	n.status.Phase = p
	n.mu.Unlock()
}

// Close leaves the swarm.
func (n *Node) Close() {
	n.g.Close()
	n.h.RemoveStreamHandler(verdeProtocol)
	n.h.RemoveStreamHandler(disputeProtocol)
}

// Run takes part until ctx ends or cfg.Rounds is committed. It resumes from the newest
// state in the ledger, or catches up with the swarm, or starts it.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go n.receive(ctx)
	st, err := n.tr.Latest()
	if err != nil {
		return err
	}
	if st != nil {
		n.event(st.Round, "round", "resuming from round %d in the ledger (root %x)", st.Round, st.Checkpoint.Root[:6])
		var m manifestBody
		if json.Unmarshal(st.Note, &m) == nil && m.Base != "" { // who made it: the members expected next
			n.mu.Lock()
			n.applied[st.Round] = m
			n.mu.Unlock()
		}
		n.adopt(ctx, st, "", false) // not announced: the swarm may be far past it (a stale round counts against the sender)
	}
	// Listen for the swarm before starting one (a commit says it exists).
	if err := n.waitFor(ctx, n.cfg.JoinWait, func() bool {
		_, _, _, _, ok := n.swarmState()
		return ok
	}); err != nil {
		return err
	}
	switch caught := n.catchUp(ctx); {
	case caught:
	case n.current() == nil:
		st, err := n.tr.Genesis(ctx)
		if err != nil {
			return err
		}
		n.event(0, "round", "starting from the task's init (root %x)", st.Checkpoint.Root[:6])
		n.adopt(ctx, st, "", true)
	default: // resumed, and the swarm is not ahead of it: now its root is news
		st := n.current()
		n.adopt(ctx, st, "", true)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := n.current()
		if n.cfg.Rounds > 0 && st.Round >= n.cfg.Rounds {
			n.linger(ctx, st)
			n.catchUp(ctx) // a member that stops holds the swarm's state, not a fork of it
			return nil
		}
		if err := n.round(ctx, st); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.event(st.Round+1, "warn", "round %d: %v", st.Round+1, err)
			// Wait for the others' commits, then catch up with them.
			n.setPhase("catching up")
			if err := n.sleep(ctx, n.cfg.ManifestWait); err != nil {
				return err
			}
		}
		n.catchUp(ctx)
	}
}

// linger, after the last round, waits for the other members' commits of it and for the
// disputes under way, so that a member that stops first still checks the others.
func (n *Node) linger(ctx context.Context, st *diloco.State) {
	n.setPhase("done")
	n.waitFor(ctx, n.cfg.ManifestWait, func() bool {
		for _, a := range n.expected(st) {
			if _, ok := n.commits[st.Round][a]; !ok && a != n.addr {
				return false
			}
		}
		return true
	})
	n.waitFor(ctx, 30*time.Second, func() bool { return n.inFlight == 0 && len(n.awaiting) == 0 })
}

func (n *Node) current() *diloco.State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

// adopt makes st the member's state and, if announce, announces its root.
func (n *Node) adopt(ctx context.Context, st *diloco.State, manifest string, announce bool) {
	raw, err := n.tr.StateBytes(st)
	if err != nil {
		n.event(st.Round, "warn", "%v", err)
		return
	}
	id, err := n.blobs.Add(raw)
	if err != nil {
		n.event(st.Round, "warn", "%v", err)
		return
	}
	c := commitBody{Tag: n.tr.Tag(), Root: hexHash(st.Root()), Manifest: manifest, State: hexHash(id), Addrs: n.listenAddrs()}
	n.mu.Lock()
	n.state, n.stateRound = st, st.Round
	n.mine[st.Round] = c
	n.held[st.Round] = append(n.held[st.Round], id)
	n.status.Round, n.status.Root, n.status.Phase = st.Round, st.Root(), "committed"
	n.forget(st.Round)
	n.mu.Unlock()
	if announce {
		if err := n.g.Publish(ctx, st.Round, "commit", c); err != nil {
			n.event(st.Round, "warn", "announcing the root: %v", err)
		}
	}
	n.checkRoots(ctx, st.Round)
	n.mu.Lock()
	disputing := n.inFlight > 0 || len(n.awaiting) > 0
	n.mu.Unlock()
	if k := n.cfg.KeepRounds; k > 0 && st.Round >= k && !disputing { // a round under dispute stays
		if _, err := n.tr.Prune(st.Round - k + 1); err != nil {
			n.event(st.Round, "warn", "removing old rounds from the ledger: %v", err)
		}
	}
	if n.cfg.Eval {
		if m, err := n.tr.Eval(ctx, st); err == nil {
			n.mu.Lock()
			n.status.EvalLoss = m["loss"]
			n.mu.Unlock()
		}
	}
}

// forget drops what rounds long past held (n.mu held).
func (n *Node) forget(round uint64) {
	for r := range n.updates {
		if r+4 < round {
			delete(n.updates, r)
			delete(n.manifests, r)
		}
	}
	n.dropHeld(round)
	for r := range n.commits {
		if r+8 < round {
			delete(n.commits, r)
			delete(n.mine, r)
			delete(n.applied, r)
			delete(n.sent, r)
		}
	}
}

// publishUpdate trains the member's inner steps from st and publishes its update, once
// per round: a round tried again after a failure sends the update already sent (a
// second, different one would contradict the first, which is the one that counts).
func (n *Node) publishUpdate(ctx context.Context, st *diloco.State) error {
	r, base := st.Round+1, hexHash(st.Root())
	n.mu.Lock()
	sent, again := n.sent[r]
	n.mu.Unlock()
	if again && sent.update.Base == base {
		return nil
	}
	n.setPhase("training")
	n.event(r, "round", "round %d: training %d inner steps", r, n.tr.Config().Inner)
	delta, loss, err := n.tr.Inner(ctx, st, n.addr)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.feedback.Beta = n.cfg.FeedbackBeta
	payload, err := n.feedback.Encode(delta, n.cfg.Codec)
	n.mu.Unlock()
	if err != nil {
		return err
	}
	decoded, err := codec.Decode(payload, len(delta))
	if err != nil {
		return fmt.Errorf("BUG: an update this member encoded does not decode: %w", err)
	}
	id, err := n.blobs.Add(payload)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.held[r] = append(n.held[r], id)
	n.status.Loss, n.status.UpdateBytes, n.status.DenseBytes = loss, len(payload), 4*len(delta)
	n.mu.Unlock()
	u := updateBody{Tag: n.tr.Tag(), Base: base, Blob: hexHash(id), Decoded: hexHash(floatHash(decoded)), Bytes: len(payload), Loss: loss, Addrs: n.listenAddrs()}
	if err := n.g.Publish(ctx, r, "update", u); err != nil {
		return fmt.Errorf("publishing the update: %w", err)
	}
	n.mu.Lock()
	n.sent[r] = sentRound{update: u}
	withhold := n.withhold
	n.mu.Unlock()
	if withhold {
		n.blobs.Drop(id)
	}
	n.event(r, "update", "update of %d bytes (%.0fx smaller than dense), inner loss %.4f", len(payload), float64(4*len(delta))/float64(len(payload)), loss)

	return nil
}

// sentRound is what a member published in a round.
type sentRound struct {
	update   updateBody
	manifest *manifestBody
}

// round runs round st.Round+1.
func (n *Node) round(ctx context.Context, st *diloco.State) error {
	r, base := st.Round+1, hexHash(st.Root())
	if err := n.publishUpdate(ctx, st); err != nil {
		return err
	}

	// Wait for the expected members' updates.
	n.setPhase("waiting for updates")
	if st.Round == 0 {
		// The first round of a new swarm: who else starts it is unknown (every member's
		// start is the same state), so it waits JoinWait for the others' updates first.
		if err := n.sleep(ctx, n.cfg.JoinWait); err != nil {
			return err
		}
	}
	n.waitFor(ctx, n.cfg.UpdateWait, func() bool {
		expected := n.expected(st)
		for _, a := range expected {
			if _, done := n.commits[r][a]; done && a != n.addr {
				return true // the swarm is done with the round: this member is late
			}
		}
		for _, a := range expected {
			if u, ok := n.updates[r][a]; !ok || u.Base != base {
				return false
			}
		}
		return true
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	var announced []entry
	for a, u := range n.updates[r] {
		if u.Base == base && !n.banned[a] {
			announced = append(announced, entry{Member: a.Hex(), Blob: u.Blob, Decoded: u.Decoded})
		}
	}
	prev := n.sent[r].manifest
	n.mu.Unlock()
	// A manifest lists only the updates this member has fetched and checked: one that
	// nobody serves is in no honest member's manifest.
	mine := manifestBody{Base: base}
	fetched := map[string][]float32{}
	for _, e := range announced {
		u, err := n.fetchUpdate(ctx, r, e)
		if n.withhold && e.Member == n.addr.Hex() {
			mine.Entries = append(mine.Entries, e) // the fault: listed, never served
			continue
		}
		if err != nil {
			n.event(r, "warn", "left out of this member's manifest: %v", err)
			continue
		}
		fetched[e.Blob] = u
		mine.Entries = append(mine.Entries, e)
	}
	sort.Slice(mine.Entries, func(i, j int) bool {
		return common.HexToAddress(mine.Entries[i].Member).Cmp(common.HexToAddress(mine.Entries[j].Member)) < 0
	})
	if prev != nil && prev.Base == base {
		mine = *prev // sent already (a round tried again): one manifest per round
	} else {
		if err := n.g.Publish(ctx, r, "manifest", mine); err != nil {
			return fmt.Errorf("publishing the manifest: %w", err)
		}
		n.mu.Lock()
		sr := n.sent[r]
		sr.manifest = &mine
		n.sent[r] = sr
		n.mu.Unlock()
	}

	// Wait for the manifests of the members it lists; the first-ranked counts.
	n.setPhase("waiting for manifests")
	n.waitFor(ctx, n.cfg.ManifestWait, func() bool {
		for _, e := range mine.Entries {
			if _, ok := n.manifests[r][common.HexToAddress(e.Member)]; !ok {
				return false
			}
		}
		return true
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	// Apply the first-ranked manifest whose every update can be fetched and checked: a
	// manifest that lists an update nobody serves gives way to the next (every member
	// that cannot fetch it does the same, so they stay together).
	n.setPhase("applying")
	var chosen manifestBody
	var updates [][]float32
	found := false
	for _, c := range n.ranked(r, st) {
		us, err := n.fetchAll(ctx, r, c.m, fetched)
		if err != nil {
			n.event(r, "warn", "the manifest of %s gives way to the next: %v", short(c.author), err)
			continue
		}
		chosen, updates, found = c.m, us, true
		n.event(r, "manifest", "applying the manifest of %s: %d updates", short(c.author), len(chosen.Entries))
		break
	}
	if !found {
		return fmt.Errorf("no manifest of round %d qualifies", r)
	}
	mj, err := json.Marshal(chosen)
	if err != nil {
		return err
	}
	next, err := n.tr.Outer(ctx, st, updates, mj)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.status.Members = len(updates)
	n.applied[r] = chosen
	n.mu.Unlock()
	n.adopt(ctx, next, chosen.Hash(), true)
	n.onEv(Event{Time: time.Now(), Round: r, Kind: "commit", Text: fmt.Sprintf("round %d committed: root %x (%d updates)", r, next.Checkpoint.Root[:6], len(updates)), Root: next.Root(),
		Chain: &ChainAct{Kind: "commit", Root: next.Root()}})
	return nil
}

// expected lists the members expected to send updates in the round after st: those whose
// updates made st (or, where this member did not apply st itself, those that committed
// st's root), less those that committed another (n.mu held). A member that stops sending,
// or is too slow for a round, is waited for in one round (UpdateWait), then no longer
// expected until its update makes a round again.
func (n *Node) expected(st *diloco.State) []common.Address {
	root := hexHash(st.Root())
	set := map[common.Address]bool{n.addr: true}
	applied, known := n.applied[st.Round]
	for _, e := range applied.Entries {
		set[common.HexToAddress(e.Member)] = true
	}
	for a, c := range n.commits[st.Round] {
		if c.Root != root {
			set[a] = false // one that committed another state will not send an update on this one
		} else if !known {
			// Who made a state this member did not apply is unknown: those that
			// committed it. Otherwise only the last manifest's members are waited for,
			// so one that was too late for it is not waited for again and again.
			set[a] = true
		}
	}
	var out []common.Address
	for a, ok := range set {
		if ok && !n.banned[a] {
			out = append(out, a)
		}
	}
	return out
}

// ranked returns the manifests of round r on st that qualify, first-ranked first. Only
// the manifests of members expected in the round count, only those whose every entry is
// the update its member announced (signed) on the same state, and none of a member that
// sent two different manifests for the round (an equivocation: both are signed, so it is
// proof). This member's own manifest always qualifies.
func (n *Node) ranked(r uint64, st *diloco.State) []authored {
	base := hexHash(st.Root())
	n.mu.Lock()
	defer n.mu.Unlock()
	expected := map[common.Address]bool{}
	for _, a := range n.expected(st) {
		expected[a] = true
	}
	var out []authored
	for a, m := range n.manifests[r] {
		if m.Base != base || n.banned[a] || n.equivocated[a] || !expected[a] || !n.announced(r, m) {
			continue
		}
		out = append(out, authored{m: m, author: a, rank: rank("manifest|"+base, r, a)})
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].rank[:], out[j].rank[:]) < 0 })
	return out
}

type authored struct {
	m      manifestBody
	author common.Address
	rank   [32]byte
}

// fetchAll fetches and checks a manifest's updates, in its order (have: fetched already).
func (n *Node) fetchAll(ctx context.Context, r uint64, m manifestBody, have map[string][]float32) ([][]float32, error) {
	out := make([][]float32, len(m.Entries))
	for i, e := range m.Entries {
		if u, ok := have[e.Blob]; ok {
			out[i] = u
			continue
		}
		u, err := n.fetchUpdate(ctx, r, e)
		if err != nil {
			return nil, err
		}
		have[e.Blob], out[i] = u, u
	}
	return out, nil
}

// announced reports whether every entry of m is an update its member announced for round
// r on m's state (n.mu held).
func (n *Node) announced(r uint64, m manifestBody) bool {
	for _, e := range m.Entries {
		u, ok := n.updates[r][common.HexToAddress(e.Member)]
		if !ok || u.Base != m.Base || u.Blob != e.Blob || u.Decoded != e.Decoded {
			return false
		}
	}
	return len(m.Entries) > 0
}

// fetchUpdate fetches, decodes and checks one update of a manifest.
func (n *Node) fetchUpdate(ctx context.Context, r uint64, e entry) ([]float32, error) {
	id := p2p.BlobID(unhex32(e.Blob))
	data, ok := n.blobs.Get(id) // its own, or fetched already
	if !ok {
		var dropped []peer.ID
		var err error
		data, dropped, err = n.blobs.FetchMax(ctx, id, n.holders(r, common.HexToAddress(e.Member)), maxPayload(n.tr.Size()))
		for _, p := range dropped {
			n.event(r, "warn", "peer %s sent a chunk that does not match its hash: dropped", p)
		}
		if err != nil {
			return nil, fmt.Errorf("the update of %s: %w", short(common.HexToAddress(e.Member)), err)
		}
		// Serve it on: the holders of a round's updates are all its members.
		if _, err := n.blobs.Add(data); err == nil {
			n.mu.Lock()
			n.held[r] = append(n.held[r], id)
			n.mu.Unlock()
		}
	}
	u, err := codec.Decode(data, n.tr.Size())
	if err != nil {
		return nil, fmt.Errorf("the update of %s: %w", short(common.HexToAddress(e.Member)), err)
	}
	if hexHash(floatHash(u)) != e.Decoded {
		return nil, fmt.Errorf("the update of %s decodes to other values than it announced", short(common.HexToAddress(e.Member)))
	}
	return u, nil
}

// holders lists the peers to ask for a blob of round r: its author first, then every
// member that published a manifest of r (they fetched it).
func (n *Node) holders(r uint64, author common.Address) []peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []peer.ID
	if p, ok := n.peers[author]; ok && author != n.addr {
		out = append(out, p)
	}
	for a := range n.manifests[r] {
		if p, ok := n.peers[a]; ok && a != author && a != n.addr && !n.banned[a] {
			out = append(out, p)
		}
	}
	return out
}

// swarmState finds the newest state the swarm committed ahead of this member's (n.mu
// held): the highest round whose most-committed root has a majority of that round's
// committers, and at least two of them where this member has heard from three or more
// members (one member alone, faulty or fast, cannot lead others away). Members ruled
// against do not count.
func (n *Node) swarmState() (round uint64, root, state string, voters []common.Address, ok bool) {
	cur, have := uint64(0), n.state != nil
	if have {
		cur = n.state.Round
	}
	heard := map[common.Address]bool{}
	var rounds []uint64
	for r, cs := range n.commits {
		for a := range cs {
			heard[a] = true
		}
		if !have || r >= cur {
			rounds = append(rounds, r)
		}
	}
	slices.Sort(rounds)
	for i := len(rounds) - 1; i >= 0; i-- {
		r := rounds[i]
		votes := map[string][]common.Address{}
		total := 0
		for a, c := range n.commits[r] {
			if !n.banned[a] {
				votes[c.Root] = append(votes[c.Root], a)
				total++
			}
		}
		top := ""
		for rt, as := range votes {
			if len(as) > len(votes[top]) || (len(as) == len(votes[top]) && rt < top) {
				top = rt
			}
		}
		need := total/2 + 1
		if len(heard) >= 3 {
			need = max(need, 2)
		}
		if have { // and a majority of the members this member last applied updates of
			need = max(need, (len(n.applied[cur].Entries)+1)/2)
		}
		if have && r == cur {
			// This member's own round: another root counts only where more members
			// committed it than this one's (counting this member): a fork to leave.
			mine := hexHash(n.state.Root())
			if top == mine || len(votes[top]) <= len(votes[mine])+1 {
				continue
			}
		}
		if top != "" && len(votes[top]) >= need {
			return r, top, n.commits[r][votes[top][0]].State, votes[top], true
		}
	}
	return 0, "", "", nil, false
}

// catchUp takes the newest state the swarm committed ahead of this member's
// (swarmState), fetched from the members that committed it and checked against their
// root; or, where more members committed another root for its own round, that one (a
// fork left). It reports whether it took one.
func (n *Node) catchUp(ctx context.Context) bool {
	n.mu.Lock()
	best, root, state, voters, ok := n.swarmState()
	var peers []peer.ID
	for _, a := range voters {
		if p, ok := n.peers[a]; ok {
			peers = append(peers, p)
		}
	}
	n.mu.Unlock()
	if !ok {
		return false
	}
	n.setPhase("catching up")
	var st *diloco.State
	var err error
	if best == 0 { // the start of the swarm: computed here rather than fetched
		st, err = n.tr.Genesis(ctx)
	} else {
		var data []byte
		data, _, err = n.blobs.FetchMax(ctx, p2p.BlobID(unhex32(state)), peers, 8*n.tr.Size())
		if err != nil {
			n.event(best, "warn", "catching up to round %d: %v", best, err)
			return false
		}
		st, err = n.tr.Load(ctx, best, data)
	}
	if err != nil {
		n.event(best, "warn", "catching up to round %d: %v", best, err)
		return false
	}
	if hexHash(st.Root()) != root {
		n.event(best, "warn", "catching up to round %d: the state fetched has root %x, not the %s… %d members committed", best, st.Checkpoint.Root[:6], root[:12], len(voters))
		return false
	}
	n.onEv(Event{Time: time.Now(), Round: best, Kind: "catch-up", Text: fmt.Sprintf("caught up to round %d from %d members: root %x verified", best, len(peers), st.Checkpoint.Root[:6]), Root: st.Root()})
	n.adopt(ctx, st, "", true)
	return true
}

// receive files every message the validator accepted.
func (n *Node) receive(ctx context.Context) {
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
		if m.Round > cur+2 && m.Kind != "commit" {
			// Rounds this member is far from: only commits matter (to catch up).
			n.mu.Unlock()
			continue
		}
		switch m.Kind {
		case "update":
			var b updateBody
			if decode(m, &b) == nil && n.sameSwarm(a, b.Tag) {
				put(n.updates, m.Round, a, b)
				n.learn(from, b.Addrs)
			}
		case "manifest":
			var b manifestBody
			if decode(m, &b) == nil {
				if prev, dup := n.manifests[m.Round][a]; dup && prev.Hash() != b.Hash() && !n.equivocated[a] && a != n.addr {
					n.equivocated[a] = true
					go n.event(m.Round, "warn", "%s signed two different manifests for round %d: its manifests no longer count", short(a), m.Round)
				}
				put(n.manifests, m.Round, a, b)
			}
		case "commit":
			var b commitBody
			if decode(m, &b) == nil && a != n.addr && n.sameSwarm(a, b.Tag) {
				put(n.commits, m.Round, a, b)
				n.learn(from, b.Addrs)
				n.trimFuture(cur)
			}
		}
		n.mu.Unlock()
		switch m.Kind {
		case "commit":
			go n.checkRoots(ctx, m.Round)
		case "ruling":
			var b rulingBody
			if decode(m, &b) == nil && a != n.addr { // its own it acted on when it ruled
				go n.onRuling(ctx, m.Round, a, b)
			}
		}
		n.notify()
	}
}

// trimFuture keeps the commits of at most 16 rounds ahead of round cur, the newest (n.mu
// held): what catch-up needs, and a bound on what far-future messages can make a member
// hold.
func (n *Node) trimFuture(cur uint64) {
	var ahead []uint64
	for r := range n.commits {
		if r > cur {
			ahead = append(ahead, r)
		}
	}
	if len(ahead) <= 16 {
		return
	}
	slices.Sort(ahead)
	for _, r := range ahead[:len(ahead)-16] {
		delete(n.commits, r)
	}
}

func put[T any](m map[uint64]map[common.Address]T, r uint64, a common.Address, v T) {
	if m[r] == nil {
		m[r] = map[common.Address]T{}
	}
	if _, dup := m[r][a]; !dup { // the first word of a member on a round counts
		m[r][a] = v
	}
}

// checkRoots compares the roots committed for round r with this member's: a different
// root on the same manifest is disputed.
func (n *Node) checkRoots(ctx context.Context, r uint64) {
	n.mu.Lock()
	mine, ok := n.mine[r]
	if !ok || mine.Manifest == "" {
		n.mu.Unlock()
		return
	}
	var accused []common.Address
	for a, c := range n.commits[r] {
		if n.banned[a] || c.Manifest != mine.Manifest {
			continue
		}
		if c.Root != mine.Root {
			if key := fmt.Sprintf("%d|%s|%s", r, mine.Root, c.Root); !n.disputed[key] {
				n.disputed[key] = true
				accused = append(accused, a)
			}
		}
	}
	n.mu.Unlock()
	for _, a := range accused {
		go func() {
			if !n.challenge(ctx, r, a) { // no referee yet: a later commit tries again
				n.mu.Lock()
				delete(n.disputed, fmt.Sprintf("%d|%s|%s", r, mine.Root, n.commits[r][a].Root))
				n.mu.Unlock()
			}
		}()
	}
}

// maxPayload bounds a compressed update of n elements: the raw format at full density
// (a varint index, a scale and a value per element) plus zstd's worst-case framing.
func maxPayload(n int) int { return 16 + 10*n + 1<<10 }

// floatHash is SHA-256 of little-endian float32s: what a decoded update is named by.
func floatHash(fs []float32) [32]byte {
	h := sha256.New()
	var b [4]byte
	for _, f := range fs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
		h.Write(b[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func short(a common.Address) string { return a.Hex()[:10] }

var errNoReferee = errors.New("no member can referee: a dispute needs a third member")
