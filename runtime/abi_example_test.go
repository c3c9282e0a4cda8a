package runtime

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// The WAT task in guest/ABI.md is a working task: it loads, inits and steps, and its
// registered state is in the checkpoint.
func TestABIExampleRuns(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not found: install wabt to check the ABI document's example")
	}
	doc, err := os.ReadFile("../guest/ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```wat\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no ```wat example in guest/ABI.md")
	}
	dir := t.TempDir()
	src, out := filepath.Join(dir, "example.wat"), filepath.Join(dir, "example.wasm")
	if err := os.WriteFile(src, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(wat2wasm, src, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	wasm, _ := os.ReadFile(out)
	task := started(t, load(t, newRuntime(t, Config{}), wasm), 1)
	cp, err := task.Step(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if w := cp.Tensors["w"]; w == nil || w.Len() != 4 {
		t.Fatalf("checkpoint state %v, want w of 4 elements", cp.Tensors)
	}
}

// guest/ABI.md lists exactly the WASI functions a task may import.
func TestABIListsTheWASISubset(t *testing.T) {
	doc, err := os.ReadFile("../guest/ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\*\*WASI preview 1 subset\.\*\*(.*?): what the`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("no WASI list in guest/ABI.md's sandbox section")
	}
	var listed []string
	for _, name := range regexp.MustCompile("`([a-z_0-9]+)`").FindAllSubmatch(m[1], -1) {
		listed = append(listed, string(name[1]))
	}
	slices.Sort(listed)
	if allowed := slices.Sorted(maps.Keys(wasiAllowed)); !slices.Equal(listed, allowed) {
		t.Errorf("guest/ABI.md lists the WASI functions %v; the runtime allows %v", listed, allowed)
	}
}
