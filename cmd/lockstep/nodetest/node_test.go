package nodetest

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/lockstep-ml/lockstep/internal/lockstepbin"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/ledger/chain"
)

// swarmLine is a JSON line of lockstep node --json (log/slog).
type swarmLine struct {
	Msg   string `json:"msg"`
	Kind  string `json:"kind"`
	Round uint64 `json:"round"`
	Root  string `json:"root"`
	Level string `json:"level"`
}

// nodeProc is a lockstep node process and what it has said.
type nodeProc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  []swarmLine
	all  strings.Builder
	done chan struct{}
}

func startNode(t testing.TB, bin, name string, args ...string) *nodeProc {
	t.Helper()
	p := &nodeProc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{p: p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l swarmLine
			json.Unmarshal(sc.Bytes(), &l)
			p.mu.Lock()
			p.log = append(p.log, l)
			p.all.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
		p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

type lockedWriter struct{ p *nodeProc }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.all.Write(b)
}

// wait polls until f holds on the node's lines, or fails after d.
func (p *nodeProc) wait(t testing.TB, d time.Duration, what string, f func([]swarmLine) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		ok := f(p.log)
		p.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("%s: no %s within %v; it said:\n%s", p.name, what, d, p.all.String())
}

// roots returns the roots the node committed or caught up to, by round.
func (p *nodeProc) roots() map[uint64]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[uint64]string{}
	for _, l := range p.log {
		if (l.Kind == "commit" || l.Kind == "catch-up") && l.Root != "" {
			out[l.Round] = l.Root
		}
	}
	return out
}

// lines returns a copy of what the node has said so far.
func (p *nodeProc) lines() []swarmLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]swarmLine(nil), p.log...)
}

func has(kind string, round uint64) func([]swarmLine) bool {
	return func(ls []swarmLine) bool {
		for _, l := range ls {
			if l.Kind == kind && l.Round >= round {
				return true
			}
		}
		return false
	}
}

const (
	charlmWasm  = "../../../testdata/tasks/charlm/charlm.wasm"
	charlmInput = "../../../testdata/data/opticks.txt"
)

// buildLockstep builds the lockstep binary for the processes these tests start.
func buildLockstep(t testing.TB) string { return lockstepbin.Build(t) }

// startSwarm starts a node per data dir: the first, then the others with it as their
// bootstrap peer, whose address it returns.
func startSwarm(t testing.TB, bin string, dirs []string, args func(dir string, extra ...string) []string) ([]*nodeProc, string) {
	t.Helper()
	first := startNode(t, bin, "node 1", args(dirs[0])...)
	var boot string
	first.wait(t, time.Minute, "listening line", func(ls []swarmLine) bool {
		for _, l := range ls {
			if m := listenLine.FindStringSubmatch(l.Msg); m != nil {
				boot = m[1]
				return true
			}
		}
		return false
	})
	nodes := []*nodeProc{first}
	for i, dir := range dirs[1:] {
		nodes = append(nodes, startNode(t, bin, fmt.Sprintf("node %d", i+2), args(dir, "--bootstrap", boot)...))
	}
	return nodes, boot
}

var listenLine = regexp.MustCompile(`listening on (/ip4/127\.0\.0\.1/tcp/\d+/p2p/\S+)`)

// Four lockstep node processes train charlm together; one is SIGKILLed mid-round. The
// others go on without it, and after a restart it catches up from its ledger and the
// swarm, verified by root, and trains on with them: every round has one root.
func TestSwarmNodesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes training charlm; skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a POSIX signal")
	}
	bin := buildLockstep(t)
	// The restarted node stops two rounds before the others: the last round of a swarm
	// that then stops can leave a late member nobody to fetch from.
	const rounds, restartedRounds = 16, 14
	args := func(dir string, extra ...string) []string {
		return append([]string{"node", "--swarm", "kill", "--task", charlmWasm, "--input", charlmInput, "--inner", "4",
			"--json", "--no-eval", "--listen", "/ip4/127.0.0.1/tcp/0", "--join-wait", "20s", "--update-wait", "6s", "--manifest-wait", "2s", "--no-chain", "--data-dir", dir}, extra...)
	}
	all := func(dir string, extra ...string) []string {
		return args(dir, append([]string{"--rounds", fmt.Sprint(rounds)}, extra...)...)
	}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()}
	nodes, boot := startSwarm(t, bin, dirs, all)
	victim := nodes[3]
	victim.wait(t, 3*time.Minute, "round 2", has("round", 2))
	// Mid-round: it is training round 2 (or just past it).
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killedAt := victim.roots()
	// The others do not stall: they commit the next rounds without it.
	nodes[0].wait(t, 2*time.Minute, "round 3 without the killed node", has("commit", 3))
	restarted := startNode(t, bin, "node 4 (restarted)", args(dirs[3], "--bootstrap", boot, "--rounds", fmt.Sprint(restartedRounds))...)
	restarted.wait(t, 2*time.Minute, "catch-up", has("catch-up", 3))
	for _, p := range nodes[:3] {
		p.wait(t, 4*time.Minute, fmt.Sprintf("round %d", rounds), has("commit", rounds))
	}
	restarted.wait(t, 2*time.Minute, fmt.Sprintf("round %d", restartedRounds), func(ls []swarmLine) bool {
		return has("commit", restartedRounds)(ls) || has("catch-up", restartedRounds)(ls)
	})
	// One root per round (the last a node held for it), whoever committed it; the
	// restarted node's too. A member that applied another manifest than the others (it
	// could not fetch an update they had) is on a fork for that round, and leaves it by
	// taking the majority's state at a later round (RATIONALE.md: when a member takes
	// another member's state): a fork is allowed only if it was left so.
	members := append(nodes[:3:3], restarted)
	want := nodes[0].roots()
	for r := uint64(1); r <= rounds; r++ {
		if want[r] == "" {
			t.Fatalf("node 1 has no root for round %d", r)
		}
		for _, p := range members[1:] {
			if got := p.roots()[r]; got != "" && got != want[r] {
				if has("catch-up", r+1)(p.lines()) {
					t.Logf("round %d: %s was on a fork (root %s, node 1 %s) and left it by catching up", r, p.name, got[:12], want[r][:12])
					continue
				}
				t.Errorf("round %d: %s root %s, node 1 %s", r, p.name, got[:12], want[r][:12])
			}
		}
		if got := killedAt[r]; got != "" && got != want[r] {
			t.Errorf("round %d: the killed node had root %s, node 1 %s", r, got[:12], want[r][:12])
		}
	}
	if got := restarted.roots()[restartedRounds]; got != want[restartedRounds] {
		t.Errorf("the restarted node ends round %d at root %q, the others at %s", restartedRounds, got, want[restartedRounds][:12])
	}
	restarted.mu.Lock()
	resumed := strings.Contains(restarted.all.String(), "resuming from round")
	restarted.mu.Unlock()
	if !resumed && len(killedAt) > 0 {
		t.Error("the restarted node did not resume from its ledger")
	}
}

// BenchmarkSwarmNodes runs four lockstep node processes training charlm together and
// reports, per member, the blob bytes it sent and received per round, against the dense
// update it would send uncompressed, and its peak resident memory.
func BenchmarkSwarmNodes(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads peak RSS from Linux's rusage")
	}
	bin := buildLockstep(b)
	const rounds, members = 6, 4
	for b.Loop() {
		args := func(dir string, extra ...string) []string {
			return append([]string{"node", "--swarm", "bench", "--task", charlmWasm, "--input", charlmInput, "--inner", "10", "--rounds", fmt.Sprint(rounds),
				"--json", "--no-eval", "--listen", "/ip4/127.0.0.1/tcp/0", "--join-wait", "20s", "--update-wait", "30s", "--manifest-wait", "2s", "--no-chain", "--data-dir", dir}, extra...)
		}
		dirs := make([]string, members)
		for i := range dirs {
			dirs[i] = b.TempDir()
		}
		nodes, _ := startSwarm(b, bin, dirs, args)
		start := time.Now()
		var served, fetched, update, rss []float64
		for _, p := range nodes {
			<-p.done
			var last struct {
				Msg         string `json:"msg"`
				Served      int64  `json:"blob_bytes_served"`
				Fetched     int64  `json:"blob_bytes_fetched"`
				UpdateBytes int    `json:"update_bytes"`
				Round       uint64 `json:"round"`
			}
			p.mu.Lock()
			for _, line := range strings.Split(p.all.String(), "\n") {
				if strings.Contains(line, `"msg":"stopped"`) {
					json.Unmarshal([]byte(line), &last)
				}
			}
			p.mu.Unlock()
			if last.Round != rounds {
				b.Fatalf("%s stopped at round %d, not %d", p.name, last.Round, rounds)
			}
			served = append(served, float64(last.Served)/rounds)
			fetched = append(fetched, float64(last.Fetched)/rounds)
			update = append(update, float64(last.UpdateBytes))
			if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = append(rss, float64(ru.Maxrss)/1024) // KiB on Linux
			}
		}
		elapsed := time.Since(start)
		const denseBytes = 4 * 113367 // charlm's parameters as float32
		b.Logf("%d lockstep node processes, charlm, %d rounds of 10 inner steps, in %v", members, rounds, elapsed.Round(time.Second))
		for i := range nodes {
			b.Logf("node %d: sent %.0f B/round, received %.0f B/round (blobs: updates and states); its update %.0f B against %d B dense (%.0fx); peak RSS %.0f MiB",
				i+1, served[i], fetched[i], update[i], denseBytes, denseBytes/update[i], rss[i])
		}
		b.ReportMetric(mean(served)+mean(fetched), "blob_B/node/round")
		b.ReportMetric(mean(rss), "maxRSS_MiB/node")
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(max(1, len(xs)))
}

// rss is a process's resident memory now, in MiB, from /proc (0 where there is none).
func rss(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			var kib float64
			fmt.Sscan(f[1], &kib)
			return kib / 1024
		}
	}
	return 0
}

// rssTracker samples nodes' resident memory once a second, filed under the round each
// last committed.
type rssTracker struct {
	mu      sync.Mutex
	samples map[string]map[uint64]float64 // member -> round -> peak MiB
	stop    chan struct{}
}

func newRSSTracker() *rssTracker {
	return &rssTracker{samples: map[string]map[uint64]float64{}, stop: make(chan struct{})}
}

func (tr *rssTracker) track(p *nodeProc) {
	for {
		select {
		case <-tr.stop:
			return
		case <-p.done:
			return
		case <-time.After(time.Second):
		}
		r := uint64(0)
		for k := range p.roots() {
			r = max(r, k)
		}
		m := rss(p.cmd.Process.Pid)
		if m == 0 { // exited
			return
		}
		tr.mu.Lock()
		if tr.samples[p.name] == nil {
			tr.samples[p.name] = map[uint64]float64{}
		}
		tr.samples[p.name][r] = max(tr.samples[p.name][r], m)
		tr.mu.Unlock()
	}
}

// report logs each node's memory by round and returns its peaks over the first and the
// last fifth of the rounds.
func (tr *rssTracker) report(t testing.TB, p *nodeProc, rounds uint64) (early, late float64) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var line []string
	fifth := max(1, rounds/5)
	for r := uint64(1); r <= rounds; r++ {
		m, ok := tr.samples[p.name][r]
		if !ok {
			continue // a round shorter than a second between samples
		}
		line = append(line, fmt.Sprintf("%d:%.0f", r, m))
		if r <= fifth {
			early = max(early, m)
		} else if r > rounds-fifth {
			late = max(late, m)
		}
	}
	t.Logf("%s resident MiB by round: %s", p.name, strings.Join(line, " "))
	return early, late
}

// rlArgs are the arguments of an RL node that runs rounds on the chain served at rpc
// ("": without a chain).
func rlArgs(rounds uint64, rpc string) func(dir string, extra ...string) []string {
	return func(dir string, extra ...string) []string {
		chainArgs := []string{"--no-chain"}
		if rpc != "" {
			chainArgs = []string{"--chain-rpc", rpc}
		}
		return append(append([]string{"node", "--mode", "rl", "--swarm", "rl", "--rounds", fmt.Sprint(rounds), "--json", "--no-eval",
			"--listen", "/ip4/127.0.0.1/tcp/0", "--join-wait", "10s", "--round-wait", "8s", "--keep-rounds", "4", "--data-dir", dir}, chainArgs...), extra...)
	}
}

// serveChain starts `lockstep chain serve` and returns its JSON-RPC URL.
func serveChain(t testing.TB, bin string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := startNode(t, bin, "chain", "chain", "serve", "--listen", addr, "--data-dir", t.TempDir())
	p.wait(t, time.Minute, "the chain serving", func([]swarmLine) bool {
		return strings.Contains(p.all.String(), "nodes join it with") // p.mu is held
	})
	return "http://" + addr
}

// checkOnChain checks that every round a node committed (said in its log) has its root on
// the chain, from the node's own account: nothing committed locally was lost on its way.
// The benchmark's members run on a served chain; the 20-round SIGKILL test runs without
// one, since a chain's processes push it past its package's time budget under CI's load.
func checkOnChain(t testing.TB, rpc string, dirs []string, procs [][]*nodeProc) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := ethclient.Dial(rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	reader, _ := crypto.GenerateKey()
	c, err := chain.New(ctx, cl, reader, chain.DevContract())
	if err != nil {
		t.Fatal(err)
	}
	swarms, err := c.Swarms(ctx)
	if err != nil || len(swarms) != 1 {
		t.Fatalf("%d swarms on chain (%v), want 1", len(swarms), err)
	}
	id := swarms[0].Id
	for i, dir := range dirs {
		key, err := ledger.LoadKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		addr := ledger.Address(key)
		committed := 0
		for _, p := range procs[i] {
			p.mu.Lock()
			lines := append([]swarmLine(nil), p.log...)
			p.mu.Unlock()
			for _, l := range lines {
				if l.Kind != "commit" || l.Root == "" {
					continue
				}
				got, err := c.RootOf(ctx, id, l.Round, addr)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(got[:]) != l.Root {
					t.Errorf("%s committed round %d (root %.12s), the chain has %x", p.name, l.Round, l.Root, got[:6])
				}
				committed++
			}
		}
		t.Logf("node %d: %d commitments, all on chain", i+1, committed)
	}
}

// Four lockstep node processes run the embedded RL task as a swarm for 20 rounds; one is
// SIGKILLed mid-round and restarted, resumes from its ledger at the swarm's round, and
// takes part again; every member's resident memory is sampled each round and stays
// bounded.
func TestRLSwarmNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes for 20 RL rounds; skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("SIGKILL and /proc are Linux's")
	}
	bin := buildLockstep(t)
	const rounds = 20
	args := rlArgs(rounds, "")
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()}
	nodes, boot := startSwarm(t, bin, dirs, args)
	mem := newRSSTracker()
	defer close(mem.stop)
	for _, p := range nodes[:3] {
		go mem.track(p)
	}
	victim := nodes[3]
	victim.wait(t, 3*time.Minute, "round 3", has("rollouts", 3))
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	nodes[0].wait(t, 3*time.Minute, "round 5 without the killed node", has("commit", 5))
	restarted := startNode(t, bin, "node 4 (restarted)", args(dirs[3], "--bootstrap", boot)...)
	for _, p := range nodes[:3] {
		p.wait(t, 10*time.Minute, fmt.Sprintf("round %d", rounds), has("commit", rounds))
	}
	// The restarted node takes part again: it commits rounds after its restart. How far it
	// gets depends on how far behind the others it is when they stop (a member a round
	// behind then has nobody left to round with, and stops).
	restarted.wait(t, 10*time.Minute, "a round after the restart", has("commit", 5))
	select {
	case <-restarted.done:
	case <-time.After(3 * time.Minute):
		t.Error("the restarted node did not stop within 3 minutes of the others")
	}
	restarted.mu.Lock()
	said := restarted.all.String()
	restarted.mu.Unlock()
	if !strings.Contains(said, "resuming from round") {
		t.Error("the restarted node did not resume from its ledger")
	}
	if !strings.Contains(said, "skipping to it") {
		t.Error("the restarted node did not skip to the swarm's round")
	}
	for _, p := range nodes[:3] {
		early, late := mem.report(t, p, rounds)
		// Bounded: what it holds does not grow with the rounds (ledger pruned, old
		// rounds' blobs and messages dropped); Go's heap may still grow a little.
		if early > 0 && late > 1.5*early+64 {
			t.Errorf("%s grew from %.0f MiB (rounds 1-4) to %.0f MiB (rounds %d-%d)", p.name, early, late, rounds-3, rounds)
		}
	}
}

// BenchmarkRLSwarmNodes runs four lockstep node processes on the embedded RL task for
// LOCKSTEP_RL_ROUNDS rounds (60) and reports each member's resident memory by round and
// the time per round.
func BenchmarkRLSwarmNodes(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	bin := buildLockstep(b)
	rounds := uint64(60)
	if v, err := strconv.Atoi(os.Getenv("LOCKSTEP_RL_ROUNDS")); err == nil && v > 0 {
		rounds = uint64(v)
	}
	for b.Loop() {
		dirs := []string{b.TempDir(), b.TempDir(), b.TempDir(), b.TempDir()}
		rpc := serveChain(b, bin)
		nodes, _ := startSwarm(b, bin, dirs, rlArgs(rounds, rpc))
		mem := newRSSTracker()
		for _, p := range nodes {
			go mem.track(p)
		}
		start := time.Now()
		for _, p := range nodes {
			p.wait(b, 60*time.Minute, fmt.Sprintf("round %d", rounds), has("commit", rounds))
		}
		elapsed := time.Since(start)
		close(mem.stop)
		var peaks []float64
		for _, p := range nodes {
			early, late := mem.report(b, p, rounds)
			b.Logf("%s: peak %.0f MiB in the first fifth of the rounds, %.0f MiB in the last", p.name, early, late)
			peaks = append(peaks, late)
		}
		b.Logf("%d rounds in %v: %.1f s per round, 4 members on this machine", rounds, elapsed.Round(time.Second), elapsed.Seconds()/float64(rounds))
		for _, p := range nodes {
			<-p.done // flushed its outbox and stopped
		}
		checkOnChain(b, rpc, dirs, [][]*nodeProc{{nodes[0]}, {nodes[1]}, {nodes[2]}, {nodes[3]}})
		b.ReportMetric(mean(peaks), "lateRSS_MiB/node")
	}
}
