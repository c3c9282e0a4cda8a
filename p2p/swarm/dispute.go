package swarm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/lockstep-ml/lockstep/ledger/runner"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	"github.com/lockstep-ml/lockstep/p2p"
)

// Disputes travel over two stream protocols: a challenger asks a referee to settle a
// round (disputeProtocol), and the referee questions each party about its outer step
// (verdeProtocol, the Verde wire protocol after a header naming the round).
const (
	disputeProtocol = "/lockstep/dispute/1"
	verdeProtocol   = "/lockstep/verde/1"
	partyTimeout    = time.Minute // the longest a party may take to answer one question
	maxHeader       = 4 << 10
)

// disputeRequest asks a referee to settle round Round between the challenger (the
// stream's peer) and Accused.
type disputeRequest struct {
	Swarm   string `json:"swarm"`
	Round   uint64 `json:"round"`
	Accused string `json:"accused"`
}

// partyHeader opens a referee's questioning of a party.
type partyHeader struct {
	Swarm string `json:"swarm"`
	Round uint64 `json:"round"`
}

type reply struct {
	Err     string `json:"err,omitempty"`
	Busy    bool   `json:"busy,omitempty"`    // ask again later
	Settled bool   `json:"settled,omitempty"` // the same roots are settled or being settled
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func readJSON(r *bufio.Reader, v any) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("reading a header: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// challenge asks the referee of round r to settle this member's root against accused's.
// It reports false where no member can referee yet.
func (n *Node) challenge(ctx context.Context, r uint64, accused common.Address) bool {
	ref, ok := n.referee(r, n.addr, accused)
	if !ok {
		n.event(r, "dispute", "%s committed another root for round %d, but %v", short(accused), r, errNoReferee)
		return false
	}
	n.mu.Lock()
	own := n.mine[r]
	n.mu.Unlock()
	act := &ChainAct{Kind: "dispute", Accused: accused, Evidence: unhex32(own.Root)}
	n.onEv(Event{Time: time.Now(), Round: r, Kind: "dispute", Chain: act,
		Text: fmt.Sprintf("%s committed another root for round %d: asking %s to referee", short(accused), r, short(ref))})
	n.mu.Lock()
	pid, known := n.peers[ref]
	n.status.Disputes++
	n.mu.Unlock()
	n.busy(+1)
	defer n.busy(-1)
	if !known {
		return true
	}
	// A referee that is busy with another dispute is asked again, a few times.
	for try := 0; try < 10; try++ {
		rep, err := n.ask(ctx, pid, disputeRequest{Swarm: n.cfg.Swarm, Round: r, Accused: accused.Hex()})
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
			n.mu.Lock()
			n.awaiting[awaitKey(r, accused)] = true
			n.mu.Unlock()
		}
		break
	}
	return true
}

// ask sends a dispute request to a referee and reads its reply.
func (n *Node) ask(ctx context.Context, pid peer.ID, req disputeRequest) (reply, error) {
	return askReferee(ctx, n.h, pid, disputeProtocol, req)
}

// referee returns the first-ranked member of round r's manifest other than the parties:
// every member that applied the manifest the parties disagree about computes the same one.
func (n *Node) referee(r uint64, a, b common.Address) (common.Address, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var best common.Address
	var bestRank [32]byte
	found := false
	for _, e := range n.applied[r].Entries {
		c := common.HexToAddress(e.Member)
		if c == a || c == b || n.banned[c] {
			continue
		}
		if rk := rank("referee", r, c); !found || bytes.Compare(rk[:], bestRank[:]) < 0 {
			best, bestRank, found = c, rk, true
		}
	}
	return best, found
}

// serveDispute is the referee's side: it checks that the two roots differ on the same
// manifest, plays Verde with both parties, and publishes the ruling.
func (n *Node) serveDispute(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	var req disputeRequest
	if err := readJSON(bufio.NewReaderSize(io.LimitReader(s, maxHeader), maxHeader), &req); err != nil {
		s.Reset()
		return
	}
	challenger, err := p2p.Address(s.Conn().RemotePeer())
	if err != nil {
		s.Reset()
		return
	}
	accused := common.HexToAddress(req.Accused)
	// The challenger may ask before its commit or the accused's has reached this member.
	n.waitFor(context.Background(), 20*time.Second, func() bool {
		_, okA := n.commits[req.Round][challenger]
		_, okB := n.commits[req.Round][accused]
		_, applied := n.applied[req.Round] // and this member's own outer step done
		return okA && okB && applied
	})
	n.mu.Lock()
	ca, okA := n.commits[req.Round][challenger]
	cb, okB := n.commits[req.Round][accused]
	pa, pb := n.peers[challenger], n.peers[accused]
	key := fmt.Sprintf("ref|%d|%s|%s", req.Round, ca.Root, cb.Root)
	seen := n.disputed[key] || n.disputed[fmt.Sprintf("ref|%d|%s|%s", req.Round, cb.Root, ca.Root)]
	n.mu.Unlock()
	ref, _ := n.referee(req.Round, challenger, accused)
	var why string
	switch {
	case req.Swarm != n.cfg.Swarm:
		why = "another swarm"
	case ref != n.addr:
		why = "this member is not the round's referee for these parties"
	case !okA || !okB:
		why = "this member has not seen both commits of the round"
	case ca.Manifest != cb.Manifest || ca.Manifest == "":
		why = "the two roots are of different manifests: not a dispute over computation"
	case ca.Root == cb.Root:
		why = "the two roots agree"
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
	n.busy(+1) // before the goroutine: a member about to stop waits for it
	go n.play(req.Round, challenger, pa, accused, pb)
}

// play referees round r between a and b and publishes the ruling.
func (n *Node) play(r uint64, a common.Address, pa peer.ID, b common.Address, pb peer.ID) {
	defer n.busy(-1) // counted by serveDispute before it started this
	n.refSem <- struct{}{}
	defer func() { <-n.refSem }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n.event(r, "dispute", "refereeing round %d: %s against %s", r, short(a), short(b))
	var remotes [2]*verde.Remote
	for i, p := range []peer.ID{pa, pb} {
		s, err := n.h.NewStream(ctx, p, verdeProtocol)
		if err != nil {
			n.event(r, "warn", "refereeing round %d: reaching a party: %v", r, err)
			return
		}
		defer s.Close()
		if err := writeJSON(s, partyHeader{Swarm: n.cfg.Swarm, Round: r}); err != nil {
			return
		}
		remotes[i] = verde.NewRemote(s, partyTimeout)
	}
	ref := verde.Referee{}
	task := verde.Task{Module: n.tr.OuterProgram().HashHex()}
	if meta, ok, err := n.tr.OuterRun(r); err == nil && ok {
		if inputs, err := n.led.Inputs(meta); err == nil {
			ref.Sandbox = &verde.Sandbox{Module: n.tr.OuterProgram(), Seed: meta.Seed, Inputs: inputs}
			task.Seed, task.Inputs = meta.Seed, meta.Inputs
		}
	}
	ruling, err := ref.Play(ctx, a.Hex(), remotes[0], b.Hex(), remotes[1], 1)
	if err != nil {
		n.event(r, "warn", "refereeing round %d: %v", r, err)
		return
	}
	file := ruling.File(task).Encode()
	id, err := n.blobs.Add(file)
	if err != nil {
		return
	}
	n.mu.Lock()
	n.held[r] = append(n.held[r], id)
	n.mu.Unlock()
	body := rulingBody{Parties: [2]string{a.Hex(), b.Hex()}, Losers: ruling.Losers, File: hexHash(id), Case: string(ruling.Case), Reason: ruling.Reason}
	if err := n.g.Publish(ctx, r, "ruling", body); err != nil {
		n.event(r, "warn", "publishing the ruling: %v", err)
	}
	n.ruled(r, a, b, body.Losers, id)
	n.onRuling(ctx, r, n.addr, body) // its own ruling: acted on here (receive skips it)
}

// serveParty answers a referee's questions about this member's outer step of a round,
// from its ledger.
func (n *Node) serveParty(s network.Stream) {
	defer s.Close()
	br := bufio.NewReader(s)
	var h partyHeader
	s.SetDeadline(time.Now().Add(partyTimeout))
	if err := readJSON(br, &h); err != nil || h.Swarm != n.cfg.Swarm {
		s.Reset()
		return
	}
	asker, err := p2p.Address(s.Conn().RemotePeer())
	if err != nil || !n.mayQuestion(h.Round, asker) {
		s.Reset()
		return
	}
	meta, ok, err := n.tr.OuterRun(h.Round)
	if err != nil || !ok {
		s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := runner.OpenReplay(ctx, n.led, meta.ID, n.cfg.Runtime)
	if err != nil {
		s.Reset()
		return
	}
	defer rep.Close(ctx)
	n.busy(+1)
	defer n.busy(-1)
	party := verde.NewRunParty(rep)
	party.Fault = n.tr.Fault // a faulty member answers about what it computed
	s.SetDeadline(time.Now().Add(10 * time.Minute))
	verde.Serve(ctx, party, struct {
		io.Reader
		io.Writer
	}{br, s})
}

// busy counts a dispute in progress (+1) or finished (-1).
func (n *Node) busy(d int) {
	n.mu.Lock()
	n.inFlight += d
	n.mu.Unlock()
	n.notify()
}

func awaitKey(r uint64, accused common.Address) string { return fmt.Sprintf("%d|%s", r, accused.Hex()) }

// mayQuestion reports whether asker may question this member about round r: it must be
// the referee of this member and another member of the round's manifest. (Not only of
// those whose other root it has seen: the referee may ask before that commit arrives.)
func (n *Node) mayQuestion(r uint64, asker common.Address) bool {
	n.mu.Lock()
	_, ok := n.mine[r]
	var others []common.Address
	for _, e := range n.applied[r].Entries {
		if a := common.HexToAddress(e.Member); a != n.addr {
			others = append(others, a)
		}
	}
	n.mu.Unlock()
	if !ok {
		return false
	}
	for _, o := range others {
		if ref, found := n.referee(r, n.addr, o); found && ref == asker {
			return true
		}
	}
	return false
}

// onRuling checks a ruling's file and, if it holds, ignores the loser from then on.
func (n *Node) onRuling(ctx context.Context, r uint64, from common.Address, b rulingBody) {
	n.busy(+1)
	defer n.busy(-1)
	held := false
	defer func() { // a ruling that holds ends the wait for it
		if !held {
			return
		}
		n.mu.Lock()
		for _, p := range b.Parties {
			delete(n.awaiting, awaitKey(r, common.HexToAddress(p)))
		}
		n.mu.Unlock()
		n.notify()
	}()
	pa, pb := common.HexToAddress(b.Parties[0]), common.HexToAddress(b.Parties[1])
	if want, ok := n.referee(r, pa, pb); !ok || want != from {
		n.event(r, "warn", "a ruling on round %d from %s, who is not its referee: ignored", r, short(from))
		return
	}
	n.mu.Lock()
	peers := []peer.ID{n.peers[from]}
	n.mu.Unlock()
	data, ok := n.blobs.Get(p2p.BlobID(unhex32(b.File)))
	if !ok {
		var err error
		if data, _, err = n.blobs.Fetch(ctx, p2p.BlobID(unhex32(b.File)), peers); err != nil {
			n.event(r, "warn", "fetching the ruling file of round %d: %v", r, err)
			return
		}
	}
	f, err := verde.ParseFile(data)
	if err != nil {
		n.event(r, "warn", "the ruling file of round %d: %v", r, err)
		return
	}
	checked, err := verde.CheckFile(f)
	switch {
	case err != nil:
	case !sameAddrs(f.Losers, b.Losers) || !sameAddrs(f.Parties[:], b.Parties[:]):
		err = fmt.Errorf("the file names other parties or losers than the message")
	case f.Evidence == nil || verde.Case(f.Case) != verde.CaseOutput:
		// Only a replayed operator can be re-checked here; anything else rests on the
		// referee's word alone, which is not enough to ignore a member.
		err = fmt.Errorf("case %q without a replayable operator: noted, not acted on", f.Case)
	}
	if err != nil {
		n.event(r, "warn", "the ruling of round %d from %s does not hold: %v", r, short(from), err)
		return
	}
	n.mu.Lock()
	mine := n.mine[r]
	n.mu.Unlock()
	for _, l := range b.Losers {
		if c, ok := n.commitOf(r, common.HexToAddress(l)); ok && c.Root == mine.Root {
			// A member never ignores one that committed the root it committed itself.
			n.event(r, "warn", "a ruling of round %d against %s, whose root is this member's own: not acted on", r, short(common.HexToAddress(l)))
			return
		}
	}
	held = true
	n.event(r, "ruling", "round %d: %s ruled against %v (%s; %s)", r, short(from), b.Losers, b.Case, checked)
	n.cosign(r, from, b.Parties, b.Losers, b.File)
	for _, l := range b.Losers {
		a := common.HexToAddress(l)
		if a == n.addr {
			continue
		}
		n.mu.Lock()
		n.banned[a] = true
		p := n.peers[a]
		n.mu.Unlock()
		n.g.Ban(a, p)
	}
}

// commitOf returns what a member committed for round r (this member's own included).
func (n *Node) commitOf(r uint64, a common.Address) (commitBody, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a == n.addr {
		c, ok := n.mine[r]
		return c, ok
	}
	c, ok := n.commits[r][a]
	return c, ok
}

func sameAddrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if common.HexToAddress(a[i]) != common.HexToAddress(b[i]) {
			return false
		}
	}
	return true
}
