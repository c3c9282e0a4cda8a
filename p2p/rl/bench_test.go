package rl

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/lockstep-ml/lockstep/ledger"
	lsrt "github.com/lockstep-ml/lockstep/runtime"
	addition "github.com/lockstep-ml/lockstep/testdata/tasks/rl"
)

// simMember is one member of a simulated swarm: its trainer (and ledger) and state.
type simMember struct {
	tr   *Trainer
	addr common.Address
	st   *State
}

// simulate runs rounds of an RL swarm of members without the network (every member gets
// every other member's rows at once), with the real trainer: generation, scores, the
// batch rule and training in the sandbox. It returns the members' mean held-out accuracy
// after each round (index 0: the start).
func simulate(b *testing.B, rt *lsrt.Runtime, wasm []byte, cfg Config, members, j, rounds int) []float64 {
	ctx := context.Background()
	var ms []*simMember
	for i := range members {
		led, err := ledger.Open(b.TempDir(), ledger.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer led.Close()
		tr, err := New(ctx, rt, led, wasm, nil, cfg)
		if err != nil {
			b.Fatal(err)
		}
		st, err := tr.Genesis(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, &simMember{tr: tr, addr: common.BigToAddress(big.NewInt(int64(i + 1))), st: st})
	}
	acc := func() float64 {
		s := 0.0
		for _, m := range ms {
			met, err := m.tr.Eval(ctx, m.st)
			if err != nil {
				b.Fatal(err)
			}
			s += met["accuracy"]
		}
		return s / float64(len(ms))
	}
	curve := []float64{acc()}
	for r := uint64(1); r <= uint64(rounds); r++ {
		gens := make([]*Gen, len(ms))
		for i, m := range ms {
			g, err := m.tr.Generate(ctx, m.st, r, m.addr, true)
			if err != nil {
				b.Fatal(err)
			}
			gens[i] = g
		}
		for i, m := range ms {
			var peers [][]byte
			all := append([]byte(nil), gens[i].Rows...)
			for k, g := range gens { // peers in address order, as a node orders them
				if k != i {
					peers = append(peers, g.Rows)
					all = append(all, g.Rows...)
				}
			}
			scores, err := m.tr.Score(ctx, r, all)
			if err != nil {
				b.Fatal(err)
			}
			batch, err := m.tr.Batch(gens[i].Rows, peers, scores, j)
			if err != nil {
				b.Fatal(err)
			}
			if m.st, err = m.tr.Train(ctx, gens[i], batch); err != nil {
				b.Fatal(err)
			}
		}
		curve = append(curve, acc())
	}
	return curve
}

// roundsTo is the first round whose accuracy reaches threshold (-1: none).
func roundsTo(curve []float64, threshold float64) int {
	for r, a := range curve {
		if a >= threshold {
			return r
		}
	}
	return -1
}

func finalOf(curve []float64) float64 {
	n := min(3, len(curve)-1)
	s := 0.0
	for _, a := range curve[len(curve)-n:] {
		s += a
	}
	return s / float64(n)
}

// BenchmarkRLSharing measures the collaboration benefit of an RL swarm on the example task
// (testdata/tasks/rl), in the sandbox, at the same compute per member: 4 members that
// share rollouts (each keeps G−J of its own per question and takes the J = G/2 best of its
// peers') against one member alone (all G of its own), for 3 swarm seeds. It prints, per
// seed, the rounds each takes to reach a held-out accuracy halfway from the start to the
// lone member's final, and the curves. LOCKSTEP_RL_ROUNDS sets the rounds (30);
// LOCKSTEP_RL_PLOT=FILE writes the curves as an SVG plot.
//
//	go test ./p2p/rl -run '^$' -bench RLSharing -benchtime 1x -timeout 60m
func BenchmarkRLSharing(b *testing.B) {
	rounds := 30
	if v, err := strconv.Atoi(os.Getenv("LOCKSTEP_RL_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	ctx := context.Background()
	rt, err := lsrt.New(ctx, lsrt.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm := rlTask(b)
	type result struct{ solo, shared []float64 }
	for b.Loop() {
		var results []result
		start := time.Now()
		for seed := uint64(1); seed <= 3; seed++ {
			cfg := Config{Name: "bench", Seed: seed, Warmup: addition.Warmup}
			solo := simulate(b, rt, wasm, cfg, 1, 0, rounds)
			shared := simulate(b, rt, wasm, cfg, 4, DefaultTransplant, rounds)
			results = append(results, result{solo, shared})
		}
		// The table and curves go to stdout: go test cuts a benchmark's long log short.
		fmt.Printf("%d rounds per run, 3 seeds, %v\n", rounds, time.Since(start).Round(time.Second))
		fmt.Println("| seed | start | alone, final | 4 sharing, final | threshold | rounds to it, alone | rounds to it, sharing |")
		fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
		wins := 0
		for i, res := range results {
			thr := (res.solo[0] + finalOf(res.solo)) / 2
			rs, rh := roundsTo(res.solo, thr), roundsTo(res.shared, thr)
			if rh >= 0 && (rs < 0 || rh < rs) {
				wins++
			}
			fmt.Printf("| %d | %.3f | %.3f | %.3f | %.3f | %d | %d |\n", i+1, res.solo[0], finalOf(res.solo), finalOf(res.shared), thr, rs, rh)
		}
		for i, res := range results {
			fmt.Printf("seed %d alone:   %s\nseed %d sharing: %s\n", i+1, curveString(res.solo), i+1, curveString(res.shared))
		}
		fmt.Printf("sharing reached the threshold first on %d of 3 seeds\n", wins)
		b.ReportMetric(float64(wins), "seeds_sharing_first")
		if path := os.Getenv("LOCKSTEP_RL_PLOT"); path != "" {
			var series []plotSeries
			for i, res := range results {
				series = append(series, plotSeries{fmt.Sprintf("seed %d alone", i+1), res.solo, false}, plotSeries{fmt.Sprintf("seed %d, 4 sharing", i+1), res.shared, true})
			}
			if err := os.WriteFile(path, []byte(svgPlot(series)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func curveString(c []float64) string {
	var s []string
	for _, a := range c {
		s = append(s, fmt.Sprintf("%.2f", a))
	}
	return strings.Join(s, " ")
}

type plotSeries struct {
	name   string
	values []float64
	shared bool
}

// svgPlot draws accuracy against rounds, one line per series: sharing solid, alone
// dashed, one colour per seed.
func svgPlot(series []plotSeries) string {
	const w, h, left, bottom, top, right = 640, 400, 50, 40, 20, 170
	maxR, maxA := 1, 0.0
	for _, s := range series {
		maxR = max(maxR, len(s.values)-1)
		for _, a := range s.values {
			maxA = math.Max(maxA, a)
		}
	}
	maxA = math.Ceil(maxA*10) / 10
	x := func(r int) float64 { return left + float64(r)/float64(maxR)*(w-left-right) }
	y := func(a float64) float64 { return h - bottom - a/maxA*(h-bottom-top) }
	colours := []string{"#1f77b4", "#d62728", "#2ca02c"}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", w, h)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, h-bottom, w-right, h-bottom, left, top, left, h-bottom)
	for i := 0; i <= 5; i++ {
		a := maxA * float64(i) / 5
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end">%.2f</text>`+"\n", left-4, y(a)+4, a)
	}
	for r := 0; r <= maxR; r += max(1, maxR/6) {
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(r), h-bottom+15, r)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle">round</text>`+"\n", (left+w-right)/2, h-5)
	fmt.Fprintf(&sb, `<text x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle">held-out accuracy</text>`+"\n", h/2, h/2)
	for i, s := range series {
		var pts []string
		for r, a := range s.values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r), y(a)))
		}
		dash := ` stroke-dasharray="5,4"`
		if s.shared {
			dash = ""
		}
		c := colours[(i/2)%len(colours)]
		fmt.Fprintf(&sb, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", c, dash, strings.Join(pts, " "))
		fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5"%s/><text x="%d" y="%d">%s</text>`+"\n",
			w-right+10, top+10+16*i, w-right+35, top+10+16*i, c, dash, w-right+40, top+14+16*i, s.name)
	}
	sb.WriteString("</svg>\n")
	return sb.String()
}
