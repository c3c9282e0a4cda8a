package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lockstep-ml/lockstep/p2p/swarm"
)

// swarmMember is a member of either kind of swarm, as the commands run it.
type swarmMember interface {
	Run(context.Context) error
	Address() common.Address
	Close()
}

// shown is what the view, the logs and the metrics show of a member.
type shown interface {
	head() string            // the live view's column heads
	line(name string) string // the member's lines in the live view
	attrs(name string) []any // its status as log attributes
	summary(name string) string
	gauges(reg *prometheus.Registry, labels prometheus.Labels)
}

func bannedLine(banned []common.Address) string {
	if len(banned) == 0 {
		return ""
	}
	var bs []string
	for _, a := range banned {
		bs = append(bs, a.Hex()[:12])
	}
	return fmt.Sprintf("%-8s ignoring (ruled against): %s\n", "", strings.Join(bs, ", "))
}

func bannedAttrs(attrs []any, banned []common.Address) []any {
	if len(banned) == 0 {
		return attrs
	}
	var b []string
	for _, a := range banned {
		b = append(b, a.Hex())
	}
	return append(attrs, "ignored", b)
}

// gauge registers a gauge of a member's status.
func gauge[S any](reg *prometheus.Registry, labels prometheus.Labels, status func() S, name, help string, v func(S) float64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lockstep", Subsystem: "swarm", Name: name, Help: help, ConstLabels: labels},
		func() float64 { return v(status()) }))
}

// dilocoShown shows a member of a DiLoCo swarm.
type dilocoShown struct{ n *swarm.Node }

func (d dilocoShown) head() string {
	return fmt.Sprintf("%-8s %-12s %5s  %-22s %5s %7s %9s %9s %-7s %-14s %9s", "MEMBER", "ADDRESS", "ROUND", "PHASE", "PEERS", "UPDATES", "LOSS", "EVAL", "ROOTS", "ROOT", "UPDATE")
}

func (d dilocoShown) line(name string) string {
	st := d.n.Status()
	roots := fmt.Sprintf("%d=", st.Agreed+1) // members on this root, itself included
	if st.Differ > 0 {
		roots += fmt.Sprintf(" %d≠", st.Differ)
	}
	eval := "-"
	if !math.IsNaN(st.EvalLoss) {
		eval = fmt.Sprintf("%.4f", st.EvalLoss)
	}
	upd := "-"
	if st.UpdateBytes > 0 {
		upd = fmt.Sprintf("%.0fx", float64(st.DenseBytes)/float64(st.UpdateBytes))
	}
	return fmt.Sprintf("%-8s %-12s %5d  %-22s %5d %7d %9.4f %9s %-7s %-14x %9s\n", name, st.Address.Hex()[:12], st.Round, st.Phase, st.Peers, st.Members, st.Loss, eval, roots, st.Root[:7], upd) + bannedLine(st.Banned)
}

func (d dilocoShown) attrs(name string) []any {
	st := d.n.Status()
	attrs := []any{"member", name, "address", st.Address.Hex(), "round", st.Round, "root", fmt.Sprintf("%x", st.Root[:8]),
		"updates", st.Members, "agreed", st.Agreed, "differ", st.Differ, "peers", st.Peers, "inner_loss", st.Loss}
	if !math.IsNaN(st.EvalLoss) {
		attrs = append(attrs, "eval_loss", st.EvalLoss)
	}
	return append(bannedAttrs(attrs, st.Banned), "update_bytes", st.UpdateBytes, "blob_bytes_served", st.Served, "blob_bytes_fetched", st.Fetched)
}

func (d dilocoShown) summary(name string) string {
	st := d.n.Status()
	return fmt.Sprintf("%s stopped at round %d, root %x (committed by %d members, itself included; %d committed another on the same manifest)", name, st.Round, st.Root[:8], st.Agreed+1, st.Differ)
}

func (d dilocoShown) gauges(reg *prometheus.Registry, labels prometheus.Labels) {
	g := func(name, help string, v func(swarm.Status) float64) { gauge(reg, labels, d.n.Status, name, help, v) }
	g("round", "The round of the member's state.", func(s swarm.Status) float64 { return float64(s.Round) })
	g("peers", "Connected peers.", func(s swarm.Status) float64 { return float64(s.Peers) })
	g("updates_applied", "Updates in the last round the member applied.", func(s swarm.Status) float64 { return float64(s.Members) })
	g("inner_loss", "The loss of the member's last inner step.", func(s swarm.Status) float64 { return s.Loss })
	g("eval_loss", "The task's eval loss on the swarm's state.", func(s swarm.Status) float64 { return s.EvalLoss })
	g("roots_agreed", "Members that committed the member's root for its round.", func(s swarm.Status) float64 { return float64(s.Agreed) })
	g("roots_differ", "Members that committed another root on the same manifest.", func(s swarm.Status) float64 { return float64(s.Differ) })
	g("disputes", "Disputes the member asked for.", func(s swarm.Status) float64 { return float64(s.Disputes) })
	g("banned", "Members ruled against and ignored.", func(s swarm.Status) float64 { return float64(len(s.Banned)) })
	g("update_bytes", "The member's last compressed update.", func(s swarm.Status) float64 { return float64(s.UpdateBytes) })
	g("blob_bytes_served", "Blob bytes sent to peers.", func(s swarm.Status) float64 { return float64(s.Served) })
	g("blob_bytes_fetched", "Blob bytes received from peers.", func(s swarm.Status) float64 { return float64(s.Fetched) })
}

// rlShown shows a member of an RL swarm.
type rlShown struct{ n *swarm.RLNode }

func (r rlShown) head() string {
	return fmt.Sprintf("%-8s %-12s %5s  %-20s %5s %7s %7s %8s %5s %-12s %7s %-14s", "MEMBER", "ADDRESS", "ROUND", "PHASE", "PEERS", "MEMBERS", "REWARD", "ACCURACY", "VOTES", "VOTED FOR", "CHECKED", "ROOT")
}

func (r rlShown) line(name string) string {
	st := r.n.Status()
	acc := "-"
	if !math.IsNaN(st.Accuracy) {
		acc = fmt.Sprintf("%.3f", st.Accuracy)
	}
	vote := "-"
	if st.Vote != (common.Address{}) {
		vote = st.Vote.Hex()[:12]
	}
	return fmt.Sprintf("%-8s %-12s %5d  %-20s %5d %7d %7.3f %8s %5d %-12s %7d %-14x\n", name, st.Address.Hex()[:12], st.Round, st.Phase, st.Peers, st.Members, st.Reward, acc, st.Votes, vote, st.Checked, st.Root[:7]) + bannedLine(st.Banned)
}

func (r rlShown) attrs(name string) []any {
	st := r.n.Status()
	attrs := []any{"member", name, "address", st.Address.Hex(), "round", st.Round, "root", fmt.Sprintf("%x", st.Root[:8]),
		"members", st.Members, "reward", round4(st.Reward), "votes", st.Votes, "peers", st.Peers, "checked", st.Checked, "disputes", st.Disputes, "skipped", st.Skipped}
	if st.Vote != (common.Address{}) {
		attrs = append(attrs, "voted_for", st.Vote.Hex())
	}
	if st.Winner != (common.Address{}) {
		attrs = append(attrs, "round_winner", st.Winner.Hex())
	}
	if !math.IsNaN(st.Accuracy) {
		attrs = append(attrs, "accuracy", round4(st.Accuracy))
	}
	return bannedAttrs(attrs, st.Banned)
}

func (r rlShown) summary(name string) string {
	st := r.n.Status()
	acc := "not evaluated"
	if !math.IsNaN(st.Accuracy) {
		acc = fmt.Sprintf("held-out accuracy %.3f", st.Accuracy)
	}
	return fmt.Sprintf("%s stopped after round %d, root %x: reward %.3f, %s, %d votes in its last round, %d peers' rollouts regenerated and found equal", name, st.Round, st.Root[:8], st.Reward, acc, st.Votes, st.Checked)
}

func (r rlShown) gauges(reg *prometheus.Registry, labels prometheus.Labels) {
	g := func(name, help string, v func(swarm.RLStatus) float64) { gauge(reg, labels, r.n.Status, name, help, v) }
	g("round", "The last round the member trained.", func(s swarm.RLStatus) float64 { return float64(s.Round) })
	g("peers", "Connected peers.", func(s swarm.RLStatus) float64 { return float64(s.Peers) })
	g("rl_members", "Members whose rollouts the member had in its last round.", func(s swarm.RLStatus) float64 { return float64(s.Members) })
	g("rl_reward", "The mean reward of the member's own rollouts in its last round.", func(s swarm.RLStatus) float64 { return s.Reward })
	g("rl_accuracy", "Held-out accuracy of the member's policy.", func(s swarm.RLStatus) float64 { return s.Accuracy })
	g("rl_votes", "Votes the member received in its last round.", func(s swarm.RLStatus) float64 { return float64(s.Votes) })
	g("rl_checked", "Peers' generations regenerated and found equal.", func(s swarm.RLStatus) float64 { return float64(s.Checked) })
	g("disputes", "Disputes the member asked for.", func(s swarm.RLStatus) float64 { return float64(s.Disputes) })
	g("banned", "Members ruled against and ignored.", func(s swarm.RLStatus) float64 { return float64(len(s.Banned)) })
}

// round4 rounds a figure for a log line.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
