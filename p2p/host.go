package p2p

import (
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// Config configures a node's libp2p host.
type Config struct {
	Key    *ecdsa.PrivateKey // the node key: peer ID and Ethereum address
	Listen []string          // multiaddrs to listen on
	Limits Limits
	// The connection manager trims connections to ConnsLow once there are more than
	// ConnsHigh, sparing those younger than ConnsGrace.
	ConnsLow, ConnsHigh int
	ConnsGrace          time.Duration
	NATPortMap          bool // ask the router to forward a port (UPnP, NAT-PMP); off by default
}

// Limits are the resource manager's limits, explicit rather than scaled from the
// machine's memory: what any one peer, and all of them together, may cost this node.
type Limits struct {
	MemoryBytes    int64 // all of libp2p's buffers
	Conns          int   // connections in all
	ConnsPerPeer   int
	Streams        int // streams in all
	StreamsPerPeer int
	FDs            int // file descriptors libp2p may hold
}

// DefaultConfig listens on every interface on port 4001 (TCP and QUIC), with limits for
// a node on a home machine.
func DefaultConfig(key *ecdsa.PrivateKey) Config {
	return Config{
		Key:        key,
		Listen:     []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"},
		Limits:     Limits{MemoryBytes: 256 << 20, Conns: 256, ConnsPerPeer: 4, Streams: 2048, StreamsPerPeer: 64, FDs: 512},
		ConnsLow:   64,
		ConnsHigh:  192,
		ConnsGrace: 30 * time.Second,
	}
}

// NewHost starts a libp2p host for cfg: TCP and QUIC, Noise, yamux, the resource manager
// with cfg.Limits, the connection manager, no relay, and NAT port mapping only if asked.
func NewHost(cfg Config) (host.Host, error) {
	priv, err := PrivKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	rm, err := resourceManager(cfg.Limits)
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(cfg.ConnsLow, cfg.ConnsHigh, connmgr.WithGracePeriod(cfg.ConnsGrace))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings(cfg.Listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.UserAgent("lockstep"),
	}
	if cfg.NATPortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		rm.Close()
		return nil, fmt.Errorf("starting the libp2p host: %w", err)
	}
	return h, nil
}

func resourceManager(l Limits) (network.ResourceManager, error) {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	base := scaling.AutoScale()
	lim := func(n int) rcmgr.LimitVal { return rcmgr.LimitVal(n) }
	cfg := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Memory: rcmgr.LimitVal64(l.MemoryBytes), Conns: lim(l.Conns), ConnsInbound: lim(l.Conns), ConnsOutbound: lim(l.Conns),
			Streams: lim(l.Streams), StreamsInbound: lim(l.Streams), StreamsOutbound: lim(l.Streams), FD: lim(l.FDs),
		},
		Transient: rcmgr.ResourceLimits{
			Memory: rcmgr.LimitVal64(l.MemoryBytes / 8), Conns: lim(l.Conns / 4), ConnsInbound: lim(l.Conns / 4), ConnsOutbound: lim(l.Conns / 4),
			Streams: lim(l.Streams / 4), StreamsInbound: lim(l.Streams / 4), StreamsOutbound: lim(l.Streams / 4), FD: lim(l.FDs / 4),
		},
		PeerDefault: rcmgr.ResourceLimits{
			Memory: rcmgr.LimitVal64(l.MemoryBytes / 16), Conns: lim(l.ConnsPerPeer), ConnsInbound: lim(l.ConnsPerPeer), ConnsOutbound: lim(l.ConnsPerPeer),
			Streams: lim(l.StreamsPerPeer), StreamsInbound: lim(l.StreamsPerPeer), StreamsOutbound: lim(l.StreamsPerPeer), FD: lim(l.ConnsPerPeer),
		},
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(cfg.Build(base)), rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	return rm, nil
}
