//go:build !wasip1

package rl

import "github.com/lockstep-ml/lockstep/guest"

// In a native build guest/native runs the RL calls on a host session in the same process,
// as the exports would in Wasm.

// NativeGenerate runs t's Generate on backend b, as lockstep_rl_generate would.
func NativeGenerate(b guest.Backend, t Task) error {
	return guest.NativeExport(b, t, func() error { return callGenerate(t) })
}

// NativeScore runs t's Score on b, as lockstep_rl_score would; the rewards are b's output.
func NativeScore(b guest.Backend, t Task) error {
	return guest.NativeExport(b, t, func() error { return callScore(t) })
}

// NativeTrain runs t's Train on b, as lockstep_rl_train would.
func NativeTrain(b guest.Backend, t Task) error {
	return guest.NativeExport(b, t, func() error { return callTrain(t) })
}
