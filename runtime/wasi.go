package runtime

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// wasiSource is what a task reads through WASI: random_get, and the wall and monotonic
// clocks. It is a pure function of the task seed and the export call under way (its name
// and step), restarted at every call, so that an instance restored from a checkpoint reads
// at step s exactly what a continuous one does. A stream that ran on across calls would be
// state outside the checkpoint (issue: "WASI state escapes the checkpoint").
//
// The clocks start at fakeEpoch plus one second per step and advance by one microsecond per
// read; sleeping advances them instead of waiting.
type wasiSource struct {
	seed  uint64
	rng   *rand.ChaCha8
	ticks int64 // nanoseconds since the start of this call
	base  int64 // nanoseconds at the start of this call
}

// fakeEpoch is 2024-01-01T00:00:00Z in Unix nanoseconds.
const fakeEpoch = 1704067200 * 1e9

func newWASISource(seed uint64) *wasiSource {
	w := &wasiSource{seed: seed}
	w.restart("instantiate", 0)
	return w
}

// restart begins the stream of the export call name(step).
func (w *wasiSource) restart(name string, step uint64) {
	h := sha256.New()
	h.Write([]byte("lockstep/wasi-random/v2\x00"))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], w.seed)
	binary.LittleEndian.PutUint64(b[8:], step)
	h.Write(b[:])
	h.Write([]byte(name))
	var key [32]byte
	h.Sum(key[:0])
	w.rng = rand.NewChaCha8(key)
	w.ticks = 0
	w.base = int64(min(step, 1<<32)) * 1e9 // eval runs at a step far out; keep it in range
}

func (w *wasiSource) Read(p []byte) (int, error) { return w.rng.Read(p) }

func (w *wasiSource) tick() int64 {
	w.ticks += 1000
	return w.base + w.ticks
}

func (w *wasiSource) walltime() (sec int64, nsec int32) {
	t := fakeEpoch + w.tick()
	return t / 1e9, int32(t % 1e9)
}

func (w *wasiSource) nanotime() int64 { return w.tick() }

func (w *wasiSource) nanosleep(ns int64) { w.ticks += max(ns, 0) }
