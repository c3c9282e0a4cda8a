package swarm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
)

// base is what every kind of member has: its host, identity, gossip, blobs and ledger,
// the peers it learned from signed messages, and the waiting on messages.
type base struct {
	h     host.Host
	addr  common.Address
	g     *p2p.Gossip
	blobs *p2p.Blobs
	led   *ledger.Ledger
	onEv  func(Event)

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever a message arrives (notify)
	peers      map[common.Address]peer.ID
	stateRound uint64 // the round of the member's state (n.mu)
	// held are the blobs this member serves, by the round they belong to (n.mu).
	held map[uint64][]p2p.BlobID
	// swarm and tag name the member's swarm and configuration; differs says what another
	// tag means; otherTag are the members said to have another (n.mu).
	swarm, tag, differs string
	otherTag            map[common.Address]bool
}

// sameSwarm reports whether a member's message is of this member's configuration, and
// says once when it is not (n.mu held): same swarm name, another task or settings.
func (n *base) sameSwarm(a common.Address, tag string) bool {
	if tag == n.tag {
		return true
	}
	if !n.otherTag[a] {
		n.otherTag[a] = true
		go n.event(0, "warn", "%s trains another configuration of swarm %q (%s: tag %s, this node's %s); its messages are ignored", short(a), n.swarm, n.differs, tag, n.tag)
	}
	return false
}

// dropHeld stops serving the blobs of rounds long past (n.mu held).
func (n *base) dropHeld(round uint64) {
	for r, ids := range n.held {
		if r+4 < round {
			n.blobs.Drop(ids...)
			delete(n.held, r)
		}
	}
}

// window accepts messages from a few rounds back to far ahead (a member that is behind
// must hear the rounds it missed to catch up, or to skip to them).
func (n *base) window() (lo, hi uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stateRound - min(n.stateRound, 4), n.stateRound + 1<<20
}

func newBase(h host.Host, addr common.Address, led *ledger.Ledger, swarm, tag, differs string, onEvent func(Event)) base {
	if onEvent == nil {
		onEvent = func(Event) {}
	}
	return base{h: h, addr: addr, led: led, onEv: onEvent, changed: make(chan struct{}), peers: map[common.Address]peer.ID{}, held: map[uint64][]p2p.BlobID{},
		swarm: swarm, tag: tag, differs: differs, otherTag: map[common.Address]bool{}}
}

// Address is the member's address.
func (n *base) Address() common.Address { return n.addr }

func (n *base) event(round uint64, kind, format string, args ...any) {
	n.onEv(Event{Time: time.Now(), Round: round, Kind: kind, Text: fmt.Sprintf(format, args...)})
}

// sleep waits d or until ctx ends.
func (n *base) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitFor waits until cond holds (checked, with n.mu held, whenever a message arrives)
// or d passes.
func (n *base) waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		n.mu.Lock()
		ok, changed := cond(), n.changed
		n.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-changed:
		}
	}
}

// notify wakes every waitFor.
func (n *base) notify() {
	n.mu.Lock()
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
}

// learn adds the addresses a member announced (in a signed message) for its peer.
func (n *base) learn(p peer.ID, addrs []string) {
	if p == n.h.ID() {
		return
	}
	for _, s := range addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			n.h.Peerstore().AddAddr(p, a, peerstore.RecentlyConnectedAddrTTL)
		}
	}
}

// listenAddrs are the addresses this member announces.
func (n *base) listenAddrs() []string {
	var out []string
	for _, a := range n.h.Addrs() {
		if len(out) < maxAddrs {
			out = append(out, a.String())
		}
	}
	return out
}

// ruled tells the chain of a ruling this member made as the referee of challenger's
// dispute of accused's round r; file is the ruling file's ID.
func (n *base) ruled(r uint64, challenger, accused common.Address, losers []string, file p2p.BlobID) {
	n.chainRuling(r, challenger, accused, losers, file, fmt.Sprintf("ruled as referee of round %d (ruling file %x): queued for the chain", r, file[:6]))
}

// cosign tells the chain that this member, not a party, checked a ruling another member
// made as referee (parties: challenger, accused) and signs it too: on chain a ruling
// needs more than half of the round's other members.
func (n *base) cosign(r uint64, from common.Address, parties [2]string, losers []string, file string) {
	challenger, accused := common.HexToAddress(parties[0]), common.HexToAddress(parties[1])
	if from == n.addr || challenger == n.addr || accused == n.addr {
		return
	}
	n.chainRuling(r, challenger, accused, losers, p2p.BlobID(unhex32(file)),
		fmt.Sprintf("checked the ruling of round %d by %s: signing it for the chain", r, short(from)))
}

func (n *base) chainRuling(r uint64, challenger, accused common.Address, losers []string, file p2p.BlobID, text string) {
	lost := false
	for _, l := range losers {
		lost = lost || common.HexToAddress(l) == accused
	}
	n.onEv(Event{Time: time.Now(), Round: r, Kind: "ruling", Text: text,
		Chain: &ChainAct{Kind: "rule", Accused: accused, Challenger: challenger, AccusedLost: lost, Ruling: file}})
}
