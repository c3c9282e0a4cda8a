package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
	"github.com/lockstep-ml/lockstep/p2p/diloco"
	"github.com/lockstep-ml/lockstep/p2p/rl"
	"github.com/lockstep-ml/lockstep/p2p/swarm"
	"github.com/lockstep-ml/lockstep/runtime"
)

// nodeFlags are what lockstep node and lockstep swarm up share.
type nodeFlags struct {
	swarm, task, engine, metrics string
	inputs                       []string
	rounds, seed, keepRounds     uint64
	inner                        int
	lr, momentum                 float32
	density                      float64
	updateWait, manifestWait     time.Duration
	joinWait                     time.Duration
	json, noEval                 bool
	mode                         string // "diloco", "rl", or "" (rl where the task is an RL task)
	warmup, transplant           int
	roundWait                    time.Duration
	chain                        chainFlags
	net                          *chainNet // the chain opened (nil: none)
}

func (f *nodeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.swarm, "swarm", f.swarm, "swarm name: members of one swarm share its topic")
	fl.StringVar(&f.task, "task", "", "task module (default: the embedded digits task)")
	fl.StringArrayVar(&f.inputs, "input", nil, "data input as FILE or NAME=FILE (repeatable; default: the embedded task's data)")
	fl.Uint64Var(&f.rounds, "rounds", 0, "stop after this round (0: run until stopped)")
	fl.Uint64Var(&f.seed, "seed", 1, "the swarm's seed: its starting parameters and its members' data (every member must use the same)")
	fl.IntVar(&f.inner, "inner", 20, "inner steps per round (every member must use the same)")
	fl.Float32Var(&f.lr, "outer-lr", 4, "outer learning rate; 4 suits about 4 members on compressed updates, where each sends different elements (every member must use the same)")
	fl.Float32Var(&f.momentum, "outer-momentum", 0, "outer Nesterov momentum; with compressed updates the decayed error feedback stands in for it (every member must use the same)")
	fl.Float64Var(&f.density, "density", 0.015, "fraction of an update's elements sent (top-k)")
	fl.DurationVar(&f.updateWait, "update-wait", 60*time.Second, "how long to wait for the expected members' updates")
	fl.DurationVar(&f.manifestWait, "manifest-wait", 5*time.Second, "how long to wait for the other members' manifests")
	fl.DurationVar(&f.joinWait, "join-wait", 5*time.Second, "how long to listen for the swarm before starting it")
	fl.StringVar(&f.engine, "engine", "", "wazero engine: compiler or interpreter (default: compiler where supported)")
	fl.BoolVar(&f.json, "json", false, "print JSON lines (log/slog) instead of the live view")
	fl.BoolVar(&f.noEval, "no-eval", false, "do not evaluate the swarm's state after each round")
	fl.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics on ADDR (host:port), at /metrics")
	fl.Uint64Var(&f.keepRounds, "keep-rounds", 32, "rounds the ledger keeps (for disputes and restarts); older ones are removed (0: keep all)")
	fl.StringVar(&f.mode, "mode", "", "diloco (train one model together on compressed updates) or rl (each member its own policy, sharing rollouts); default: rl for a task with the RL exports, else diloco")
	fl.IntVar(&f.warmup, "warmup", rlWarmup, "rl: supervised steps that make every member's starting policy (every member must use the same)")
	fl.IntVar(&f.transplant, "transplant", rl.DefaultTransplant, "rl: rollouts per question taken from peers (-1: half a group; 0: train on this member's own alone)")
	fl.DurationVar(&f.roundWait, "round-wait", 30*time.Second, "rl: how long to wait for the other members' rollouts after this member's own")
	f.chain.register(cmd)
}

// rlWarmup is the warm-up of the embedded RL task (testdata/tasks/rl).
const rlWarmup = 400

// modeOf is the kind of swarm: --mode, or rl where the task exports the RL set.
func (f *nodeFlags) modeOf(ctx context.Context, rt *runtime.Runtime, wasm []byte) (string, error) {
	switch f.mode {
	case "diloco", "rl":
		return f.mode, nil
	case "":
		mod, err := rt.Load(ctx, wasm)
		if err != nil {
			return "", err
		}
		if mod.HasStepExport(rl.GenerateExport) == nil {
			return "rl", nil
		}
		return "diloco", nil
	}
	return "", fmt.Errorf("--mode %q: diloco or rl", f.mode)
}

// taskOf reads the task module and its inputs: --task and --input, or the embedded digits.
func (f *nodeFlags) taskOf() ([]byte, []lshost.Input, string, error) {
	if f.task == "" {
		if len(f.inputs) > 0 {
			return nil, nil, "", fmt.Errorf("--input without --task: the embedded tasks bring their own data")
		}
		if f.mode == "rl" {
			return rlWasm, nil, "rl addition (embedded)", nil
		}
		return digitsWasm, []lshost.Input{lshost.NewInput(digitsInput, digitsData)}, "digits (embedded)", nil
	}
	wasm, err := os.ReadFile(f.task)
	if err != nil {
		return nil, nil, "", err
	}
	inputs, err := readInputs(f.inputs)
	return wasm, inputs, f.task, err
}

func (f *nodeFlags) dilocoConfig() diloco.Config {
	return diloco.Config{Name: f.swarm, Seed: f.seed, Inner: f.inner, LR: f.lr, Momentum: f.momentum}
}

func (f *nodeFlags) swarmConfig() swarm.Config {
	c := swarm.DefaultConfig(f.swarm)
	c.Codec.Density = f.density
	c.Rounds, c.UpdateWait, c.ManifestWait, c.JoinWait, c.Eval, c.KeepRounds = f.rounds, f.updateWait, f.manifestWait, f.joinWait, !f.noEval, f.keepRounds
	return c
}

// member is one running member: its node, and what to close.
type member struct {
	name    string
	node    swarmMember
	show    shown
	dl      *swarm.Node     // a DiLoCo member
	trainer *diloco.Trainer // its trainer
	rl      *rl.Trainer     // an RL member's trainer
	h       host.Host
	link    *chainLink // its link to the chain (nil: none)
	close   func()
}

// startMember opens the data dir's key and ledger, starts a host listening on listen
// and a swarm member on it. Events go to onEvent.
func startMember(ctx context.Context, name, dir string, listen []string, f *nodeFlags, wasm []byte, inputs []lshost.Input, onEvent func(swarm.Event)) (*member, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, err := ledger.LoadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	led, err := ledger.Open(dir, ledger.DefaultOptions())
	if err != nil {
		return nil, err
	}
	closers := []func(){func() { led.Close() }}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	hc := p2p.DefaultConfig(key)
	if len(listen) > 0 {
		hc.Listen = listen
	}
	h, err := p2p.NewHost(hc)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("listening on %s: %w", strings.Join(hc.Listen, ", "), err)
	}
	closers = append(closers, func() { h.Close() })
	var hook chainHook
	onEvent = hook.wrap(onEvent)
	cfg := runtime.Config{Engine: runtime.Engine(f.engine)}
	if err := os.MkdirAll(filepath.Join(dir, "wasm-cache"), 0o755); err == nil {
		cfg.CacheDir = filepath.Join(dir, "wasm-cache")
	}
	rt, err := runtime.New(ctx, cfg)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, func() { rt.Close(context.Background()) })
	m, err := f.newMember(ctx, rt, cfg, h, led, wasm, inputs, onEvent)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, m.node.Close)
	if f.net != nil {
		mode, tag := "diloco", ""
		if m.rl != nil {
			mode, tag = "rl", m.rl.Tag()
		} else {
			tag = m.trainer.Tag()
		}
		spec, err := swarmSpec(&f.chain, wasm, inputs, mode, f.swarm, tag)
		if err != nil {
			closeAll()
			return nil, err
		}
		var addrs []string
		for _, a := range h.Addrs() {
			addrs = append(addrs, fmt.Sprintf("%s/p2p/%s", a, h.ID()))
		}
		lctx, stop := context.WithCancel(ctx)
		l, err := startChainLink(lctx, f.net, key, led, spec, addrs, func(kind, text string) {
			onEvent(swarm.Event{Time: time.Now(), Kind: kind, Text: text})
		})
		if err != nil {
			stop()
			closeAll()
			return nil, fmt.Errorf("chain: %w", err)
		}
		closers = append(closers, func() { stop(); l.wait() })
		hook.l.Store(l)
		m.show, m.link = chainShown{m.show, l}, l
	}
	m.name, m.h, m.close = name, h, closeAll
	return m, nil
}

// newMember makes the swarm member of the kind f says.
func (f *nodeFlags) newMember(ctx context.Context, rt *runtime.Runtime, cfg runtime.Config, h host.Host, led *ledger.Ledger, wasm []byte, inputs []lshost.Input, onEvent func(swarm.Event)) (*member, error) {
	mode, err := f.modeOf(ctx, rt, wasm)
	if err != nil {
		return nil, err
	}
	if mode == "rl" {
		tr, err := rl.New(ctx, rt, led, wasm, inputs, rl.Config{Name: f.swarm, Seed: f.seed, Warmup: f.warmup})
		if err != nil {
			return nil, err
		}
		c := swarm.DefaultRLConfig(f.swarm)
		c.Rounds, c.Transplant, c.RoundWait, c.JoinWait, c.Eval, c.KeepRounds, c.Runtime = f.rounds, f.transplant, f.roundWait, f.joinWait, !f.noEval, f.keepRounds, cfg
		n, err := swarm.NewRL(ctx, h, tr, led, c, onEvent)
		if err != nil {
			return nil, err
		}
		return &member{node: n, show: rlShown{n}, rl: tr}, nil
	}
	tr, err := diloco.New(ctx, rt, led, wasm, inputs, f.dilocoConfig())
	if err != nil {
		return nil, err
	}
	sc := f.swarmConfig()
	sc.Runtime = cfg // a referee's questions replay on the same engine and compile cache
	n, err := swarm.New(ctx, h, tr, led, sc, onEvent)
	if err != nil {
		return nil, err
	}
	return &member{node: n, show: dilocoShown{n}, dl: n, trainer: tr}, nil
}

func nodeCmd() *cobra.Command {
	f := &nodeFlags{swarm: "default"}
	var listen, bootstrap []string
	var dir string
	var mdns bool
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Join a training swarm (or start one): DiLoCo on compressed updates, or an RL swarm",
		Long: `Join the swarm named --swarm (or start it) and train its task with the other members.

--mode diloco (the default for an ordinary task): --inner local steps per round on data of
this node's own, then the members' updates, compressed, are combined in the sandbox; every
other member's state root is checked after each round, and a member that announces another
root is disputed before a third member and ignored once it loses. A node that is behind
catches up with the swarm.

--mode rl (the default for a task with the RL exports; without --task, the embedded addition
task): every member keeps a policy of its own; each round it answers the round's questions,
publishes its rollouts, scores everyone's with the task's checker, trains on its own and the
best of its peers', and votes for the peer whose rollouts scored best. Each round it also
regenerates one peer's rollouts from that peer's state: rollouts the state could not have
sampled are disputed before a third member, and the loser is ignored. A node that is behind
skips to the swarm's round.

The node resumes from its ledger when restarted. Ctrl-C stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			wasm, inputs, taskName, err := f.taskOf()
			if err != nil {
				return err
			}
			peers, err := p2p.ParseBootstrap(bootstrap)
			if err != nil {
				return err
			}
			view := newSwarmView(cmd.OutOrStdout(), f.json, f.swarm, taskName)
			if f.net, err = openChainNet(ctx, &f.chain, dataDir(dir)); err != nil {
				return err
			}
			defer f.net.close()
			m, err := startMember(ctx, "node", dataDir(dir), listen, f, wasm, inputs, view.eventsOf("node"))
			if err != nil {
				return err
			}
			defer m.close()
			for _, a := range m.h.Addrs() {
				view.note("listening on %s/p2p/%s", a, m.h.ID())
			}
			if f.net != nil {
				view.note("chain: %s", f.net.desc)
				if len(peers) == 0 {
					peers = chainBootnodes(ctx, m, view)
				}
			}
			go keepBootstrapping(ctx, m.h, peers, view)
			// The DHT learns peers from the connections the bootstrap makes.
			disc, err := p2p.StartDiscovery(ctx, m.h, nil, true)
			if err != nil {
				return err
			}
			defer disc.Close()
			if mdns {
				md, err := p2p.StartMDNS(m.h, p2p.MDNSService(f.swarm))
				if err != nil {
					return fmt.Errorf("--mdns: %w", err)
				}
				defer md.Close()
			}
			return runMembers(ctx, view, f.metrics, []*member{m})
		},
	}
	f.register(cmd)
	cmd.Flags().StringArrayVar(&listen, "listen", []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}, "multiaddr to listen on (repeatable)")
	cmd.Flags().StringArrayVar(&bootstrap, "bootstrap", nil, "multiaddr of a member to join through, with /p2p/PEERID (repeatable)")
	cmd.Flags().StringVar(&dir, "data-dir", "", "node data directory: key, ledger, compiled-module cache (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	cmd.Flags().BoolVar(&mdns, "mdns", false, "also find the swarm's members on the local network (mDNS)")
	return cmd
}

// keepBootstrapping dials the bootstrap peers, saying which fail, and dials them again
// every 10 s while the node has no peer at all (a bootstrap peer that is down at start, or
// a node cut off later): the node keeps running meanwhile.
func keepBootstrapping(ctx context.Context, h host.Host, peers []peer.AddrInfo, view *swarmView) {
	if len(peers) == 0 {
		return
	}
	for first := true; ; first = false {
		if first || len(h.Network().Peers()) == 0 {
			for _, p := range peers {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := h.Connect(cctx, p)
				cancel()
				switch {
				case ctx.Err() != nil:
					return
				case err != nil:
					view.note("bootstrap peer %s: %v (trying again while this node has no peers)", p.ID, err)
				default:
					view.note("connected to bootstrap peer %s", p.ID)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

// runMembers runs the members until they finish or ctx ends, with the view and, if addr is
// set, a metrics server.
func runMembers(ctx context.Context, view *swarmView, addr string, ms []*member) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if addr != "" {
		srv, err := serveMetrics(addr, ms)
		if err != nil {
			return err
		}
		defer srv.Close()
		view.note("metrics on http://%s/metrics", addr)
	}
	errs := make(chan error, len(ms))
	for _, m := range ms {
		view.add(m.name, m.show)
		go func() { errs <- m.node.Run(ctx) }()
	}
	stopView := view.start(ctx, cancel)
	var first error
	for range ms {
		if err := <-errs; err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
			cancel()
		}
	}
	for _, m := range ms {
		if m.link != nil && ctx.Err() == nil {
			if left := m.link.flush(ctx, 30*time.Second); left > 0 {
				view.note("%s: %d submissions wait in the outbox for the chain: they are sent at the next start", m.name, left)
			}
		}
	}
	stopView()
	for _, m := range ms {
		view.final(m.name, m.show)
	}
	return first
}

// serveMetrics serves Prometheus metrics of the members at addr/metrics.
func serveMetrics(addr string, ms []*member) (*http.Server, error) {
	reg := prometheus.NewRegistry()
	for _, m := range ms {
		m.show.gauges(reg, prometheus.Labels{"member": m.name, "address": m.node.Address().Hex()})
	}
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, nil
}

func swarmCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "swarm", Short: "Run a whole swarm on this machine"}
	f := &nodeFlags{swarm: "local"}
	var nodes int
	var dir string
	up := &cobra.Command{
		Use:   "up",
		Short: "Start --nodes members of a swarm (DiLoCo or RL) on loopback, in this process, with one view",
		Long: `Start --nodes members of one swarm on 127.0.0.1, each with its own key and ledger
(under the data directory's swarm/NAME/), connected in a ring so that messages are relayed,
and show them in one view. Restarting resumes every member from its ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nodes < 1 || nodes > 64 {
				return fmt.Errorf("--nodes %d: between 1 and 64", nodes)
			}
			ctx := cmd.Context()
			wasm, inputs, taskName, err := f.taskOf()
			if err != nil {
				return err
			}
			view := newSwarmView(cmd.OutOrStdout(), f.json, f.swarm, taskName)
			base := filepath.Join(dataDir(dir), "swarm", f.swarm)
			if f.net, err = openChainNet(ctx, &f.chain, base); err != nil {
				return err
			}
			defer f.net.close()
			if f.net != nil {
				view.note("chain: %s", f.net.desc)
			}
			var ms []*member
			defer func() {
				for _, m := range ms {
					m.close()
				}
			}()
			for i := range nodes {
				name := fmt.Sprintf("node-%d", i+1)
				m, err := startMember(ctx, name, filepath.Join(base, name), []string{"/ip4/127.0.0.1/tcp/0"}, f, wasm, inputs, view.eventsOf(name))
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				ms = append(ms, m)
			}
			for i := 1; i < len(ms); i++ { // a ring: i dials i-1, and the last the first
				link(ctx, ms[i].h, ms[i-1].h, view)
			}
			if len(ms) > 2 {
				link(ctx, ms[0].h, ms[len(ms)-1].h, view)
			}
			return runMembers(ctx, view, f.metrics, ms)
		},
	}
	f.register(up)
	up.Flags().IntVar(&nodes, "nodes", 4, "members to start")
	up.Flags().StringVar(&dir, "data-dir", "", "data directory: the members' keys and ledgers go under swarm/NAME/ (default $LOCKSTEP_DATA_DIR or ~/.lockstep)")
	cmd.AddCommand(up)
	return cmd
}

func link(ctx context.Context, a, b host.Host, view *swarmView) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Connect(cctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil && view != nil {
		view.note("connecting members: %v", err)
	}
}
