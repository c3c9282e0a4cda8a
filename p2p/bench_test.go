package p2p

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// relaySwarm is n nodes on loopback in one swarm, node i dialling nodes i+1 and i+2 (mod
// n): each node has four neighbours, so with n = 8 a message reaches the three nodes
// three to five places from its author only through a relay.
type relaySwarm struct {
	hosts []host.Host
	gs    []*Gossip
	// round is the round last announced. Every node's window is the rounds around it,
	// so the validator's replay record is pruned as the rounds advance.
	round     atomic.Uint64
	start     time.Time     // announcements carry their send time as an offset from it
	delivered chan delivery // what every node's subscription returns, but its own messages
}

type delivery struct {
	node    int
	author  string
	round   uint64
	latency time.Duration // from Publish to Next returning it
}

// announcement is a round message's body, about 200 bytes like a real round announcement,
// and the time it was sent.
type announcement struct {
	Round     uint64 `json:"round"`
	Seed      string `json:"seed"`
	Questions string `json:"questions"` // the hash of the round's questions
	SentNS    int64  `json:"sent_ns"`   // since relaySwarm.start, on the one clock the nodes share
}

func newRelaySwarm(tb testing.TB, n int) *relaySwarm {
	tb.Helper()
	const swarm = "bench"
	s := &relaySwarm{start: time.Now(), delivered: make(chan delivery, n*n)}
	window := func() (uint64, uint64) {
		r := s.round.Load()
		return max(r, 1) - 1, r + 1
	}
	for range n {
		h := loopbackHost(tb, newKey(tb), nil)
		g, err := JoinSwarm(context.Background(), h, swarm, window)
		if err != nil {
			tb.Fatal(err)
		}
		s.hosts, s.gs = append(s.hosts, h), append(s.gs, g)
	}
	for i := range n {
		connect(tb, s.hosts[i], s.hosts[(i+1)%n])
		connect(tb, s.hosts[i], s.hosts[(i+2)%n])
	}
	s.awaitMesh(tb, TopicName(swarm), 20*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel) // runs before the hosts close: cleanups run last first
	for i, g := range s.gs {
		me, err := Address(s.hosts[i].ID())
		if err != nil {
			tb.Fatal(err)
		}
		go s.receive(ctx, i, g, me.Hex())
	}
	return s
}

// neighbours are the nodes i dials or is dialled by.
func (s *relaySwarm) neighbours(i int) []peer.ID {
	n := len(s.hosts)
	var ids []peer.ID
	for _, d := range []int{1, 2, n - 1, n - 2} {
		ids = append(ids, s.hosts[(i+d)%n].ID())
	}
	return ids
}

// awaitMesh waits until every node sees its four neighbours on the topic and has them in
// its mesh. gossipsub does not show its mesh, but its score does: before any message is
// sent, the only positive term is the time in the mesh, counted in whole seconds, so a
// positive score says the peer has been in the mesh for a second.
func (s *relaySwarm) awaitMesh(tb testing.TB, topic string, timeout time.Duration) {
	tb.Helper()
	formed := func() (bool, string) {
		for i, g := range s.gs {
			peers := g.ps.ListPeers(topic)
			for _, p := range s.neighbours(i) {
				if !slices.Contains(peers, p) {
					return false, fmt.Sprintf("node %d does not see %s on the topic", i, p)
				}
				if sc := g.Score(p); sc <= 0 {
					return false, fmt.Sprintf("node %d scores %s at %v: not in its mesh", i, p, sc)
				}
			}
		}
		return true, ""
	}
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		ok, why := formed()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no mesh after %v: %s", timeout, why)
		}
	}
}

// receive passes on what node i's subscription returns, but for its own messages.
func (s *relaySwarm) receive(ctx context.Context, i int, g *Gossip, me string) {
	for {
		m, _, err := g.Next(ctx)
		if err != nil {
			return
		}
		now := time.Since(s.start)
		if m.Author == me {
			continue
		}
		var a announcement
		if err := json.Unmarshal(m.Body, &a); err != nil {
			a.SentNS = math.MaxInt64 // a negative latency marks it
		}
		select {
		case s.delivered <- delivery{node: i, author: m.Author, round: m.Round, latency: now - time.Duration(a.SentNS)}:
		case <-ctx.Done():
			return
		}
	}
}

// announce has node sender publish the next round's announcement and waits until every
// other node has received it; it fails tb if one has not within timeout, or if anything
// else arrives meanwhile. It returns the latency of each delivery.
func (s *relaySwarm) announce(tb testing.TB, sender int, timeout time.Duration) []time.Duration {
	tb.Helper()
	r := s.round.Add(1)
	author, err := Address(s.hosts[sender].ID())
	if err != nil {
		tb.Fatal(err)
	}
	var rb [8]byte
	binary.BigEndian.PutUint64(rb[:], r)
	seed, questions := sha256.Sum256(rb[:]), sha256.Sum256(append([]byte("questions"), rb[:]...))
	body := announcement{Round: r, Seed: hex.EncodeToString(seed[:]), Questions: hex.EncodeToString(questions[:])}
	body.SentNS = int64(time.Since(s.start))
	if err := s.gs[sender].Publish(context.Background(), r, "round", body); err != nil {
		tb.Fatalf("node %d announcing round %d: %v", sender, r, err)
	}
	got := make([]bool, len(s.gs))
	got[sender] = true
	var latencies []time.Duration
	expire := time.After(timeout)
	for len(latencies) < len(s.gs)-1 {
		select {
		case d := <-s.delivered:
			switch {
			case d.author != author.Hex() || d.round != r:
				tb.Fatalf("node %d delivered round %d from %s while node %d's round %d was out", d.node, d.round, d.author, sender, r)
			case got[d.node]:
				tb.Fatalf("node %d delivered round %d twice", d.node, r)
			case d.latency < 0:
				tb.Fatalf("node %d delivered round %d with a body that does not decode", d.node, r)
			}
			got[d.node] = true
			latencies = append(latencies, d.latency)
		case <-expire:
			var missing []string
			for i, ok := range got {
				if !ok {
					missing = append(missing, fmt.Sprint(i))
				}
			}
			tb.Fatalf("round %d from node %d: nodes %s did not receive it within %v", r, sender, strings.Join(missing, ", "), timeout)
		}
	}
	return latencies
}

// Every message, whichever node publishes it, reaches the seven others, three of them
// only through relays.
func TestGossipReachesAllEightNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts eight nodes and waits for their mesh (about 3 s)")
	}
	s := newRelaySwarm(t, 8)
	for i := range 2 * len(s.gs) {
		s.announce(t, i%len(s.gs), 5*time.Second)
	}
	for i, h := range s.hosts {
		if conns := len(h.Network().Peers()); conns != 4 {
			t.Errorf("node %d is connected to %d nodes, not its 4 neighbours: the messages were not all relayed", i, conns)
		}
	}
}

// BenchmarkGossipLatency measures, on eight nodes on loopback, the time from Publish to
// Next for every (message, receiving node) pair: each iteration is one round announcement
// from the next node in turn, received by the seven others. The next goes out only once
// every node has the last, so the window of rounds stays two wide and no node's validator
// or score ever refuses one.
func BenchmarkGossipLatency(b *testing.B) {
	const n = 8
	s := newRelaySwarm(b, n)
	var latencies []time.Duration
	for i := 0; b.Loop(); i++ {
		latencies = append(latencies, s.announce(b, i%n, 10*time.Second)...)
	}
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		k := max(int(math.Ceil(q*float64(len(latencies))))-1, 0)
		return float64(latencies[k]) / float64(time.Millisecond)
	}
	p50, p99 := ms(0.50), ms(0.99)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
	b.Logf("gossip latency across %d nodes on loopback: p50 %.2f ms, p99 %.2f ms over %d deliveries (target: p99 under 20 ms)", n, p50, p99, len(latencies))
}
