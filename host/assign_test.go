package host

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lockstep-ml/lockstep/kernels"
)

// assign writes a registered state tensor: the same handle takes src's values (the
// checkpoint follows, src keeps its own), and a src of another shape or dtype is refused
// with nothing changed.
func TestAssignRebindsState(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	s.SetTracing(true)
	dst, err := s.Zeros(kernels.Int32, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("rl/rollouts", dst); err != nil {
		t.Fatal(err)
	}
	s.BeginStep(1)
	before := s.Checkpoint()
	src, err := s.NewTensor(kernels.Int32, []int{2, 3}, []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := s.Op(OpAssign, nil, []uint32{dst, src})
	if err != nil || len(outs) != 0 {
		t.Fatalf("assign: %v, new handles %v (want none: dst is rebound)", err, outs)
	}
	got, _ := s.Tensor(dst)
	if want := []int32{1, 2, 3, 4, 5, 6}; !equalInts(got.Int32s(), want) {
		t.Fatalf("dst after assign = %v, want %v", got.Int32s(), want)
	}
	after := s.Checkpoint()
	if before.Root == after.Root || !after.Verify() {
		t.Fatal("the checkpoint did not follow the assignment")
	}
	if tr, _ := s.StepTrace(after); tr.Entries[1].Op != OpAssign {
		t.Fatalf("trace entry 1 is %s, want assign", tr.Entries[1].Op)
	}
	// src is unchanged and still live; freeing it leaves dst's values.
	if err := s.Free(src); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Tensor(dst); got.Int32s()[5] != 6 {
		t.Fatal("freeing src changed dst")
	}
	for _, c := range []struct {
		name  string
		shape []int
		dtype kernels.DType
		want  error
	}{
		{"another shape", []int{3, 2}, kernels.Int32, ErrOperator},
		{"another rank", []int{6}, kernels.Int32, ErrOperator},
		{"another dtype", []int{2, 3}, kernels.Float32, ErrOperator},
	} {
		bad, err := s.Zeros(c.dtype, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		cp := s.Checkpoint()
		if _, err := s.Op(OpAssign, nil, []uint32{dst, bad}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if s.Checkpoint().Root != cp.Root {
			t.Errorf("%s: the refused assign changed the state", c.name)
		}
	}
	// Apply (what a referee replays) copies dst and leaves both inputs as they were.
	d, _ := kernels.Zeros(2)
	v, _ := kernels.New([]int{2}, []float32{7, 8})
	out, err := Apply(OpAssign, nil, []*kernels.Tensor{d, v})
	if err != nil || !kernels.Equal(out[0], v) || d.Float32s()[0] != 0 {
		t.Fatalf("Apply(assign) = %v, %v; dst %v", out, err, d.Float32s())
	}
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The output of a call: a later SetOutput replaces it, BeginStep clears it, and one past
// the limit is refused.
func TestOutputIsPerCall(t *testing.T) {
	s := NewSession(DefaultLimits(), nil, nil)
	s.BeginStep(1)
	if s.Output() != nil {
		t.Fatal("a fresh call has an output")
	}
	buf := []byte("first")
	if err := s.SetOutput(buf); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'F' // the session keeps a copy
	if err := s.SetOutput([]byte("second")); err != nil || !bytes.Equal(s.Output(), []byte("second")) {
		t.Fatalf("output %q, %v; want the later one", s.Output(), err)
	}
	if err := s.SetOutput(make([]byte, MaxOutputBytes+1)); !errors.Is(err, ErrQuota) || string(s.Output()) != "second" {
		t.Fatalf("an output past the limit: %v, output now %q", err, s.Output())
	}
	if err := s.SetOutput(make([]byte, MaxOutputBytes)); err != nil {
		t.Fatalf("an output of exactly the limit: %v", err)
	}
	s.BeginStep(2)
	if s.Output() != nil {
		t.Fatal("BeginStep kept the last call's output")
	}
}
