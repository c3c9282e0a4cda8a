package guest_test

import (
	"math"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/native"
	"github.com/lockstep-ml/lockstep/host"
)

// The tests of this package run SDK code natively, on a host session, as a task's Init.

type initTask func() error

func (f initTask) Init(uint64) error { return f() }
func (f initTask) Step(uint64) error { return nil }

// call runs f as the Init of a task on a fresh session and returns the call's error:
// f's own, or the SDK's first.
func call(t *testing.T, f func() error) error {
	t.Helper()
	_, err := native.New(initTask(f), 1, nil, host.DefaultLimits(), nil).Init()
	return err
}

// mustCall is call for code that must succeed.
func mustCall(t *testing.T, f func() error) {
	t.Helper()
	if err := call(t, f); err != nil {
		t.Fatal(err)
	}
}

func seq(n int, f func(i int) float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// near reports whether got is within a relative tolerance rel of want, or within 1e-7
// (float32 rounding of values near 1) of it.
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= max(rel*math.Abs(want), 1e-7)
}

var _ guest.Task = initTask(nil)
