package guest_test

import (
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/host"
)

// An error inside an SDK layer names the layer (the innermost, for nested ones), and a
// failed operator names itself and its operands' shapes.
func TestShapeErrorsNameTheLayer(t *testing.T) {
	r := func() *guest.RNG { return &guest.RNG{Seed: 1} }
	for _, c := range []struct {
		name string
		run  func()
		want []string // substrings of the error
		not  string   // not in it
	}{
		{"linear", func() { guest.NewLinear("l2", 10, 3, r()).Forward(guest.Zeros(32, 64)) },
			[]string{`layer "l2": matmul([32 64], [10 3]): `, "inner dimensions differ"}, ""},
		{"mlp, first layer", func() { guest.NewMLP("mlp", []int{4, 8, 3}, guest.Relu, r()).Forward(guest.Zeros(2, 5)) },
			[]string{`layer "mlp.0": matmul([2 5], [4 8])`}, ""},
		{"embedding", func() {
			guest.NewEmbedding("tok", 3, 4, 1, r()).Forward(guest.FromInt32s([]int32{1, 7}, 2))
		}, []string{`layer "tok": embedding([3 4], int32[2])`, "index 7"}, ""},
		{"layer norm", func() { guest.NewLayerNorm("ln", 4).Forward(guest.Zeros(2, 5)) },
			[]string{`layer "ln": layer_norm([2 5], [4], [4])`}, ""},
		{"attention, rank", func() { guest.NewCausalSelfAttention("att", 8, 2, r()).Forward(guest.Zeros(3, 8)) },
			[]string{`layer "att": attention: input Tensor[3 8]`}, ""},
		{"attention, channels", func() { guest.NewCausalSelfAttention("att", 8, 2, r()).Forward(guest.Zeros(1, 3, 6)) },
			[]string{`layer "att.q": matmul([1 3 6], [8 8])`}, ""},
		{"attention, heads", func() { guest.NewCausalSelfAttention("att", 8, 3, r()) },
			[]string{`layer "att": attention: 8 channels do not split into 3 heads`}, ""},
		{"outside any layer", func() {
			guest.NewLinear("l", 2, 2, r()).Forward(guest.Zeros(1, 2))
			guest.MatMul(guest.Zeros(2, 3), guest.Zeros(4, 5))
		}, []string{"matmul([2 3], [4 5])"}, "layer"},
		{"a loss", func() {
			guest.CrossEntropy(guest.Zeros(4, 3), guest.FromInt32s([]int32{0, 1, 2}, 3))
		}, []string{"cross_entropy([4 3], int32[3])"}, "layer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := call(t, func() error { c.run(); return guest.Err() })
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if c.not != "" && strings.Contains(err.Error(), c.not) {
				t.Errorf("error %q has %q", err, c.not)
			}
		})
	}
}

// linearStep is a task whose step runs a Linear layer forward and backward.
type linearStep struct {
	l *guest.Linear
	x *guest.Tensor
}

func (s *linearStep) Init(seed uint64) error {
	s.l = guest.NewLinear("proj", 3, 2, &guest.RNG{Seed: seed})
	s.x = guest.Zeros(4, 3).Keep()
	return guest.Err()
}

func (s *linearStep) Step(uint64) error {
	guest.Backward(guest.Sum(guest.Reshape(s.l.Forward(s.x), -1), 0))
	return guest.Err()
}

// An operator that Backward runs for a layer names the layer too: the step is cut short
// by a trace-entry quota at every point in turn, and the operator it stops at names
// "proj" exactly when the layer recorded it.
func TestBackwardErrorsNameTheLayer(t *testing.T) {
	inLayer := map[string]bool{"matmul_backward": true, "add_backward": true, "sum_backward": false}
	seen := map[string]bool{}
	for n := 1; n < 30; n++ {
		limits := host.DefaultLimits()
		limits.MaxTraceEntries = n
		nt := native.New(&linearStep{}, 1, nil, limits, nil)
		if _, err := nt.Init(); err != nil {
			continue // too few entries for Init
		}
		_, err := nt.Step(1)
		if err == nil {
			break
		}
		msg := err.Error()
		for op, want := range inLayer {
			if !strings.Contains(msg, op+"(") {
				continue
			}
			seen[op] = true
			if got := strings.Contains(msg, `layer "proj", backward: `); got != want {
				t.Errorf("%d entries: %v (naming the layer: %v, want %v)", n, err, got, want)
			}
		}
	}
	for op := range inLayer {
		if !seen[op] {
			t.Errorf("no step stopped at %s", op)
		}
	}
}
