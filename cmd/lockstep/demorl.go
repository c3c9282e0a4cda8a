package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

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
		roundWait: time.Minute, joinWait: 2 * time.Second, keepRounds: 8}
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
	return nil
}
