package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/lockstep-ml/lockstep/p2p/swarm"
)

// swarmView shows the members this process runs: a live table in a terminal (bubbletea),
// log lines otherwise (log/slog: text, or JSON with --json).
type swarmView struct {
	w           io.Writer
	live        bool
	log         *slog.Logger
	swarm, task string

	mu      sync.Mutex
	members []viewMember
	recent  []string // the last events, for the live view
	prog    *tea.Program
	started time.Time
}

type viewMember struct {
	name string
	show shown
}

const recentEvents = 12

func newSwarmView(w io.Writer, asJSON bool, swarmName, task string) *swarmView {
	v := &swarmView{w: w, swarm: swarmName, task: task, started: time.Now()}
	switch {
	case asJSON:
		v.log = slog.New(slog.NewJSONHandler(w, nil))
	case isTerminal(w):
		v.live = true
	default:
		v.log = slog.New(slog.NewTextHandler(w, nil))
	}
	return v
}

// isTerminal reports whether w is a terminal (for live views and progress lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (v *swarmView) add(name string, s shown) {
	v.mu.Lock()
	v.members = append(v.members, viewMember{name, s})
	v.mu.Unlock()
}

// note shows a line of the process itself (not of a member's round).
func (v *swarmView) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.log != nil {
		v.log.Info(msg)
		return
	}
	v.push(msg)
}

func (v *swarmView) push(line string) {
	v.mu.Lock()
	v.recent = append(v.recent, time.Now().Format("15:04:05")+" "+line)
	if len(v.recent) > recentEvents {
		v.recent = v.recent[len(v.recent)-recentEvents:]
	}
	p := v.prog
	v.mu.Unlock()
	if p != nil {
		p.Send(redraw{})
	}
}

// eventsOf returns the event callback of member name.
func (v *swarmView) eventsOf(name string) func(swarm.Event) {
	return func(e swarm.Event) {
		if v.log == nil {
			v.push(fmt.Sprintf("%-7s r%-3d %-8s %s", name, e.Round, e.Kind, e.Text))
			return
		}
		level := slog.LevelInfo
		if e.Kind == "warn" {
			level = slog.LevelWarn
		}
		attrs := []any{"member", name, "round", e.Round, "kind", e.Kind}
		if e.Root != ([32]byte{}) {
			attrs = append(attrs, "root", fmt.Sprintf("%x", e.Root))
		}
		v.log.Log(context.Background(), level, e.Text, attrs...)
		if e.Kind == "commit" || e.Kind == "catch-up" || e.Kind == "ruling" {
			v.logStatus(name)
		}
	}
}

func (v *swarmView) logStatus(name string) {
	v.mu.Lock()
	var sh shown
	for _, m := range v.members {
		if m.name == name {
			sh = m.show
		}
	}
	v.mu.Unlock()
	if sh != nil {
		v.log.Info("status", sh.attrs(name)...)
	}
}

// final shows a member's status when it stops.
func (v *swarmView) final(name string, sh shown) {
	if v.log != nil {
		v.log.Info("stopped", sh.attrs(name)...)
		return
	}
	fmt.Fprintln(v.w, sh.summary(name))
}

// start shows the live view until the returned function is called; q or Ctrl-C in it
// calls stop (the terminal is in raw mode, so Ctrl-C is a key, not a signal).
func (v *swarmView) start(ctx context.Context, stop func()) func() {
	if !v.live {
		return func() {}
	}
	p := tea.NewProgram(&viewModel{v: v, stop: stop}, tea.WithOutput(v.w), tea.WithContext(ctx))
	v.mu.Lock()
	v.prog = p
	v.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.Run()
		close(done)
	}()
	return func() {
		p.Quit()
		<-done
		v.mu.Lock()
		v.prog = nil
		v.mu.Unlock()
	}
}

type redraw struct{}
type tick struct{}

type viewModel struct {
	v    *swarmView
	stop func()
}

func (m *viewModel) Init() tea.Cmd { return tickEvery() }

func tickEvery() tea.Cmd {
	return tea.Tick(500*time.Millisecond, func(time.Time) tea.Msg { return tick{} })
}

func (m *viewModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if s := msg.String(); s == "q" || s == "ctrl+c" {
			m.v.push("stopping: the members finish what they are writing and close their ledgers")
			m.stop()
		}
	case tick:
		return m, tickEvery()
	}
	return m, nil
}

func (m *viewModel) View() string {
	v := m.v
	v.mu.Lock()
	members := append([]viewMember(nil), v.members...)
	recent := append([]string(nil), v.recent...)
	v.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "lockstep swarm %q · task %s · %d member(s) · %s\n\n", v.swarm, v.task, len(members), time.Since(v.started).Round(time.Second))
	if len(members) > 0 {
		b.WriteString(members[0].show.head() + "\n")
	}
	for _, vm := range members {
		b.WriteString(vm.show.line(vm.name))
	}
	b.WriteString("\n")
	for _, l := range recent {
		b.WriteString(l + "\n")
	}
	b.WriteString("\nq or Ctrl-C: stop (restart resumes from the ledger)\n")
	return b.String()
}
