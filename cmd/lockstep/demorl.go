package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/ledger/chain"
	"github.com/lockstep-ml/lockstep/p2p/rl"
	"github.com/lockstep-ml/lockstep/p2p/swarm"
)

// demoRL is the demo's fourth act: members on loopback run an RL swarm on the embedded
// addition task, sharing rollouts; each round one member regenerates another's rollouts
// from its state; the last member publishes doctored rollouts, is caught, disputed before
// a third member, loses, and is ignored.
func demoRL(ctx context.Context, w io.Writer, c demoConfig) error {
	fmt.Fprintf(w, "\nAct 4: %d nodes on loopback learn addition by reinforcement learning for %d rounds, sharing rollouts\n", c.RLMembers, c.RLRounds)
	fmt.Fprintf(w, "(each its own policy, as in RL Swarm: generate answers, score them with the task's checker, train on its own\n")
	fmt.Fprintf(w, "and its peers' best); node %d changes a token of the rollouts it publishes, which its state could not have sampled.\n", c.RLMembers)
	base, err := os.MkdirTemp("", "lockstep-demo-rl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	f := &nodeFlags{swarm: "demo-rl", mode: "rl", rounds: c.RLRounds, seed: c.Seed, warmup: rlWarmup, transplant: -1,
		roundWait: time.Minute, joinWait: 2 * time.Second, keepRounds: 8,
		chain: chainFlags{stake: "1", reward: "0.01", pool: "1", quorum: 1, vote: 16, answer: 32, rule: 64}}
	// The swarm's chain: an embedded one, as every node has by default.
	if f.net, err = openChainNet(ctx, &f.chain, base); err != nil {
		return err
	}
	defer f.net.close()
	var mu sync.Mutex
	var lines []string
	var ms []*member
	defer func() {
		for _, m := range ms {
			m.close()
		}
	}()
	for i := range c.RLMembers {
		name := fmt.Sprintf("node %d", i+1)
		m, err := startMember(ctx, name, fmt.Sprintf("%s/%d", base, i+1), []string{"/ip4/127.0.0.1/tcp/0"}, f, rlWasm, nil, func(e swarm.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch e.Kind {
			case "check", "ruling":
				lines = append(lines, fmt.Sprintf("%s, round %d: %s", name, e.Round, e.Text))
			case "commit":
				lines = append(lines, fmt.Sprintf("%s, %s", name, e.Text))
			}
		})
		if err != nil {
			return err
		}
		if i == c.RLMembers-1 {
			m.rl.Fault = rl.Doctor
		}
		ms = append(ms, m)
	}
	for i := 1; i < len(ms); i++ {
		link(ctx, ms[i].h, ms[i-1].h, nil)
	}
	errs := make(chan error, len(ms))
	for _, m := range ms {
		go func() { errs <- m.node.Run(ctx) }()
	}
	for range ms {
		if err := <-errs; err != nil {
			return fmt.Errorf("demo: rl swarm: %w", err)
		}
	}
	for _, l := range lines { // members by name, not address
		for _, m := range ms {
			l = strings.ReplaceAll(l, m.node.Address().Hex(), m.name)
			l = strings.ReplaceAll(l, m.node.Address().Hex()[:10], m.name)
		}
		fmt.Fprintln(w, l)
	}
	for _, m := range ms[:len(ms)-1] {
		fmt.Fprintln(w, m.show.summary(m.name))
	}
	st := ms[0].node.(*swarm.RLNode).Status()
	fmt.Fprintf(w, "node 1 ignores %d member(s) ruled against\n", len(st.Banned))
	return demoChain(ctx, w, ms)
}

// demoChain waits for the members' submissions to reach the chain and the doctored
// member's dispute to be settled there, and says what the chain holds.
func demoChain(ctx context.Context, w io.Writer, ms []*member) error {
	c := ms[0].link.s.Chain()
	name := func(a common.Address) string {
		for _, m := range ms {
			if m.node.Address() == a {
				return m.name
			}
		}
		return a.Hex()[:10]
	}
	settled := func() ([]chain.Dispute, bool) {
		ds, err := c.Disputes(ctx)
		if err != nil || len(ds) == 0 {
			return ds, false
		}
		for _, d := range ds {
			if d.State == chain.Open || d.State == chain.Answered {
				return ds, false
			}
		}
		for _, m := range ms {
			if m.link.s.Status().Queued > 0 {
				return ds, false
			}
		}
		return ds, true
	}
	// A ruling settles once more than half of the round's other members signed it: the
	// referee, and members who regenerated the rollouts themselves. Members that stopped
	// before a late ruling reached them do not sign it, and the dispute stays answered
	// until its deadline: the demo says so rather than wait.
	var ds []chain.Dispute
	for end := time.Now().Add(90 * time.Second); ; {
		var ok bool
		if ds, ok = settled(); ok || time.Now().After(end) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	var mined, gas uint64
	for _, m := range ms {
		st := m.link.s.Status()
		mined, gas = mined+st.Submitted, gas+st.Gas
	}
	fmt.Fprintf(w, "on the chain (embedded, chain %s): %d transactions, %d gas; a commitment costs %d gas\n", c.ChainID(), mined, gas, ms[0].link.s.Status().LastGas["commit"])
	for _, d := range ds {
		if d.State == chain.Open || d.State == chain.Answered {
			th, _ := c.RulingThreshold(ctx, d.Id.Uint64())
			fmt.Fprintf(w, "dispute %d on chain: %s against %s's round %d: %s, waiting for %d referee signatures (until block %d)\n", d.Id, name(d.Challenger), name(d.Accused), d.Round, chain.StateName(d.State), th, d.RuleBy)
			continue
		}
		fmt.Fprintf(w, "dispute %d on chain: %s against %s's round %d: %s; %s paid to the winner\n", d.Id, name(d.Challenger), name(d.Accused), d.Round, chain.StateName(d.State), eth(d.Paid))
		if d.State == chain.AccusedLost {
			m, err := c.Member(ctx, ms[0].link.swarm, d.Accused)
			if err == nil && !m.Active && m.Stake.Sign() == 0 {
				fmt.Fprintf(w, "%s's stake is slashed: it is no longer a member of the swarm on chain\n", name(d.Accused))
			}
		}
	}
	return nil
}
