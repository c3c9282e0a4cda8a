package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/internal/crossarch"
)

// goldenCMLPRoots are the state roots of the C task (testdata/tasks/cmlp, seed 11) after
// init and after steps 1, 10 and 60: the same on every engine and machine.
var goldenCMLPRoots = map[int]string{
	0:  "943cd1845561bf7678b483d8c3706696d0147a689c7c8df75a5069fbeabb2754",
	1:  "778d98d0ce48edd1c8ec7c0c2cbeabd41dd35ff0fe3c88a4aece1763b76777c8",
	10: "3a635e7dd438c38eaa9bbba0ed6d6b928fa0f866e4599f260d166f23d1012105",
	60: "812987b234c0cbd1005382b1efe012ad0e7ae419f22dc0a18e61299419a53bf8",
}

// A task in C, built with clang and wasi-libc from guest/ABI.md alone: it is admitted
// (its printf imports fd_seek), trains, what it prints reaches the node's log, and it
// reaches the golden roots on every engine.
func TestCGuestTrainsToGoldenRoots(t *testing.T) {
	wasm := readWasm(t, "tasks/cmlp/cmlp.wasm")
	const steps = 60
	for _, engine := range availableEngines() {
		var logged []string
		rt := newRuntime(t, Config{Engine: engine, Log: func(l string) { logged = append(logged, l) }})
		start := time.Now()
		roots, losses, task := trainRoots(t, rt, wasm, 11, steps)
		t.Logf("%s: init and %d steps in %v", engine, steps, time.Since(start))
		for s, want := range goldenCMLPRoots {
			if roots[s] != want {
				t.Errorf("%s: step %d root %s, want the golden %s", engine, s, roots[s], want)
			}
		}
		first, last := mean(losses[:10]), mean(losses[steps-10:])
		if !(last < 0.5*first) {
			t.Errorf("%s: loss did not fall: %.4f over the first 10 steps, %.4f over the last 10", engine, first, last)
		}
		if err := task.Eval(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: loss %.4f over the first 10 steps, %.4f over the last 10; accuracy %v", engine, first, last, task.Session().Metrics()["accuracy"])
		if acc := task.Session().Metrics()["accuracy"]; acc < 0.9 {
			t.Errorf("%s: accuracy %v after %d steps", engine, acc, steps)
		}
		// The second line shows that stdout is line-buffered: wasi-libc flushes the first
		// line of a stdout that is not a terminal and then buffers 1 KiB, unless told.
		if len(logged) != 2 || logged[0] != "cmlp: seed 11, a 2-16-2 MLP, batches of 128" || !strings.HasPrefix(logged[1], "cmlp: step 50, loss 0.") {
			t.Errorf("%s: the node's log got %q, want the task's line at init and at step 50", engine, logged)
		}
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// The C task frees every temporary it makes (the host frees nothing at the end of a
// call): under a quota of 64 live handles, which a leak of one handle a step would
// exhaust within 40 steps, it runs 400. A fresh instance restored from a checkpoint keeps
// the handles its init registered (the restore replaces their contents) and continues to
// the roots of the uninterrupted run.
func TestCGuestFreesItsHandlesAndRestores(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "tasks/cmlp/cmlp.wasm")
	const steps, at = 400, 150
	rt := newRuntime(t, Config{Limits: host.Limits{MaxHandles: 64}})
	start := time.Now()
	full, _, _ := trainRoots(t, rt, wasm, 5, steps)
	t.Logf("init and %d steps in %v", steps, time.Since(start))

	m := load(t, rt, wasm)
	first := started(t, m, 5)
	var saved *host.Checkpoint
	var err error
	for s := uint64(1); s <= at; s++ {
		if saved, err = first.Step(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	second := started(t, m, 5)
	if err := second.Restore(ctx, saved); err != nil {
		t.Fatal(err)
	}
	for s := uint64(at + 1); s <= at+20; s++ {
		cp, err := second.Step(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(cp.Root[:]); got != full[s] {
			t.Fatalf("step %d after a restore: root %s, uninterrupted %s", s, got, full[s])
		}
	}
}

// What fd_seek answers is wazero's pure Go stdio, the same on every platform and engine:
// ENOSYS (52) on stdin, stdout and stderr, EBADF (8) on any other descriptor, and the
// result word untouched. guest/ABI.md says so.
func TestFdSeekAnswersTheSameEverywhere(t *testing.T) {
	var want bytes.Buffer
	for _, errno := range []uint32{52, 52, 52, 8} {
		binary.Write(&want, binary.LittleEndian, errno)
		want.Write(bytes.Repeat([]byte{0xAA}, 8))
	}
	for _, engine := range availableEngines() {
		task := started(t, load(t, newRuntime(t, Config{Engine: engine}), readWasm(t, "wat/wasi_seek.wasm")), 1)
		if got := task.Session().Blob(); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: fd_seek answered\n%s\nwant\n%s", engine, hex.Dump(got), hex.Dump(want.Bytes()))
		}
	}
}

// The C task reaches its golden roots, and fd_seek answers the same, on arm64 (wazero's
// arm64 compiler) and on s390x (big-endian, the interpreter), under qemu.
func TestCGuestAcrossArchitectures(t *testing.T) {
	var targets []crossarch.Target
	for _, tg := range crossarch.Targets {
		if tg.Name == "arm64" || tg.Name == "s390x" {
			targets = append(targets, tg)
		}
	}
	crossarch.Run(t, targets, "-test.run", "^(TestCGuestTrainsToGoldenRoots|TestFdSeekAnswersTheSameEverywhere)$", "-test.v")
}
