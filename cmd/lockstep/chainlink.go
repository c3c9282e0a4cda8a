package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/chain"
	"github.com/lockstep-ml/lockstep/p2p"
	"github.com/lockstep-ml/lockstep/p2p/swarm"
)

// chainFlags choose the chain a node anchors its swarm on.
type chainFlags struct {
	rpc, contract, serve string
	off                  bool
	stake, reward, pool  string // ether
	quorum               uint8
	vote, answer, rule   uint64 // blocks
}

func (c *chainFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.rpc, "chain-rpc", "", "Ethereum JSON-RPC endpoint of the chain (default: an embedded chain kept in the data dir)")
	fl.StringVar(&c.contract, "chain-contract", "", "address of the Lockstep coordinator contract (default: the development coordinator, deployed where missing on a development chain)")
	fl.StringVar(&c.serve, "chain-serve", "", "serve the embedded chain's JSON-RPC on ADDR (127.0.0.1:PORT), for other nodes' --chain-rpc")
	fl.BoolVar(&c.off, "no-chain", false, "do not use a chain: no registration, commitments or disputes on chain")
	fl.StringVar(&c.stake, "stake", "1", "ether each member stakes in the swarm, and a dispute's least bond (the swarm's on-chain ID covers it, and the flags below: every member must give the same)")
	fl.StringVar(&c.reward, "reward", "0", "ether paid per round to its most-voted member, from the swarm's pool")
	fl.StringVar(&c.pool, "reward-pool", "0", "ether this node puts in the swarm's reward pool when creating it")
	fl.Uint8Var(&c.quorum, "quorum", 1, "the fewest referee signatures that settle a dispute (a ruling also needs more than half of the round's other members)")
	fl.Uint64Var(&c.vote, "vote-blocks", 64, "blocks after a round's first commitment that votes are taken")
	fl.Uint64Var(&c.answer, "answer-blocks", 150, "blocks an accused member has to answer a dispute (30 min of mainnet's 12 s blocks, 30 s at least on the embedded chain)")
	fl.Uint64Var(&c.rule, "rule-blocks", 600, "blocks after that for the referees' ruling")
}

// chainNet is an opened chain: the embedded one, or a JSON-RPC endpoint.
type chainNet struct {
	b        chain.Backend
	contract common.Address
	embedded *chain.Embedded
	rpc      *ethclient.Client
	dev      bool
	desc     string
	flags    *chainFlags
}

// openChainNet opens the chain of c: the embedded chain under dir, or c.rpc. nil when
// the chain is off.
func openChainNet(ctx context.Context, c *chainFlags, dir string) (*chainNet, error) {
	if c.off {
		return nil, nil
	}
	n := &chainNet{flags: c}
	if c.rpc == "" {
		e, err := chain.OpenEmbedded(chain.DataDir(dir), chain.EmbeddedOptions{Serve: c.serve})
		if err != nil {
			return nil, fmt.Errorf("embedded chain: %w (--no-chain runs without one)", err)
		}
		n.embedded, n.b, n.desc = e, e.Client(), "embedded chain in "+chain.DataDir(dir)
		if e.URL() != "" {
			n.desc += ", served on " + e.URL()
		}
	} else {
		if c.serve != "" {
			return nil, fmt.Errorf("--chain-serve serves the embedded chain: not with --chain-rpc")
		}
		cl, err := ethclient.DialContext(ctx, c.rpc)
		if err != nil {
			return nil, fmt.Errorf("--chain-rpc %s: %w", c.rpc, err)
		}
		n.rpc, n.b, n.desc = cl, cl, c.rpc
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	id, err := n.b.ChainID(cctx)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("chain %s: %w", n.desc, err)
	}
	n.dev = id.Uint64() == chain.DevChainID
	switch {
	case c.contract != "":
		if !common.IsHexAddress(c.contract) {
			n.close()
			return nil, fmt.Errorf("--chain-contract %q is not an address", c.contract)
		}
		n.contract = common.HexToAddress(c.contract)
	default:
		if n.contract, err = chain.EnsureDev(cctx, n.b); err != nil {
			n.close()
			return nil, err
		}
	}
	n.desc += fmt.Sprintf(" (chain %s, coordinator %s)", id, n.contract)
	return n, nil
}

func (n *chainNet) close() {
	if n == nil {
		return
	}
	if n.embedded != nil {
		n.embedded.Close()
	}
	if n.rpc != nil {
		n.rpc.Close()
	}
}

// ether parses a decimal amount of ether.
func ether(s string) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return nil, fmt.Errorf("%q is not an amount of ether", s)
	}
	r.Mul(r, new(big.Rat).SetInt(big.NewInt(params.Ether)))
	if !r.IsInt() {
		return nil, fmt.Errorf("%q ether is not a whole number of wei", s)
	}
	return r.Num(), nil
}

// chainLink is one member's link to the chain: its submitter, and the swarm it is in.
type chainLink struct {
	s     *chain.Submitter
	swarm [32]byte
	bond  *big.Int
	done  sync.WaitGroup // the submitter and the watcher
}

// wait waits for the submitter and the watcher to stop (their context ended).
func (l *chainLink) wait() { l.done.Wait() }

// flush waits up to d for the outbox's waiting submissions to reach the chain (a member
// that finished its rounds); what is left waits in the outbox for the next start.
func (l *chainLink) flush(ctx context.Context, d time.Duration) int {
	end := time.Now().Add(d)
	for {
		q := l.s.Status().Queued
		if q == 0 || time.Now().After(end) || ctx.Err() != nil {
			return q
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// swarmSpec is the on-chain description of a member's swarm: its task, data and
// configuration (the swarm's name and mode, and the trainer's tag of its settings).
func swarmSpec(c *chainFlags, wasm []byte, inputs []lshost.Input, mode, name, tag string) (chain.Spec, error) {
	stake, err := ether(c.stake)
	if err != nil {
		return chain.Spec{}, fmt.Errorf("--stake: %w", err)
	}
	reward, err := ether(c.reward)
	if err != nil {
		return chain.Spec{}, fmt.Errorf("--reward: %w", err)
	}
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "%s=%x\n", in.Name, in.Hash)
	}
	return chain.Spec{
		Module: sha256.Sum256(wasm), Data: [32]byte(h.Sum(nil)),
		Config: sha256.Sum256([]byte(strings.Join([]string{"lockstep swarm v1", mode, name, tag}, "|"))),
		Stake:  stake, Reward: reward, VoteBlocks: c.vote, AnswerBlocks: c.answer, RuleBlocks: c.rule, Quorum: c.quorum,
	}, nil
}

// startChainLink links a member to the chain: it funds the member on a development
// chain, queues its registration, the swarm's creation (refused harmlessly where it
// exists) and its joining, and starts the submitter and the watcher. The queue is the
// ledger's outbox, so nothing is lost while the chain is away.
func startChainLink(ctx context.Context, n *chainNet, key *ecdsa.PrivateKey, led *ledger.Ledger, spec chain.Spec, addrs []string, onEvent func(kind, text string)) (*chainLink, error) {
	addr := ledger.Address(key)
	if n.dev {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		bal, err := n.b.BalanceAt(fctx, addr, nil)
		if err == nil && bal.Cmp(new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))) < 0 {
			err = chain.Fund(fctx, n.b, addr, new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether)))
		}
		cancel()
		if err != nil {
			onEvent("warn", fmt.Sprintf("funding this member on the development chain: %v", err))
		}
	}
	c, err := chain.New(ctx, n.b, key, n.contract)
	if err != nil {
		return nil, err
	}
	s := chain.NewSubmitter(c, led, onEvent)
	l := &chainLink{s: s, swarm: chain.SwarmID(spec), bond: spec.Stake}
	pool, err := ether(n.flags.pool)
	if err != nil {
		return nil, fmt.Errorf("--reward-pool: %w", err)
	}
	// What is on chain already is not queued again (a restart); what cannot be read is.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	node, nerr := c.Node(rctx, addr)
	if nerr != nil || node.Registered == 0 || strings.Join(node.Addrs, " ") != strings.Join(addrs, " ") {
		if err := s.Submit("register", chain.RegisterSub{Addrs: addrs, Bootnode: true}); err != nil {
			return nil, err
		}
	}
	sw, serr := c.Swarm(rctx, l.swarm)
	if serr != nil || sw.Created == 0 {
		if err := s.Submit("create", chain.CreateSub{Spec: chain.AsJSON(spec), Pool: pool.String()}); err != nil {
			return nil, err
		}
	}
	m, merr := c.Member(rctx, l.swarm, addr)
	if merr != nil || !m.Active {
		if err := s.Submit("join", chain.JoinSub{Swarm: l.swarm, Stake: spec.Stake.String()}); err != nil {
			return nil, err
		}
	}
	l.done.Add(2)
	go func() { defer l.done.Done(); s.Run(ctx) }()
	go func() { defer l.done.Done(); s.Watch(ctx, l.swarm, 2*time.Second) }()
	return l, nil
}

// act queues what a member's event asks of the chain.
func (l *chainLink) act(ev swarm.Event) error {
	a := ev.Chain
	if a == nil {
		return nil
	}
	switch a.Kind {
	case "commit":
		if err := l.s.Submit("commit", chain.CommitSub{Swarm: l.swarm, Round: ev.Round, Root: a.Root}); err != nil {
			return err
		}
		l.s.Claimable(ev.Round)
		if a.Vote != (common.Address{}) {
			return l.s.Submit("vote", chain.VoteSub{Swarm: l.swarm, Round: ev.Round, Winner: a.Vote})
		}
	case "dispute":
		return l.s.Submit("dispute", chain.DisputeSub{Swarm: l.swarm, Round: ev.Round, Accused: a.Accused, Evidence: a.Evidence, Bond: l.bond.String()})
	case "rule":
		return l.s.Submit("rule", chain.RuleSub{Swarm: l.swarm, Round: ev.Round, Accused: a.Accused, Challenger: a.Challenger, AccusedLost: a.AccusedLost, Ruling: a.Ruling})
	}
	return nil
}

// chainHook passes a member's events to its chain link once it has one.
type chainHook struct{ l atomic.Pointer[chainLink] }

func (h *chainHook) wrap(onEvent func(swarm.Event)) func(swarm.Event) {
	return func(ev swarm.Event) {
		if l := h.l.Load(); l != nil {
			if err := l.act(ev); err != nil {
				onEvent(swarm.Event{Time: time.Now(), Round: ev.Round, Kind: "warn", Text: fmt.Sprintf("queueing for the chain: %v", err)})
			}
		}
		onEvent(ev)
	}
}

// chainShown adds a member's chain status to what is shown of it.
type chainShown struct {
	shown
	l *chainLink
}

func (c chainShown) line(name string) string {
	st := c.l.s.Status()
	s := fmt.Sprintf("%-8s chain: %d mined (%d gas), %d queued", "", st.Submitted, st.Gas, st.Queued)
	if g, ok := st.LastGas["commit"]; ok {
		s += fmt.Sprintf(", %d gas per commit", g)
	}
	if st.Dropped > 0 {
		s += fmt.Sprintf(", %d refused", st.Dropped)
	}
	if st.Failing != "" {
		s += "; FAILING: " + trim(st.Failing, 80) + " (retrying)"
	}
	return c.shown.line(name) + s + "\n"
}

func (c chainShown) attrs(name string) []any {
	st := c.l.s.Status()
	a := append(c.shown.attrs(name), "chain_mined", st.Submitted, "chain_gas", st.Gas, "chain_queued", st.Queued)
	if st.Failing != "" {
		a = append(a, "chain_failing", st.Failing)
	}
	return a
}

func (c chainShown) gauges(reg *prometheus.Registry, labels prometheus.Labels) {
	c.shown.gauges(reg, labels)
	status := c.l.s.Status
	gauge(reg, labels, status, "chain_mined", "transactions of this member mined on the chain, this run", func(s chain.SubmitStatus) float64 { return float64(s.Submitted) })
	gauge(reg, labels, status, "chain_gas", "gas used by those transactions", func(s chain.SubmitStatus) float64 { return float64(s.Gas) })
	gauge(reg, labels, status, "chain_queued", "submissions waiting in the outbox for the chain", func(s chain.SubmitStatus) float64 { return float64(s.Queued) })
	gauge(reg, labels, status, "chain_failing", "1 while the chain cannot be reached", func(s chain.SubmitStatus) float64 {
		if s.Failing != "" {
			return 1
		}
		return 0
	})
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// chainBootnodes reads the bootnodes registered on the chain (other than this node), for
// a node started without --bootstrap.
func chainBootnodes(ctx context.Context, m *member, view *swarmView) []peer.AddrInfo {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nodes, err := m.link.s.Chain().Nodes(rctx)
	if err != nil {
		view.note("reading bootnodes from the chain: %v", err)
		return nil
	}
	var out []peer.AddrInfo
	for _, n := range nodes {
		if !n.Bootnode || n.Account == m.node.Address() {
			continue
		}
		infos, err := p2p.ParseBootstrap(n.Addrs)
		if err != nil {
			continue // a node's own registration: not ours to trust or fix
		}
		out = append(out, infos...)
	}
	if len(out) > 0 {
		view.note("%d bootnode addresses from the chain", len(out))
	}
	return out
}
