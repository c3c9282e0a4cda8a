package swarm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger"
	"github.com/lockstep-ml/lockstep/p2p"
	"github.com/lockstep-ml/lockstep/p2p/diloco"
	"github.com/lockstep-ml/lockstep/p2p/diloco/outer"
	"github.com/lockstep-ml/lockstep/p2p/rl"
	"github.com/lockstep-ml/lockstep/runtime"
)

var cache = filepath.Join(os.TempDir(), "lockstep-test-cache")

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// member is one node of a test swarm, with what it logged.
type member struct {
	node *Node
	rl   *RLNode // a member of an RL swarm (then node is nil)
	h    host.Host
	led  *ledger.Ledger
	rt   *runtime.Runtime
	tr   *diloco.Trainer
	rltr *rl.Trainer
	mu   sync.Mutex
	evs  []Event
}

func (m *member) run(ctx context.Context) error {
	if m.rl != nil {
		return m.rl.Run(ctx)
	}
	return m.node.Run(ctx)
}

// logEvent records and logs an event of the member.
func (m *member) logEvent(t testing.TB, addr common.Address, e Event) {
	m.mu.Lock()
	m.evs = append(m.evs, e)
	m.mu.Unlock()
	t.Logf("%s r%d %s: %s", short(addr), e.Round, e.Kind, e.Text)
}

func (m *member) events(kind string) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Event
	for _, e := range m.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// root returns the root this member committed for round r (from its ledger), or, for a
// round it skipped because it was behind, the root it caught up to and verified.
func (m *member) root(t testing.TB, r uint64) ([32]byte, bool) {
	t.Helper()
	meta, ok, err := m.tr.OuterRun(r)
	if err != nil || !ok {
		for _, e := range m.events("catch-up") {
			if e.Round == r {
				return e.Root, true
			}
		}
		return [32]byte{}, false
	}
	steps, err := m.led.Steps(meta.ID)
	if err != nil || len(steps) < 2 {
		return [32]byte{}, false
	}
	return steps[1].Root, true
}

type task struct {
	wasm   []byte
	inputs []lshost.Input
}

func digits(t testing.TB) task {
	return task{read(t, "testdata/tasks/digits/digits.wasm"), []lshost.Input{lshost.NewInput("digits.csv.gz", read(t, "testdata/data/digits.csv.gz"))}}
}

// newMember starts a node on loopback with its own key, ledger and runtime.
func newMember(t testing.TB, tk task, dcfg diloco.Config, cfg Config, fault func(*lshost.OpEvent)) *member {
	t.Helper()
	ctx := context.Background()
	m := newPeer(t)
	tr, err := diloco.New(ctx, m.rt, m.led, tk.wasm, tk.inputs, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.Fault = fault
	m.tr = tr
	m.node, err = New(ctx, m.h, tr, m.led, cfg, func(e Event) { m.logEvent(t, m.node.Address(), e) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.node.Close)
	return m
}

// newPeer starts a host on loopback with a key, ledger and runtime of its own.
func newPeer(t testing.TB) *member {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := ledger.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	hc := p2p.DefaultConfig(key)
	hc.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	h, err := p2p.NewHost(hc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	led, err := ledger.Open(dir, ledger.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return &member{h: h, led: led, rt: rt}
}

func link(t testing.TB, a, b host.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

func testConfig(rounds uint64) Config {
	c := DefaultConfig("test")
	c.Rounds = rounds
	c.UpdateWait, c.ManifestWait, c.JoinWait = 20*time.Second, 3*time.Second, 2*time.Second
	c.Eval = false
	return c
}

// runAll runs every member to the end and returns their errors.
func runAll(ms []*member, timeout time.Duration) []error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.run(ctx)
		}()
	}
	wg.Wait()
	return errs
}

func ring(t testing.TB, ms []*member) {
	for i := range ms {
		link(t, ms[i].h, ms[(i+1)%len(ms)].h)
	}
}

// Four members train together: every round, all commit the same root, and each round
// applies all four updates.
func TestFourMembersAgree(t *testing.T) {
	dcfg := diloco.DefaultConfig()
	dcfg.Inner = 5
	tk := digits(t)
	var ms []*member
	for range 4 {
		ms = append(ms, newMember(t, tk, dcfg, testConfig(3), nil))
	}
	ring(t, ms)
	for i, err := range runAll(ms, 3*time.Minute) {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	for r := uint64(1); r <= 3; r++ {
		want, ok := ms[0].root(t, r)
		if !ok {
			t.Fatalf("member 0 has no round %d", r)
		}
		for i, m := range ms[1:] {
			got, ok := m.root(t, r)
			if !ok || got != want {
				t.Fatalf("round %d: member %d root %x, member 0 %x", r, i+1, got[:6], want[:6])
			}
		}
		meta, _, _ := ms[0].tr.OuterRun(r)
		n := 0
		for name := range meta.Inputs {
			if strings.HasPrefix(name, outer.UpdatePrefix) {
				n++
			}
		}
		if n != 4 {
			t.Errorf("round %d applied %d updates, not 4", r, n)
		}
	}
	for i, m := range ms {
		if st := m.node.Status(); st.Round != 3 || st.Agreed != 3 || st.Differ != 0 {
			t.Errorf("member %d status: round %d, %d agree, %d differ", i, st.Round, st.Agreed, st.Differ)
		}
	}
}

// A member whose outer step computes something else is disputed, loses before a third
// member, and is ignored from then on; the others go on agreeing.
func TestFaultyMemberLosesItsDispute(t *testing.T) {
	dcfg := diloco.DefaultConfig()
	dcfg.Inner = 3
	tk := digits(t)
	fault := func(ev *lshost.OpEvent) {
		if ev.Op == lshost.OpSGD && len(ev.Outputs) > 0 {
			o, err := kernels.Scale(ev.Outputs[0], 1.001)
			if err == nil {
				ev.Outputs[0] = o
			}
		}
	}
	var ms []*member
	for i := range 4 {
		var f func(*lshost.OpEvent)
		if i == 3 {
			f = fault
		}
		ms = append(ms, newMember(t, tk, dcfg, testConfig(3), f))
	}
	ring(t, ms)
	runAll(ms, 4*time.Minute)
	bad := ms[3].node.Address()
	for i, m := range ms[:3] {
		banned := false
		for _, a := range m.node.Status().Banned {
			banned = banned || a == bad
		}
		if !banned {
			t.Errorf("honest member %d does not ignore the faulty member %s; rulings: %v", i, short(bad), m.events("ruling"))
		}
	}
	for r := uint64(1); r <= 3; r++ {
		want, _ := ms[0].root(t, r)
		for i, m := range ms[1:3] {
			if got, _ := m.root(t, r); got != want {
				t.Fatalf("round %d: honest member %d disagrees", r, i+1)
			}
		}
		if got, ok := ms[3].root(t, r); ok && got == want && r == 1 {
			t.Fatal("the faulty member computed the honest root")
		}
	}
	_ = common.Address{}
}

// A member that announces its updates but serves none (and lists its own in its manifest)
// does not stall the swarm: its update is in no honest manifest, a manifest of its that
// ranks first gives way to the next, and every member commits the same roots.
func TestWithheldUpdateDoesNotStall(t *testing.T) {
	dcfg := diloco.DefaultConfig()
	dcfg.Inner = 3
	tk := digits(t)
	const rounds = 5
	var ms []*member
	for range 4 {
		ms = append(ms, newMember(t, tk, dcfg, testConfig(rounds), nil))
	}
	ms[3].node.withhold = true
	ring(t, ms)
	for i, err := range runAll(ms, 4*time.Minute) {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	withholder := ms[3].node.Address().Hex()
	gaveWay := 0
	for _, m := range ms {
		for _, e := range m.events("warn") {
			if strings.Contains(e.Text, "gives way") {
				gaveWay++
			}
		}
	}
	for r := uint64(1); r <= rounds; r++ {
		want, ok := ms[0].root(t, r)
		if !ok {
			t.Fatalf("member 0 has no round %d", r)
		}
		for i, m := range ms[1:] {
			if got, ok := m.root(t, r); !ok || got != want {
				t.Fatalf("round %d: member %d root %x, member 0 %x", r, i+1, got[:6], want[:6])
			}
		}
		for i, m := range ms[:3] {
			meta, ok, err := m.tr.OuterRun(r)
			if err != nil || !ok {
				continue // caught up past round r: its root was checked above
			}
			inputs, err := m.led.Inputs(meta)
			if err != nil {
				t.Fatalf("member %d round %d: %v", i, r, err)
			}
			for _, in := range inputs {
				if in.Name == diloco.NoteInput && strings.Contains(string(in.Data), withholder) {
					t.Errorf("member %d: round %d applied the withheld update", i, r)
				}
			}
		}
	}
	t.Logf("a manifest listing the withheld update ranked first and gave way %d times (by the members that saw it)", gaveWay)
}
