package p2p

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Nodes that know only a bootstrap node find each other through the DHT: one learns the
// address of another it has never been connected to, and reaches it.
func TestDiscoveryThroughTheDHT(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	boot := loopbackHost(t, newKey(t), nil)
	d0, err := StartDiscovery(ctx, boot, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d0.Close()
	infos, err := ParseBootstrap([]string{boot.Addrs()[0].String() + "/p2p/" + boot.ID().String()})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []host.Host
	var ds []*Discovery
	for range 5 {
		h := loopbackHost(t, newKey(t), nil)
		d, err := StartDiscovery(ctx, h, infos, true)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		nodes, ds = append(nodes, h), append(ds, d)
	}
	first, last := nodes[0], nodes[len(nodes)-1]
	if len(first.Network().ConnsToPeer(last.ID())) > 0 {
		t.Fatal("the two nodes are connected already")
	}
	var found peer.AddrInfo
	for deadline := time.Now().Add(30 * time.Second); len(found.Addrs) == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the DHT never gave %s's addresses (routing table of %d)", last.ID(), ds[0].RoutingTableSize())
		}
		found, _ = ds[0].FindPeer(ctx, last.ID())
	}
	first.Network().ClosePeer(last.ID())
	first.Peerstore().ClearAddrs(last.ID())
	if err := first.Connect(ctx, found); err != nil {
		t.Fatalf("connecting to the addresses the DHT gave (%v): %v", found.Addrs, err)
	}
}

// A bootstrap address must name its peer; no answering bootstrap peer is an error.
func TestBootstrapAddresses(t *testing.T) {
	for _, bad := range []string{"not an address", "/ip4/127.0.0.1/tcp/4001"} {
		if _, err := ParseBootstrap([]string{bad}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	h := loopbackHost(t, newKey(t), nil)
	gone := loopbackHost(t, newKey(t), nil)
	info := peer.AddrInfo{ID: gone.ID()}
	for _, a := range gone.Addrs() { // TCP: a closed port answers at once
		if strings.Contains(a.String(), "/tcp/") {
			info.Addrs = append(info.Addrs, a)
		}
	}
	gone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := StartDiscovery(ctx, h, []peer.AddrInfo{info}, true); err == nil || !strings.Contains(err.Error(), "no bootstrap peer answered") {
		t.Errorf("a bootstrap peer that is gone: %v", err)
	}
}

// Two nodes with mDNS under one service find each other and connect, without being told
// any address. mDNS needs multicast, which a machine may not give (a container without a
// multicast interface): then the test is skipped, not failed.
func TestMDNSDiscovery(t *testing.T) {
	if os.Getenv("LOCKSTEP_TEST_MDNS") == "" {
		// The hosts listen on 127.0.0.1, but mDNS multicasts on the first interface that
		// has multicast (loopback has none), and go-libp2p cannot choose it: the tests
		// stay on loopback unless asked.
		t.Skip("mDNS multicasts beyond loopback; set LOCKSTEP_TEST_MDNS=1 to run this test")
	}
	a, b := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	service := MDNSService("test-" + a.ID().String()) // no other run's nodes
	for _, h := range []host.Host{a, b} {
		m, err := StartMDNS(h, service)
		if err != nil {
			t.Skipf("mDNS multicast is not available here: %v", err)
		}
		defer m.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Network().Connectedness(b.ID()) != network.Connected || b.Network().Connectedness(a.ID()) != network.Connected {
		if time.Now().After(deadline) {
			t.Skip("mDNS multicast is not available here: the two nodes did not find each other in 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range a.Network().ConnsToPeer(b.ID()) { // the addresses b announced
		if !strings.HasPrefix(c.RemoteMultiaddr().String(), "/ip4/127.0.0.1/") {
			t.Errorf("connected to %s, not an address b listens on", c.RemoteMultiaddr())
		}
		t.Logf("found over mDNS, connected to %s", c.RemoteMultiaddr())
	}
	if _, err := StartMDNS(a, ""); err == nil {
		t.Error("an empty service name was taken")
	}
}
