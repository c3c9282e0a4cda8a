package p2p

import (
	"context"
	"errors"
	"fmt"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Discovery finds where peers are: a node joins through bootstrap addresses, then asks a
// Kademlia DHT of Lockstep nodes (its protocols under /lockstep, apart from the IPFS DHT)
// for a peer's addresses. The DHT does peer routing only: it stores no values and no
// provider records, so nothing unsigned in it can say who is in a swarm. Membership comes
// from signed gossip.
type Discovery struct {
	dht *dht.IpfsDHT
}

// DHTPrefix is the protocol prefix of Lockstep's DHT.
const DHTPrefix = "/lockstep"

// ParseBootstrap parses bootstrap multiaddrs, each ending in /p2p/PEER-ID.
func ParseBootstrap(addrs []string) ([]peer.AddrInfo, error) {
	var infos []peer.AddrInfo
	for _, s := range addrs {
		m, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("bootstrap address %q: %w", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(m)
		if err != nil {
			return nil, fmt.Errorf("bootstrap address %q: %w (it must end in /p2p/PEER-ID: lockstep id prints a node's)", s, err)
		}
		infos = append(infos, *info)
	}
	return infos, nil
}

// StartDiscovery starts the DHT on h and joins it through bootstrap (none: this node is
// the first). server makes the node answer DHT queries whatever its addresses look like
// (a node on loopback or a private network would otherwise stay a client). At least one
// bootstrap peer must answer.
func StartDiscovery(ctx context.Context, h host.Host, bootstrap []peer.AddrInfo, server bool) (*Discovery, error) {
	mode := dht.ModeAuto
	if server {
		mode = dht.ModeServer
	}
	d, err := dht.New(h, dht.ProtocolPrefix(DHTPrefix), dht.Mode(mode), dht.DisableValues(), dht.DisableProviders(), dht.BootstrapPeers(bootstrap...))
	if err != nil {
		return nil, fmt.Errorf("starting the DHT: %w", err)
	}
	var errs []error
	for _, b := range bootstrap {
		if err := h.Connect(ctx, b); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.ID, err))
		}
	}
	if len(bootstrap) > 0 && len(errs) == len(bootstrap) {
		d.Close()
		return nil, fmt.Errorf("no bootstrap peer answered: %w", errors.Join(errs...))
	}
	if err := d.Bootstrap(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return &Discovery{dht: d}, nil
}

// FindPeer asks the DHT where a peer is.
func (d *Discovery) FindPeer(ctx context.Context, id peer.ID) (peer.AddrInfo, error) {
	return d.dht.FindPeer(ctx, id)
}

// RoutingTableSize is how many peers the node's DHT routing table holds.
func (d *Discovery) RoutingTableSize() int { return d.dht.RoutingTable().Size() }

// Close stops the DHT.
func (d *Discovery) Close() error { return d.dht.Close() }
