package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// chainReadFlags choose the chain the chain commands read.
type chainReadFlags struct {
	rpc, contract, dir, swarm string
	json                      bool
}

func (c *chainReadFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.rpc, "chain-rpc", "", "Ethereum JSON-RPC endpoint (default: the embedded chain of the data dir, when no node is running on it)")
	fl.StringVar(&c.contract, "chain-contract", "", "the coordinator's address (default: the development coordinator)")
	fl.StringVar(&c.dir, "data-dir", "", "node data directory (default $LOCKSTEP_DATA_DIR or ~/.lockstep): its key, and its embedded chain")
	fl.StringVar(&c.swarm, "local-swarm", "", "read the embedded chain of `lockstep swarm up --swarm NAME` (under the data dir's swarm/NAME/)")
	fl.BoolVar(&c.json, "json", false, "print JSON")
}

// open opens the chain and a client of it, with the data dir's key where there is one
// (reading needs no key: a throwaway one stands in).
func (c *chainReadFlags) open(ctx context.Context) (*chain.Chain, func(), error) {
	dir := dataDir(c.dir)
	chainDir := dir
	if c.swarm != "" {
		chainDir = filepath.Join(dir, "swarm", c.swarm)
	}
	if c.rpc == "" {
		if _, err := os.Stat(chain.DataDir(chainDir)); err != nil {
			return nil, nil, fmt.Errorf("no embedded chain in %s: pass --chain-rpc, or --local-swarm NAME for a swarm up's", chainDir)
		}
	}
	n, err := openChainNet(ctx, &chainFlags{rpc: c.rpc, contract: c.contract}, chainDir)
	if err != nil {
		if strings.Contains(err.Error(), "already used by another process") {
			err = fmt.Errorf("%w\n(a node is running on this embedded chain: start it with --chain-serve 127.0.0.1:PORT and read it with --chain-rpc http://127.0.0.1:PORT)", err)
		}
		return nil, nil, err
	}
	key, err := ledger.LoadKey(dir)
	if err != nil {
		key, _ = crypto.GenerateKey()
	}
	cl, err := chain.New(ctx, n.b, key, n.contract)
	if err != nil {
		n.close()
		return nil, nil, err
	}
	return cl, n.close, nil
}

// runE runs fn on the chain f opens, writing to the command's output.
func (f *chainReadFlags) runE(fn func(ctx context.Context, c *chain.Chain, w io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		c, closeFn, err := f.open(cmd.Context())
		if err != nil {
			return err
		}
		defer closeFn()
		return fn(cmd.Context(), c, cmd.OutOrStdout())
	}
}

func chainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Read the coordinator contract: nodes, swarms, rounds, disputes; deploy it; withdraw",
		Long: `The chain anchors what nodes commit to: each node registers its peer ID and addresses
from its own account (the key of its peer ID), members stake to join a swarm, commit a
state root per round and vote for the round's best peer, and dispute one another's
commitments; referees' signatures settle a dispute, the loser's stake paying the winner.

By default a node runs an embedded chain in its data dir; --chain-rpc reads any Ethereum
JSON-RPC endpoint instead.`,
	}
	cmd.AddCommand(chainServeCmd(), chainStatusCmd(), chainNodesCmd(), chainRoundsCmd(), chainDisputesCmd(), chainDeployCmd(), chainWithdrawCmd())
	return cmd
}

func eth(wei *big.Int) string {
	if wei == nil {
		return "0"
	}
	r := new(big.Rat).SetFrac(wei, big.NewInt(params.Ether))
	return strings.TrimRight(strings.TrimRight(r.FloatString(6), "0"), ".") + " ETH"
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func chainStatusCmd() *cobra.Command {
	f := &chainReadFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The chain, the coordinator, and this node's account on it",
		Args:  cobra.NoArgs,
		RunE: f.runE(func(ctx context.Context, c *chain.Chain, w io.Writer) error {
			head, err := c.BlockNumber(ctx)
			if err != nil {
				return err
			}
			nodes, err := c.NodeCount(ctx)
			if err != nil {
				return err
			}
			swarms, err := c.Swarms(ctx)
			if err != nil {
				return err
			}
			disputes, err := c.Disputes(ctx)
			if err != nil {
				return err
			}
			bal, _ := c.Balance(ctx)
			credit, _ := c.Credit(ctx, c.Address())
			reg, _ := c.Node(ctx, c.Address())
			st := map[string]any{"chain_id": c.ChainID().String(), "block": head, "coordinator": c.Contract().Hex(), "nodes": nodes, "swarms": len(swarms), "disputes": len(disputes),
				"account": c.Address().Hex(), "registered": reg.Registered != 0, "balance_wei": bal.String(), "credit_wei": credit.String()}
			if f.json {
				return printJSON(w, st)
			}
			fmt.Fprintf(w, "chain %s at block %d; coordinator %s\n", c.ChainID(), head, c.Contract().Hex())
			fmt.Fprintf(w, "%d nodes registered, %d swarms, %d disputes\n", nodes, len(swarms), len(disputes))
			for _, s := range swarms {
				fmt.Fprintf(w, "swarm %x: %d members, stake %s, reward %s per round (pool %s), last round %d, quorum %d\n",
					s.Id[:8], s.Members, eth(s.Spec.Stake), eth(s.Spec.Reward), eth(s.Pool), s.LastRound, s.Spec.Quorum)
			}
			fmt.Fprintf(w, "this node: %s, %s; balance %s, credit %s (lockstep chain withdraw)\n", c.Address().Hex(), map[bool]string{true: "registered", false: "not registered"}[reg.Registered != 0], eth(bal), eth(credit))
			return nil
		}),
	}
	f.register(cmd)
	return cmd
}

func chainNodesCmd() *cobra.Command {
	f := &chainReadFlags{}
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "The registered nodes: account, peer ID, addresses",
		Args:  cobra.NoArgs,
		RunE: f.runE(func(ctx context.Context, c *chain.Chain, w io.Writer) error {
			nodes, err := c.Nodes(ctx)
			if err != nil {
				return err
			}
			type row struct {
				Account  string   `json:"account"`
				PeerID   string   `json:"peer_id"`
				Bootnode bool     `json:"bootnode"`
				Block    uint64   `json:"registered_block"`
				Addrs    []string `json:"addrs"`
			}
			var rows []row
			for _, n := range nodes {
				pid := hex.EncodeToString(n.PeerId)
				if id, err := peer.IDFromBytes(n.PeerId); err == nil {
					pid = id.String()
				}
				rows = append(rows, row{n.Account.Hex(), pid, n.Bootnode, n.Registered, n.Addrs})
			}
			if f.json {
				return printJSON(w, rows)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tPEER ID\tBOOTNODE\tBLOCK\tADDRESSES")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%s\n", r.Account, r.PeerID, r.Bootnode, r.Block, strings.Join(r.Addrs, " "))
			}
			return tw.Flush()
		}),
	}
	f.register(cmd)
	return cmd
}

func chainRoundsCmd() *cobra.Command {
	f := &chainReadFlags{}
	var last uint64
	cmd := &cobra.Command{
		Use:   "rounds",
		Short: "Each swarm's recent rounds: commitments (and whether members agree), votes, winner",
		Args:  cobra.NoArgs,
		RunE: f.runE(func(ctx context.Context, c *chain.Chain, w io.Writer) error {
			swarms, err := c.Swarms(ctx)
			if err != nil {
				return err
			}
			type member struct {
				Account string `json:"account"`
				Root    string `json:"root"`
			}
			type round struct {
				Swarm   string   `json:"swarm"`
				Round   uint64   `json:"round"`
				Opened  uint64   `json:"opened_block"`
				Commits uint32   `json:"commits"`
				Roots   int      `json:"distinct_roots"`
				Leader  string   `json:"leader,omitempty"`
				Votes   uint32   `json:"leader_votes"`
				Paid    bool     `json:"paid"`
				Members []member `json:"members"`
			}
			var out []round
			for _, s := range swarms {
				commits, err := c.Commitments(ctx, s.Id, s.Created)
				if err != nil {
					return err
				}
				byRound := map[uint64][]chain.Commitment{}
				for _, cm := range commits {
					byRound[cm.Round] = append(byRound[cm.Round], cm)
				}
				var rs []uint64
				for r := range byRound {
					rs = append(rs, r)
				}
				sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
				if uint64(len(rs)) > last {
					rs = rs[uint64(len(rs))-last:]
				}
				for _, r := range rs {
					info, err := c.Round(ctx, s.Id, r)
					if err != nil {
						return err
					}
					x := round{Swarm: hex.EncodeToString(s.Id[:]), Round: r, Opened: info.Opened, Commits: info.Commits, Votes: info.LeaderVotes, Paid: info.Paid}
					if info.Leader != (common.Address{}) {
						x.Leader = info.Leader.Hex()
					}
					distinct := map[[32]byte]bool{}
					for _, cm := range byRound[r] {
						distinct[cm.Root] = true
						x.Members = append(x.Members, member{cm.Member.Hex(), hex.EncodeToString(cm.Root[:])})
					}
					x.Roots = len(distinct)
					out = append(out, x)
				}
			}
			if f.json {
				return printJSON(w, out)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SWARM\tROUND\tBLOCK\tCOMMITS\tROOTS\tLEADER\tVOTES\tPAID")
			for _, r := range out {
				leader := "-"
				if r.Leader != "" {
					leader = r.Leader[:12]
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%d\t%v\n", r.Swarm[:16], r.Round, r.Opened, r.Commits, r.Roots, leader, r.Votes, r.Paid)
			}
			return tw.Flush()
		}),
	}
	f.register(cmd)
	cmd.Flags().Uint64Var(&last, "last", 20, "rounds to show per swarm")
	return cmd
}

func chainDisputesCmd() *cobra.Command {
	f := &chainReadFlags{}
	cmd := &cobra.Command{
		Use:   "disputes",
		Short: "Every dispute: parties, state, deadlines, payment",
		Args:  cobra.NoArgs,
		RunE: f.runE(func(ctx context.Context, c *chain.Chain, w io.Writer) error {
			ds, err := c.Disputes(ctx)
			if err != nil {
				return err
			}
			type row struct {
				ID         uint64 `json:"id"`
				Swarm      string `json:"swarm"`
				Round      uint64 `json:"round"`
				Challenger string `json:"challenger"`
				Accused    string `json:"accused"`
				State      string `json:"state"`
				Bond       string `json:"bond_wei"`
				Paid       string `json:"paid_wei"`
				AnswerBy   uint64 `json:"answer_by_block"`
				RuleBy     uint64 `json:"rule_by_block"`
				Ruling     string `json:"ruling_file,omitempty"`
			}
			var rows []row
			for _, d := range ds {
				r := row{d.Id.Uint64(), hex.EncodeToString(d.Swarm[:]), d.Round, d.Challenger.Hex(), d.Accused.Hex(), chain.StateName(d.State), d.Bond.String(), d.Paid.String(), d.AnswerBy, d.RuleBy, ""}
				if d.Ruling != ([32]byte{}) {
					r.Ruling = hex.EncodeToString(d.Ruling[:])
				}
				rows = append(rows, r)
			}
			if f.json {
				return printJSON(w, rows)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSWARM\tROUND\tCHALLENGER\tACCUSED\tSTATE\tBOND\tPAID\tANSWER BY\tRULE BY")
			for i, r := range rows {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", r.ID, r.Swarm[:16], r.Round, r.Challenger[:12], r.Accused[:12], r.State, eth(ds[i].Bond), eth(ds[i].Paid), r.AnswerBy, r.RuleBy)
			}
			return tw.Flush()
		}),
	}
	f.register(cmd)
	return cmd
}

func chainDeployCmd() *cobra.Command {
	var rpc, dir string
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy a coordinator contract from this node's account (for --chain-contract)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rpc == "" {
				return errors.New("--chain-rpc is required: the embedded chain deploys its own coordinator")
			}
			ctx := cmd.Context()
			key, err := ledger.LoadOrCreateKey(dataDir(dir))
			if err != nil {
				return err
			}
			n, err := openChainNet(ctx, &chainFlags{rpc: rpc, contract: "0x0000000000000000000000000000000000000001"}, dataDir(dir))
			if err != nil {
				return err
			}
			defer n.close()
			addr, rec, err := chain.Deploy(ctx, n.b, key)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "coordinator deployed at %s (%d gas, block %d): pass --chain-contract %s\n", addr.Hex(), rec.GasUsed, rec.BlockNumber, addr.Hex())
			return nil
		},
	}
	cmd.Flags().StringVar(&rpc, "chain-rpc", "", "Ethereum JSON-RPC endpoint")
	cmd.Flags().StringVar(&dir, "data-dir", "", "node data directory: its key is the deployer (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	return cmd
}

func chainWithdrawCmd() *cobra.Command {
	f := &chainReadFlags{}
	cmd := &cobra.Command{
		Use:   "withdraw",
		Short: "Pay this node's credit (rewards, winnings, returned stakes) out to its account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if _, err := ledger.LoadKey(dataDir(f.dir)); err != nil {
				return fmt.Errorf("this node's key: %w", err)
			}
			c, closeFn, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			credit, err := c.Credit(ctx, c.Address())
			if err != nil {
				return err
			}
			rec, err := c.Withdraw(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "withdrew %s to %s (%d gas)\n", eth(credit), c.Address().Hex(), rec.GasUsed)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func chainServeCmd() *cobra.Command {
	var dir, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run an embedded chain alone and serve it on loopback, for nodes' --chain-rpc",
		Long: `Run the embedded chain (the one a node runs in its data dir by default) as a process
of its own, with the coordinator deployed, serving JSON-RPC on --listen (loopback only):
several nodes on this machine then share one chain with --chain-rpc http://ADDR. The
chain is kept in --data-dir's chain/ and resumes when served again. Ctrl-C stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			n, err := openChainNet(ctx, &chainFlags{serve: listen}, dataDir(dir))
			if err != nil {
				return err
			}
			defer n.close()
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s\nnodes join it with --chain-rpc %s\n", n.desc, n.embedded.URL())
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", "", "where the chain is kept, under chain/ (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8545", "host:port to serve JSON-RPC on (loopback)")
	return cmd
}
