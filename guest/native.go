//go:build !wasip1

package guest

// In a native build the SDK runs on a Backend the caller provides (guest/native adapts a
// host session), so a task can be tested and debugged with plain go test and compared
// with its Wasm build bit for bit.

func native(b Backend, t Task, f func() error) error {
	registered, rt = t, state{b: b}
	err := f()
	if err == nil {
		err = rt.err
	}
	endCall()
	return err
}

// NativeInit runs t's Init on backend b, as the host's lockstep_init would.
func NativeInit(b Backend, t Task, seed uint64) error {
	return native(b, t, func() error { return callInit(seed) })
}

// NativeStep runs t's Step on b, as lockstep_step would.
func NativeStep(b Backend, t Task, step uint64) error {
	return native(b, t, func() error { return callStep(step) })
}

// NativeEval runs t's Eval on b, as lockstep_eval would.
func NativeEval(b Backend, t Task) error { return native(b, t, callEval) }

// NativeRestore reads the state blob back after a checkpoint was loaded, as
// lockstep_restore would.
func NativeRestore(b Backend, t Task) error { return native(b, t, callRestore) }

// NativeExport runs f on b as the body of an export that a package built on the SDK adds
// (guest/rl's RL exports), with t the registered task: as Export does in a Wasm build.
func NativeExport(b Backend, t Task, f func() error) error {
	return native(b, t, func() error {
		if err := f(); err != nil {
			return err
		}
		return saveCounters()
	})
}
