package p2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
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

// MDNSService is the mDNS service name of a swarm's nodes: one per swarm, so that nodes
// of another swarm on the same network, or other libp2p programs, are not dialed.
func MDNSService(swarm string) string {
	h := sha256.Sum256([]byte(swarm))
	return fmt.Sprintf("_lockstep-%x._udp", h[:4])
}

// mdnsDialTimeout bounds a connection to a peer mDNS found.
const mdnsDialTimeout = 10 * time.Second

// StartMDNS finds peers on the local network with mDNS, an option for nodes on one LAN
// without a bootstrap address, and connects to each one it finds. It announces h's listen
// addresses under service (MDNSService gives a swarm's). Like the DHT, it only says where
// peers are: what a peer may do comes from signed gossip. Close stops it.
func StartMDNS(h host.Host, service string) (io.Closer, error) {
	if service == "" {
		return nil, errors.New("mDNS: no service name")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := mdns.NewMdnsService(h, service, mdnsDialer{ctx: ctx, h: h})
	if err := s.Start(); err != nil {
		cancel()
		s.Close()
		return nil, fmt.Errorf("starting mDNS: %w", err)
	}
	return mdnsDiscovery{s: s, cancel: cancel}, nil
}

// mdnsDialer connects to the peers mDNS finds.
type mdnsDialer struct {
	ctx context.Context // ended by Close
	h   host.Host
}

func (d mdnsDialer) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == d.h.ID() || d.h.Network().Connectedness(info.ID) == network.Connected {
		return
	}
	ctx, cancel := context.WithTimeout(d.ctx, mdnsDialTimeout)
	defer cancel()
	d.h.Connect(ctx, info) // a peer that cannot be reached is announced again
}

type mdnsDiscovery struct {
	s      mdns.Service
	cancel context.CancelFunc
}

func (m mdnsDiscovery) Close() error {
	m.cancel()
	return m.s.Close()
}
