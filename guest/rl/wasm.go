//go:build wasip1

package rl

import (
	"fmt"

	"github.com/lockstep-ml/lockstep/guest"
)

// The RL exports (guest/ABI.md, "RL tasks"). The Go linker keeps a package's
// wasmexports only when the package is linked in, so only tasks that import this
// package export them.

func export(f func(Task) error) int32 {
	return guest.Export(func() error {
		if registered == nil {
			return fmt.Errorf("no RL task registered: call rl.Register from an init function")
		}
		return f(registered)
	})
}

//go:wasmexport lockstep_rl_generate
func exportGenerate(step int64) int32 { return export(callGenerate) }

//go:wasmexport lockstep_rl_score
func exportScore(step int64) int32 { return export(callScore) }

//go:wasmexport lockstep_rl_train
func exportTrain(step int64) int32 { return export(callTrain) }
