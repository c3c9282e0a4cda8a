package p2p

import (
	"context"
	"crypto/ecdsa"
	"io"
	"strings"
	"testing"
	"time"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ethcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// loopbackHost starts a host on 127.0.0.1 (TCP and QUIC, ports chosen by the system).
func loopbackHost(t testing.TB, key *ecdsa.PrivateKey, limits func(*Limits)) host.Host {
	t.Helper()
	cfg := DefaultConfig(key)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	if limits != nil {
		limits(&cfg.Limits)
	}
	h, err := NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for _, a := range h.Addrs() {
		if !strings.HasPrefix(a.String(), "/ip4/127.0.0.1/") {
			t.Fatalf("listening on %s, not loopback only", a)
		}
	}
	return h
}

// One key, one identity: the peer ID carries the key, and the address read from it is
// the key's Ethereum address. A peer with another kind of key has none.
func TestPeerIDIsTheAddress(t *testing.T) {
	for range 20 {
		key := newKey(t)
		id, err := PeerID(key)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := Address(id)
		if err != nil || addr != ethcrypto.PubkeyToAddress(key.PublicKey) {
			t.Fatalf("peer %s: address %s (%v), the key's %s", id, addr, err, ethcrypto.PubkeyToAddress(key.PublicKey))
		}
	}
	_, pub, _ := crypto.GenerateEd25519Key(nil)
	ed, _ := peer.IDFromPublicKey(pub)
	if _, err := Address(ed); err == nil || !strings.Contains(err.Error(), "not secp256k1") {
		t.Errorf("an ed25519 peer: %v", err)
	}
}

// Two nodes on loopback reach each other over TCP and over QUIC, encrypted with Noise
// (TCP) or QUIC's own TLS, and each sees the other's Ethereum address in its peer ID.
func TestHostsConnectOverTCPAndQUIC(t *testing.T) {
	ka, kb := newKey(t), newKey(t)
	a, b := loopbackHost(t, ka, nil), loopbackHost(t, kb, nil)
	for _, proto := range []string{"/tcp/", "/quic-v1"} {
		t.Run(strings.Trim(proto, "/"), func(t *testing.T) {
			var addrs []ma.Multiaddr
			for _, m := range b.Addrs() {
				if strings.Contains(m.String(), proto) {
					addrs = append(addrs, m)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a.Network().ClosePeer(b.ID())
			if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: addrs}); err != nil {
				t.Fatal(err)
			}
			conns := a.Network().ConnsToPeer(b.ID())
			if len(conns) == 0 {
				t.Fatal("no connection")
			}
			c := conns[0]
			if !strings.Contains(c.RemoteMultiaddr().String(), proto) {
				t.Errorf("connected over %s, not %s", c.RemoteMultiaddr(), proto)
			}
			if st := c.ConnState(); proto == "/tcp/" && (st.Security != "/noise" || st.StreamMultiplexer != "/yamux/1.0.0") {
				t.Errorf("TCP connection secured by %q, multiplexed by %q", st.Security, st.StreamMultiplexer)
			}
			if got, err := Address(c.RemotePeer()); err != nil || got != ethcrypto.PubkeyToAddress(kb.PublicKey) {
				t.Errorf("the remote's address %s (%v), want %s", got, err, ethcrypto.PubkeyToAddress(kb.PublicKey))
			}
		})
	}
}

// The resource manager's per-peer stream limit holds: a peer that opens more streams
// than it allows gets the extra ones refused, and the node keeps serving the others.
func TestStreamsPerPeerAreLimited(t *testing.T) {
	const perPeer = 4
	server := loopbackHost(t, newKey(t), func(l *Limits) { l.StreamsPerPeer = perPeer })
	client := loopbackHost(t, newKey(t), nil)
	const proto = "/lockstep/test/hold/1"
	server.SetStreamHandler(proto, func(s network.Stream) {
		io.Copy(io.Discard, s) // hold it open until the client closes it
		s.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := client.Connect(ctx, peer.AddrInfo{ID: server.ID(), Addrs: server.Addrs()}); err != nil {
		t.Fatal(err)
	}
	opened, refused := 0, 0
	var streams []network.Stream
	for i := 0; i < perPeer+4; i++ {
		s, err := client.NewStream(ctx, server.ID(), proto)
		if err == nil {
			// The server accepts or resets a stream when it reads the protocol header.
			s.SetDeadline(time.Now().Add(time.Second))
			_, err = s.Write([]byte("hello"))
			if err == nil {
				_, err = s.Read(make([]byte, 1)) // blocks until reset (refused) or deadline (held)
				if err != nil && strings.Contains(err.Error(), "deadline") {
					err = nil
				}
			}
		}
		if err != nil {
			refused++
			continue
		}
		opened++
		streams = append(streams, s)
	}
	t.Logf("%d streams held, %d refused", opened, refused)
	if opened > perPeer || refused == 0 {
		t.Errorf("%d streams held, %d refused, with a limit of %d per peer", opened, refused, perPeer)
	}
	for _, s := range streams {
		s.Close()
	}
}
