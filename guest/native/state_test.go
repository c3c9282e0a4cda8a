package native

import (
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/testdata/tasks/escape"
)

// The SDK refuses a state name given twice, naming it, and the host refuses state
// registered after init: state the checkpoint would not cover never gets registered.
func TestStateNamesAreRegisteredOnceInInit(t *testing.T) {
	task := New(&escape.Task{}, escape.SameName, nil, host.DefaultLimits(), nil)
	if _, err := task.Init(); err == nil || !strings.Contains(err.Error(), `state name "lin.w" registered twice`) {
		t.Errorf("two layers named lin: %v", err)
	}
	task = New(&escape.Task{}, escape.ParamInStep, nil, host.DefaultLimits(), nil)
	if _, err := task.Init(); err != nil {
		t.Fatal(err)
	}
	for s := uint64(1); s <= 3; s++ {
		_, err := task.Step(s)
		if s < 3 && err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		if s == 3 && (err == nil || !strings.Contains(err.Error(), `state "late" registered after init`)) {
			t.Errorf("a parameter created in step 3: %v", err)
		}
	}
}
