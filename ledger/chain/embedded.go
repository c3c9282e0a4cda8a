package chain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
)

// EmbeddedOptions configure an embedded chain.
type EmbeddedOptions struct {
	// Serve, if set, serves the chain's JSON-RPC over HTTP on this host:port (loopback
	// only), so that other processes reach it with --chain-rpc.
	Serve string
	// Idle is how often a block is sealed when no transaction is waiting, so that
	// deadlines counted in blocks pass (default 2 s; a negative value seals only on
	// demand, for tests that call Seal).
	Idle time.Duration
}

// Embedded is a chain inside the node process: go-ethereum's own node, Ethereum service
// and simulated beacon, as its simulated backend uses them, but keeping its database in
// a directory so that a restart finds the chain as it was. Blocks are sealed as soon as a
// transaction is waiting, and every Idle otherwise. Its genesis is geth --dev's, with
// the development faucet (DevKey) funded, but mainnet's rules (up to Osaka), and its
// chain ID is DevChainID.
type Embedded struct {
	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	client *ethclient.Client
	url    string

	mu      sync.Mutex // serializes sealing
	stop    chan struct{}
	stopped sync.WaitGroup
}

// DevGasLimit is the block gas limit of the embedded chain: mainnet's in 2026.
const DevGasLimit = 60_000_000

// OpenEmbedded opens (or creates) the embedded chain kept in dir.
func OpenEmbedded(dir string, o EmbeddedOptions) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chain data dir: %w", err)
	}
	nc := node.DefaultConfig
	nc.Name = "chain"
	nc.DataDir = dir
	nc.IPCPath = ""
	nc.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	nc.HTTPHost, nc.HTTPPort = "", 0
	if o.Serve != "" {
		host, port, err := net.SplitHostPort(o.Serve)
		if err != nil {
			return nil, fmt.Errorf("--chain-serve %s: %w", o.Serve, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("--chain-serve %s: the embedded chain is served on loopback only (it takes the faucet's transactions from anyone)", o.Serve)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("--chain-serve %s: port: %w", o.Serve, err)
		}
		nc.HTTPHost, nc.HTTPPort = host, p
		nc.HTTPModules = []string{"eth", "net", "web3"}
		nc.HTTPVirtualHosts = []string{"*"}
	}
	stack, err := node.New(&nc)
	if err != nil {
		return nil, fmt.Errorf("embedded chain in %s: %w", dir, err)
	}
	faucet := DevAddress()
	ec := ethconfig.Defaults
	ec.Genesis = core.DeveloperGenesisBlock(DevGasLimit, &faucet)
	// Mainnet's rules (up to Osaka), not every fork geth --dev enables: the gas the
	// embedded chain charges is then what an operation costs on Ethereum today.
	rules := *ec.Genesis.Config
	rules.AmsterdamTime, rules.BogotaTime, rules.UBTTime = nil, nil, nil
	ec.Genesis.Config = &rules
	ec.NetworkId = DevChainID
	ec.SyncMode = ethconfig.FullSync
	ec.TxPool.NoLocals = true
	// Archive mode with the hash scheme writes each block's state as it is sealed, so a
	// killed process loses no sealed block.
	ec.StateScheme = rawdb.HashScheme
	ec.NoPruning = true
	ec.DatabaseCache, ec.TrieCleanCache, ec.TrieDirtyCache, ec.SnapshotCache = 32, 16, 16, 0
	ec.Miner.GasCeil = DevGasLimit
	backend, err := eth.New(stack, &ec)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("embedded chain in %s: %w", dir, err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}})
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("embedded chain: %w", err)
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, faucet, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("embedded chain: %w", err)
	}
	e := &Embedded{stack: stack, eth: backend, beacon: beacon, client: ethclient.NewClient(stack.Attach()), stop: make(chan struct{})}
	if o.Serve != "" {
		e.url = stack.HTTPEndpoint()
	}
	idle := o.Idle
	if idle == 0 {
		idle = 2 * time.Second
	}
	e.stopped.Add(1)
	go e.seal(idle)
	return e, nil
}

// Client is a client of the chain, in process.
func (e *Embedded) Client() *Client { return &Client{e.client, e} }

// Client is the embedded chain's client. It sends a transaction only once the pool has
// taken up the newest block: a receipt is readable as soon as its block is inserted, and
// a transaction sent on reading it would otherwise be judged by the state before (an
// account funded in that block would seem empty).
type Client struct {
	*ethclient.Client
	e *Embedded
}

func (c *Client) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	c.e.mu.Lock()
	c.e.mu.Unlock()
	return c.Client.SendTransaction(ctx, tx)
}

// URL is where the chain's JSON-RPC is served ("" when it is not).
func (e *Embedded) URL() string { return e.url }

// Seal seals a block now (with whatever transactions are waiting).
func (e *Embedded) Seal() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.beacon.Commit()
	e.eth.TxPool().Sync() // see Client

}

// pending reports whether a transaction waits for a block.
func (e *Embedded) pending() bool {
	p, _ := e.eth.TxPool().Pending(txpool.PendingFilter{})
	return len(p) > 0
}

// MinBlockTime is the least time between the embedded chain's blocks, when it seals
// them itself: deadlines are counted in blocks, and a chain that sealed a block per
// transaction at any rate would let anyone who sends transactions run a deadline out.
const MinBlockTime = 200 * time.Millisecond

// seal seals a block whenever a transaction waits (checked every MinBlockTime) and
// every idle otherwise.
func (e *Embedded) seal(idle time.Duration) {
	defer e.stopped.Done()
	tick := time.NewTicker(MinBlockTime)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
		}
		if e.pending() || (idle > 0 && time.Since(last) >= idle) {
			e.Seal()
			last = time.Now()
		}
	}
}

// Close stops sealing and closes the chain, writing its state to disk.
func (e *Embedded) Close() error {
	close(e.stop)
	e.stopped.Wait()
	e.client.Close()
	return errors.Join(e.beacon.Stop(), e.stack.Close())
}

// BlockNumber is the number of the newest block.
func (e *Embedded) BlockNumber(ctx context.Context) (uint64, error) { return e.client.BlockNumber(ctx) }

// DataDir is where a node keeps its embedded chain: dir/chain.
func DataDir(dir string) string { return filepath.Join(dir, "chain") }
