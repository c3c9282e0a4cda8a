package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lockstep-ml/lockstep/runtime"
)

// logregWasm is testdata/tasks/logreg/logreg.wasm (a test keeps the copy identical).
//
//go:embed tasks/logreg.wasm
var logregWasm []byte

// sandboxDemo runs the embedded logistic-regression task for steps steps on both wazero
// engines and checks they reach the same checkpoint roots.
func sandboxDemo(ctx context.Context, w io.Writer, steps uint64, seed uint64) error {
	fmt.Fprintf(w, "\nThe sandbox: a logistic-regression task compiled to WebAssembly (%d KiB), %d steps on each wazero engine\n", len(logregWasm)>>10, steps)
	var roots [][]byte
	for _, engine := range []runtime.Engine{runtime.EngineCompiler, runtime.EngineInterpreter} {
		cfg := runtime.Config{Engine: engine}
		if d := dataDir(""); d != "" && os.MkdirAll(filepath.Join(d, "wasm-cache"), 0o755) == nil {
			cfg.CacheDir = filepath.Join(d, "wasm-cache")
		}
		rt, err := runtime.New(ctx, cfg)
		if err != nil {
			if engine == runtime.EngineCompiler {
				fmt.Fprintf(w, "  compiler     not available here (%v)\n", err)
				continue
			}
			return err
		}
		start := time.Now()
		var last []byte
		var loss, acc float64
		err = func() error {
			defer rt.Close(ctx)
			m, err := rt.Load(ctx, logregWasm)
			if err != nil {
				return err
			}
			task, err := m.Instantiate(ctx, seed, nil)
			if err != nil {
				return err
			}
			defer task.Close(ctx)
			if _, err := task.Init(ctx); err != nil {
				return err
			}
			for s := uint64(1); s <= steps; s++ {
				cp, err := task.Step(ctx, s)
				if err != nil {
					return fmt.Errorf("step %d: %w", s, err)
				}
				last = cp.Root[:]
				loss = task.Session().Metrics()["loss"]
			}
			if err := task.Eval(ctx); err != nil {
				return err
			}
			acc = task.Session().Metrics()["accuracy"]
			return nil
		}()
		if err != nil {
			return fmt.Errorf("sandbox demo (%s): %w", engine, err)
		}
		fmt.Fprintf(w, "  %-12s %7.3fs  loss %.4f  accuracy %5.1f%%  root %s\n", engine, time.Since(start).Seconds(), loss, 100*acc, hex.EncodeToString(last))
		roots = append(roots, last)
	}
	if len(roots) == 2 && !bytes.Equal(roots[0], roots[1]) {
		return fmt.Errorf("sandbox demo: the compiler and the interpreter reached different roots")
	}
	fmt.Fprintf(w, "both engines reached the same root: the guest's Go code ran in Wasm, every tensor operation in RepOps kernels.\n")
	return nil
}
