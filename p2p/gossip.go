package p2p

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Gossip carries a swarm's small messages (step commitments, round announcements, update
// manifests) over gossipsub. Every message is signed by its author's node key (strict
// signing), and a validator refuses, before anything is relayed, a message that is
// oversized or malformed, of another schema version or swarm, of a round outside the
// window, of an author other than its signer, or a replay. Peer scoring counts every
// refusal against the peer that sent it, so a peer that keeps sending them is dropped
// from the mesh and then ignored.

// Message is the envelope every swarm topic carries, as JSON.
type Message struct {
	V      int             `json:"v"` // schema version: SchemaVersion
	Swarm  string          `json:"swarm"`
	Round  uint64          `json:"round"`
	Kind   string          `json:"kind"`   // one of Kinds
	Author string          `json:"author"` // the Ethereum address of the node that signed it
	Seq    uint64          `json:"seq"`    // unique per author: its publish time in ns
	Body   json.RawMessage `json:"body"`
}

const (
	// SchemaVersion is the version of Message this node speaks.
	SchemaVersion = 1
	// MaxMessageBytes caps a gossiped message: they are small by design (bulk data goes
	// over streams).
	MaxMessageBytes = 16 << 10
)

// Kinds are the kinds of message a swarm topic carries: a member's update ("update"), a
// round's manifest ("manifest"), a state root after a round ("commit"), a referee's
// ruling ("ruling"), round announcements ("round"), and an RL member's rollouts
// ("rollouts"). Each swarm checks the bodies of the kinds it uses (SetBodyCheck).
var Kinds = []string{"commit", "round", "manifest", "update", "ruling", "rollouts"}

// Window says which rounds a node accepts messages of now, lo to hi inclusive.
type Window func() (lo, hi uint64)

// Gossip is a node's membership in one swarm's topic.
type Gossip struct {
	h      host.Host
	ps     *pubsub.PubSub
	topic  *pubsub.Topic
	sub    *pubsub.Subscription
	swarm  string
	window Window

	mu     sync.Mutex
	body   func(Message) error // the swarm's check of a message's body (SetBodyCheck)
	banned map[string]bool     // authors ruled against: their messages are ignored
	seen   map[seenKey]uint64  // (author, seq) -> round, for refusing replays
	scores map[peer.ID]float64
	lastSq uint64
}

type seenKey struct {
	author string
	seq    uint64
}

// TopicName is the topic of a swarm's messages.
func TopicName(swarm string) string { return "/lockstep/swarm/" + swarm + "/v1" }

// JoinSwarm starts gossipsub on h (one per host) and joins swarm's topic, accepting
// messages of the rounds window gives.
func JoinSwarm(ctx context.Context, h host.Host, swarm string, window Window) (*Gossip, error) {
	if swarm == "" || strings.ContainsAny(swarm, "/ ") {
		return nil, fmt.Errorf("swarm name %q: must be non-empty, without '/' or spaces", swarm)
	}
	g := &Gossip{h: h, swarm: swarm, window: window, seen: map[seenKey]uint64{}, scores: map[peer.ID]float64{}, banned: map[string]bool{}}
	topic := TopicName(swarm)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithMaxMessageSize(MaxMessageBytes+1024), // the envelope's signature and fields besides
		pubsub.WithPeerScore(scoreParams(topic), scoreThresholds()),
		pubsub.WithPeerScoreInspect(func(s map[peer.ID]float64) {
			g.mu.Lock()
			g.scores = s
			g.mu.Unlock()
		}, 200*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("gossipsub: %w", err)
	}
	if err := ps.RegisterTopicValidator(topic, g.validate); err != nil {
		return nil, err
	}
	if g.topic, err = ps.Join(topic); err != nil {
		return nil, err
	}
	if g.sub, err = g.topic.Subscribe(); err != nil {
		return nil, err
	}
	g.ps = ps
	return g, nil
}

func scoreParams(topic string) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		AppSpecificScore:     func(peer.ID) float64 { return 0 },
		DecayInterval:        time.Second,
		DecayToZero:          0.01,
		RetainScore:          10 * time.Minute,
		Topics: map[string]*pubsub.TopicScoreParams{topic: {
			SkipAtomicValidation:           true,
			TopicWeight:                    1,
			TimeInMeshWeight:               0.01,
			TimeInMeshQuantum:              time.Second,
			TimeInMeshCap:                  100,
			FirstMessageDeliveriesWeight:   1,
			FirstMessageDeliveriesDecay:    0.9,
			FirstMessageDeliveriesCap:      20,
			InvalidMessageDeliveriesWeight: -100, // squared: two invalid messages outweigh any good record
			InvalidMessageDeliveriesDecay:  0.99,
		}},
	}
}

func scoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{GossipThreshold: -100, PublishThreshold: -200, GraylistThreshold: -400, AcceptPXThreshold: 10, OpportunisticGraftThreshold: 5}
}

// validate is the topic validator: every message, ours included, passes it before it is
// delivered or relayed.
func (g *Gossip) validate(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
	m, err := g.check(msg)
	if err != nil {
		return pubsub.ValidationReject
	}
	g.mu.Lock()
	banned, body := g.banned[strings.ToLower(m.Author)], g.body
	g.mu.Unlock()
	if banned {
		// Ignored, not rejected: the peers that relay it did nothing wrong.
		return pubsub.ValidationIgnore
	}
	if body != nil && body(m) != nil {
		return pubsub.ValidationReject
	}
	return pubsub.ValidationAccept
}

// SetBodyCheck makes f check the body of every message (by its kind) before it is
// accepted; a message it refuses counts against the peer that sent it.
func (g *Gossip) SetBodyCheck(f func(Message) error) {
	g.mu.Lock()
	g.body = f
	g.mu.Unlock()
}

// Ban ignores every message authored by author from now on (a node ruled against), and
// drops its peer from the mesh.
func (g *Gossip) Ban(author common.Address, p peer.ID) {
	g.mu.Lock()
	g.banned[strings.ToLower(author.Hex())] = true
	g.mu.Unlock()
	if p != "" {
		g.ps.BlacklistPeer(p)
	}
}

// check decodes and checks a message, and records it as seen.
func (g *Gossip) check(msg *pubsub.Message) (Message, error) {
	var m Message
	if len(msg.Data) > MaxMessageBytes {
		return m, fmt.Errorf("%d bytes, over %d", len(msg.Data), MaxMessageBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(msg.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("malformed: %v", err)
	}
	if m.V != SchemaVersion {
		return m, fmt.Errorf("schema version %d, this node speaks %d", m.V, SchemaVersion)
	}
	if m.Swarm != g.swarm {
		return m, fmt.Errorf("swarm %q on %q's topic", m.Swarm, g.swarm)
	}
	known := false
	for _, k := range Kinds {
		known = known || m.Kind == k
	}
	if !known {
		return m, fmt.Errorf("unknown kind %q", m.Kind)
	}
	signer, err := Address(msg.GetFrom())
	if err != nil {
		return m, err
	}
	if !strings.EqualFold(m.Author, signer.Hex()) {
		return m, fmt.Errorf("author %s, signed by %s", m.Author, signer.Hex())
	}
	lo, hi := g.window()
	if m.Round < lo || m.Round > hi {
		return m, fmt.Errorf("round %d outside %d-%d", m.Round, lo, hi)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	k := seenKey{strings.ToLower(m.Author), m.Seq}
	if _, dup := g.seen[k]; dup {
		return m, errors.New("replayed")
	}
	g.seen[k] = m.Round
	for s, r := range g.seen { // forget what no longer fits the window
		if r < lo {
			delete(g.seen, s)
		}
	}
	return m, nil
}

// Publish signs and sends a message of kind for round with body (JSON) to the swarm.
func (g *Gossip) Publish(ctx context.Context, round uint64, kind string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	me, err := Address(g.h.ID())
	if err != nil {
		return err
	}
	g.mu.Lock()
	seq := max(uint64(time.Now().UnixNano()), g.lastSq+1)
	g.lastSq = seq
	g.mu.Unlock()
	data, err := json.Marshal(Message{V: SchemaVersion, Swarm: g.swarm, Round: round, Kind: kind, Author: me.Hex(), Seq: seq, Body: b})
	if err != nil {
		return err
	}
	if len(data) > MaxMessageBytes {
		return fmt.Errorf("a %s message of %d bytes is over the gossip limit of %d: send bulk data over streams", kind, len(data), MaxMessageBytes)
	}
	return g.topic.Publish(ctx, data)
}

// Next returns the next message the validator accepted (the node's own included), and
// the peer that signed it.
func (g *Gossip) Next(ctx context.Context) (Message, peer.ID, error) {
	msg, err := g.sub.Next(ctx)
	if err != nil {
		return Message{}, "", err
	}
	var m Message
	if err := json.Unmarshal(msg.Data, &m); err != nil {
		return Message{}, "", fmt.Errorf("BUG: a validated message does not decode: %v", err)
	}
	return m, msg.GetFrom(), nil
}

// Peers are the peers this node knows to be subscribed to the swarm's topic.
func (g *Gossip) Peers() []peer.ID { return g.topic.ListPeers() }

// Score is a peer's gossipsub score as last inspected (0 for a peer not yet scored).
func (g *Gossip) Score(p peer.ID) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.scores[p]
}

// Close leaves the swarm.
func (g *Gossip) Close() {
	g.sub.Cancel()
	g.topic.Close()
}
