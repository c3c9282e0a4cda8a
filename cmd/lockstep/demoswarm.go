package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/p2p/swarm"
)

// demoSwarm is the demo's third act: members on loopback train the task together on
// compressed updates; one computes its outer step wrong, is disputed before a third
// member, loses, and is ignored; the others agree on every root.
func demoSwarm(ctx context.Context, w io.Writer, c demoConfig) error {
	const faulty = 3 // the last member
	fmt.Fprintf(w, "\nAct 3: %d nodes on loopback train the task together for %d rounds of %d steps each\n", c.Members, c.Rounds, c.Inner)
	fmt.Fprintf(w, "(DiLoCo: each on its own data, then their updates, compressed, are combined in the sandbox);\n")
	fmt.Fprintf(w, "node %d scales one output of its outer step by 1.001, so it announces another root.\n", c.Members)
	base, err := os.MkdirTemp("", "lockstep-demo-swarm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	f := &nodeFlags{swarm: "demo", rounds: c.Rounds, seed: c.Seed, inner: c.Inner, lr: 4, momentum: 0, density: 0.015,
		updateWait: time.Minute, manifestWait: 3 * time.Second, joinWait: 2 * time.Second, keepRounds: 32}
	var mu sync.Mutex
	commits := map[uint64]map[string][32]byte{}
	var lines []string
	names := map[string]int{}
	var ms []*member
	defer func() {
		for _, m := range ms {
			m.close()
		}
	}()
	for i := range c.Members {
		name := fmt.Sprintf("node %d", i+1)
		names[name] = i
		m, err := startMember(ctx, name, fmt.Sprintf("%s/%d", base, i+1), []string{"/ip4/127.0.0.1/tcp/0"}, f,
			digitsWasm, []host.Input{host.NewInput(digitsInput, digitsData)}, func(e swarm.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch e.Kind {
				case "commit":
					if commits[e.Round] == nil {
						commits[e.Round] = map[string][32]byte{}
					}
					commits[e.Round][name] = e.Root
				case "ruling":
					if name == "node 1" { // every member sees the same rulings: one view is enough
						lines = append(lines, e.Text)
					}
				}
			})
		if err != nil {
			return err
		}
		if i == c.Members-1 && c.Members > faulty {
			m.trainer.Fault = func(ev *host.OpEvent) {
				if ev.Op == host.OpSGD && len(ev.Outputs) > 0 {
					if o, err := kernels.Scale(ev.Outputs[0], 1.001); err == nil {
						ev.Outputs[0] = o
					}
				}
			}
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
			return fmt.Errorf("demo: swarm: %w", err)
		}
	}
	for r := uint64(1); r <= c.Rounds; r++ {
		var keys []string
		for name := range commits[r] {
			keys = append(keys, name)
		}
		sort.Slice(keys, func(i, j int) bool { return names[keys[i]] < names[keys[j]] })
		fmt.Fprintf(w, "round %d:", r)
		for _, name := range keys {
			root := commits[r][name]
			fmt.Fprintf(w, "  %s %x", name, root[:4])
		}
		fmt.Fprintln(w)
	}
	for _, l := range lines { // members by name, not address
		for _, m := range ms {
			l = strings.ReplaceAll(l, m.node.Address().Hex(), m.name)
			l = strings.ReplaceAll(l, m.node.Address().Hex()[:10], m.name)
		}
		fmt.Fprintf(w, "ruling, %s\n", l)
	}
	st := ms[0].dl.Status()
	fmt.Fprintf(w, "node 1 ignores %d member(s) ruled against; updates were %d bytes, %.0fx smaller than dense; held-out loss %.3f after %d rounds\n",
		len(st.Banned), st.UpdateBytes, float64(st.DenseBytes)/float64(max(1, st.UpdateBytes)), st.EvalLoss, st.Round)
	return nil
}
