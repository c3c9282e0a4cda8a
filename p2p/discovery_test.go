package p2p

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
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
