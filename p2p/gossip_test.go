package p2p

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

func connect(t testing.TB, a, b host.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

func rounds(lo, hi uint64) Window { return func() (uint64, uint64) { return lo, hi } }

// receive collects what g's subscription delivers for d.
func receive(g *Gossip, d time.Duration) []Message {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got []Message
	for {
		m, _, err := g.Next(ctx)
		if err != nil {
			return got
		}
		got = append(got, m)
	}
}

// A message published by one node reaches a node it is not connected to, through a third,
// with its author and body intact.
func TestGossipReachesTheSwarm(t *testing.T) {
	var nodes []host.Host
	var gs []*Gossip
	for range 3 {
		h := loopbackHost(t, newKey(t), nil)
		g, err := JoinSwarm(context.Background(), h, "test", rounds(0, 10))
		if err != nil {
			t.Fatal(err)
		}
		nodes, gs = append(nodes, h), append(gs, g)
	}
	connect(t, nodes[0], nodes[1])
	connect(t, nodes[1], nodes[2])
	time.Sleep(time.Second) // meshes form on the heartbeat
	if err := gs[0].Publish(context.Background(), 3, "commit", map[string]string{"root": "ab12"}); err != nil {
		t.Fatal(err)
	}
	got := receive(gs[2], 3*time.Second)
	author, _ := Address(nodes[0].ID())
	if len(got) != 1 || got[0].Author != author.Hex() || got[0].Round != 3 || string(got[0].Body) != `{"root":"ab12"}` {
		t.Fatalf("the far node got %+v", got)
	}
}

// Every kind of bad message a peer can send is refused by the validator (never delivered
// or relayed), and the peer's score falls for it.
func TestGossipRefusesBadMessages(t *testing.T) {
	honestHost := loopbackHost(t, newKey(t), nil)
	honest, err := JoinSwarm(context.Background(), honestHost, "test", rounds(5, 10))
	if err != nil {
		t.Fatal(err)
	}
	topic := TopicName("test")
	// The attacker speaks raw gossipsub on the same topic, without the validator: one
	// router that signs, one that does not.
	attacker := func(policy pubsub.MessageSignaturePolicy) (host.Host, *pubsub.Topic) {
		h := loopbackHost(t, newKey(t), nil)
		ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMessageSignaturePolicy(policy))
		if err != nil {
			t.Fatal(err)
		}
		tp, err := ps.Join(topic)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tp.Subscribe(); err != nil {
			t.Fatal(err)
		}
		connect(t, h, honestHost)
		return h, tp
	}
	mallory, signed := attacker(pubsub.StrictSign)
	eve, unsigned := attacker(pubsub.StrictNoSign)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		peers := honest.ps.ListPeers(topic)
		if slices.Contains(peers, mallory.ID()) && slices.Contains(peers, eve.ID()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attackers never joined the topic (%v)", peers)
		}
	}

	me, _ := Address(mallory.ID())
	other, _ := Address(honestHost.ID())
	envelope := func(mod func(*Message)) []byte {
		m := Message{V: SchemaVersion, Swarm: "test", Round: 7, Kind: "commit", Author: me.Hex(), Seq: 1, Body: json.RawMessage(`{}`)}
		mod(&m)
		b, _ := json.Marshal(m)
		return b
	}
	// The valid message goes first: once the refusals have sunk the attacker's score, the
	// honest node ignores whatever else it sends.
	valid := envelope(func(m *Message) { m.Seq = 42 })
	ctx := context.Background()
	if err := signed.Publish(ctx, valid); err != nil {
		t.Fatal(err)
	}
	if got := receive(honest, 5*time.Second); len(got) != 1 || got[0].Seq != 42 {
		t.Fatalf("the valid message: got %+v", got)
	}
	for _, bad := range []struct {
		name string
		data []byte
		via  *pubsub.Topic
	}{
		{"unsigned", envelope(func(m *Message) {}), unsigned},
		{"spoofed author", envelope(func(m *Message) { m.Author = other.Hex(); m.Seq = 2 }), signed},
		{"oversized", envelope(func(m *Message) {
			m.Seq = 3
			m.Body = json.RawMessage(`"` + strings.Repeat("x", MaxMessageBytes) + `"`)
		}), signed},
		{"malformed", []byte(`{"v":1,"swarm":"test",`), signed},
		{"unknown field", []byte(strings.Replace(string(envelope(func(m *Message) { m.Seq = 4 })), `{`, `{"extra":1,`, 1)), signed},
		{"another version", envelope(func(m *Message) { m.V = 2; m.Seq = 5 }), signed},
		{"another swarm", envelope(func(m *Message) { m.Swarm = "other"; m.Seq = 6 }), signed},
		{"round too old", envelope(func(m *Message) { m.Round = 4; m.Seq = 7 }), signed},
		{"round too new", envelope(func(m *Message) { m.Round = 11; m.Seq = 8 }), signed},
		{"unknown kind", envelope(func(m *Message) { m.Kind = "vote"; m.Seq = 9 }), signed},
		{"replayed", valid, signed}, // the valid envelope, published again
	} {
		if err := bad.via.Publish(ctx, bad.data); err != nil {
			t.Fatalf("%s: %v", bad.name, err)
		}
	}
	if got := receive(honest, 3*time.Second); len(got) != 0 {
		t.Errorf("the honest node delivered %d bad messages: %+v", len(got), got)
	}
	if s := honest.Score(mallory.ID()); s >= 0 {
		t.Errorf("the attacker's score is %v after ten refused messages", s)
	}
}
