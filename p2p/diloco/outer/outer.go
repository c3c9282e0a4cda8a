// Package outer is the outer step of a DiLoCo round as a Lockstep task, so that it runs in
// the sandbox on RepOps operators and Verde can dispute it like any other step. The node
// (package p2p/diloco) runs one instance per round: init loads the swarm's state from the
// "state" input, and step 1 applies the round's updates. Its Wasm build is outer.wasm:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o p2p/diloco/outer/outer.wasm ./p2p/diloco/outer/wasm
package outer

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/lockstep-ml/lockstep/guest"
)

// The inputs of an outer step.
const (
	// LayoutInput is the JSON of Layout.
	LayoutInput = "layout"
	// StateInput holds the state before the round: every parameter, then every velocity,
	// in Layout order, as little-endian float32.
	StateInput = "state"
	// UpdatePrefix starts the names of the updates, "update/000" on, in the round's
	// member order: each holds every parameter's update in Layout order, as
	// little-endian float32 (the change a member's inner steps made, before minus after).
	UpdatePrefix = "update/"
	// Optimizer names the outer optimizer; its velocities are state "outer/v/<param>".
	Optimizer = "outer"
	// RoundCounter is the counter that holds the round the state is after.
	RoundCounter = "round"
)

// Param is one parameter of the task being trained.
type Param struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Size is the parameter's element count.
func (p Param) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Layout says what an outer step works on.
type Layout struct {
	Round    uint64  `json:"round"`    // the round this step completes
	Members  int     `json:"members"`  // how many updates: update/000 to update/<Members-1>
	LR       float32 `json:"lr"`       // outer learning rate
	Momentum float32 `json:"momentum"` // outer Nesterov momentum
	Params   []Param `json:"params"`   // in name order
}

// UpdateName is the input name of the i-th update.
func UpdateName(i int) string { return fmt.Sprintf("%s%03d", UpdatePrefix, i) }

type task struct {
	lay    Layout
	params []*guest.Tensor
	opt    *guest.SGD
}

func init() { guest.Register(&task{}) }

// Init loads the parameters and velocities from the state input.
func (t *task) Init(seed uint64) error {
	if err := json.Unmarshal(guest.ReadInput(LayoutInput), &t.lay); err != nil {
		return fmt.Errorf("outer step: layout: %v", err)
	}
	state := guest.ReadInput(StateInput)
	if err := guest.Err(); err != nil {
		return err
	}
	total := 0
	for _, p := range t.lay.Params {
		total += p.Size()
	}
	if len(state) != 8*total {
		return fmt.Errorf("outer step: the state has %d bytes, the layout needs %d", len(state), 8*total)
	}
	vals := floats(state)
	vel := make([]*guest.Tensor, len(t.lay.Params))
	off := 0
	for i, p := range t.lay.Params {
		t.params = append(t.params, guest.Param(p.Name, guest.FromFloat32s(vals[off:off+p.Size()], p.Shape...)))
		vel[i] = guest.FromFloat32s(vals[total+off:total+off+p.Size()], p.Shape...)
		off += p.Size()
	}
	t.opt = guest.NewSGD(Optimizer, t.params, guest.SGD{LR: t.lay.LR, Momentum: t.lay.Momentum, Nesterov: t.lay.Momentum > 0, Velocity: vel})
	return guest.Err()
}

// Step averages the updates, summed in member order, and takes one Nesterov step with
// the average as the gradient.
func (t *task) Step(step uint64) error {
	if step != 1 {
		return fmt.Errorf("outer step: an outer round is step 1, not %d", step)
	}
	sums := make([]*guest.Tensor, len(t.params))
	for i := 0; i < t.lay.Members; i++ {
		u := floats(guest.ReadInput(UpdateName(i)))
		if err := guest.Err(); err != nil {
			return err
		}
		off := 0
		for j, p := range t.lay.Params {
			if off+p.Size() > len(u) {
				return fmt.Errorf("outer step: %s has %d elements, fewer than the layout's parameters", UpdateName(i), len(u))
			}
			x := guest.FromFloat32s(u[off:off+p.Size()], p.Shape...)
			if sums[j] == nil {
				sums[j] = x
			} else {
				sums[j] = guest.Add(sums[j], x)
			}
			off += p.Size()
		}
		if off != len(u) {
			return fmt.Errorf("outer step: %s has %d elements, the layout %d", UpdateName(i), len(u), off)
		}
	}
	if t.lay.Members > 0 {
		inv := float32(1) / float32(t.lay.Members)
		norm := float32(0)
		for j, p := range t.params {
			p.Grad = guest.Scale(sums[j], inv)
			sq := guest.Sum(guest.Reshape(guest.Square(p.Grad), -1), 0).Item()
			norm += sq
		}
		t.opt.Step()
		guest.Metric("update_norm", math.Sqrt(float64(norm)))
	}
	guest.Metric("members", float64(t.lay.Members))
	guest.SetCounter(RoundCounter, t.lay.Round)
	return guest.Err()
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
