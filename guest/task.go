package guest

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// ABIVersion is the version of guest/ABI.md this SDK speaks.
const ABIVersion = 1

// Task is a training task. Init builds the model and data from the seed and inputs
// alone; Step runs one training step. A Task may also implement Evaluator.
type Task interface {
	Init(seed uint64) error
	Step(step uint64) error
}

// Evaluator is implemented by tasks that report results (with Metric) after training.
type Evaluator interface {
	Eval() error
}

var registered Task

// Register makes t the task this module runs (call it from an init function). A Wasm
// build exports the ABI functions, which call t.
func Register(t Task) { registered = t }

// Registered returns the registered task.
func Registered() Task { return registered }

// counters are the task's integer state (optimizer steps, data positions), kept in the
// state blob so that a restored run continues them.
var counters = map[string]uint64{}

// Counter returns the named counter of the task's state (0 until set).
func Counter(name string) uint64 { return counters[name] }

// SetCounter sets the named counter.
func SetCounter(name string, v uint64) { counters[name] = v }

func encodeCounters() []byte {
	var b []byte
	for _, n := range slices.Sorted(maps.Keys(counters)) {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
		b = binary.LittleEndian.AppendUint64(b, counters[n])
	}
	return b
}

func decodeCounters(b []byte) error {
	m := map[string]uint64{}
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("state blob is truncated")
		}
		n := int(binary.LittleEndian.Uint32(b))
		if len(b) < 4+n+8 {
			return fmt.Errorf("state blob is truncated")
		}
		m[string(b[4:4+n])] = binary.LittleEndian.Uint64(b[4+n:])
		b = b[4+n+8:]
	}
	counters = m
	return nil
}

// Param registers t as trainable state under name: it persists across steps, goes into
// every checkpoint, and collects a gradient in Backward.
func Param(name string, t *Tensor) *Tensor {
	if State(name, t) == nil || !ok() {
		return t
	}
	t.requiresGrad = true
	params = append(params, t)
	return t
}

// State registers t as non-trainable state under name (optimizer moments, buffers).
func State(name string, t *Tensor) *Tensor {
	if !ok() || t == nil {
		return t
	}
	if prev, taken := stateNames[name]; taken {
		if prev != t {
			failf("state name %q registered twice (two layers given the same name?): the second tensor would be in no checkpoint; give every layer, parameter and optimizer its own name", name)
		}
		return t
	}
	t.Keep()
	t.name = name
	stateNames[name] = t
	fail(rt.b.Register(name, t.h))
	return t
}

// stateNames are the names registered with State, for refusing a name given twice.
var stateNames = map[string]*Tensor{}

var params []*Tensor

// Params returns every parameter registered with Param, in registration order.
func Params() []*Tensor { return append([]*Tensor(nil), params...) }

func resetTask() {
	counters = map[string]uint64{}
	stateNames = map[string]*Tensor{}
	params = nil
	live = nil
	tape = nil
}

func callInit(seed uint64) error {
	resetTask()
	if registered == nil {
		return fmt.Errorf("no task registered: call guest.Register from an init function")
	}
	if err := registered.Init(seed); err != nil {
		return err
	}
	return saveCounters()
}

func callStep(step uint64) error {
	if err := registered.Step(step); err != nil {
		return err
	}
	return saveCounters()
}

func callEval() error {
	if e, ok := registered.(Evaluator); ok {
		return e.Eval()
	}
	return nil
}

// callRestore runs after the host loaded a checkpoint into the registered tensors (which
// keep their handles): only the counters need reading back.
func callRestore() error {
	b, err := rt.b.Blob()
	if err != nil {
		return err
	}
	return decodeCounters(b)
}

func saveCounters() error {
	if rt.err != nil {
		return rt.err
	}
	return rt.b.SetBlob(encodeCounters())
}

// Metric reports a value (loss, accuracy) for display, outside the trace.
func Metric(name string, v float64) {
	if ok() {
		fail(rt.b.Metric(name, v))
	}
}

// Output hands the host b as the result of the export call under way (at most 1 MiB; a
// later call replaces it), outside the trace and the state, like a metric: guest/rl's
// score export hands over its rewards with it.
func Output(b []byte) {
	if ok() {
		fail(rt.b.Output(b))
	}
}

// Logf writes a line to the node's log, outside the trace.
func Logf(format string, args ...any) {
	if rt.b != nil {
		rt.b.Log(fmt.Sprintf(format, args...))
	}
}
