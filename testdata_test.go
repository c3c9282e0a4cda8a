package lockstep

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// Every .wasm in testdata is exactly what its source builds to: a stale binary fails.
// Rebuild them with: LOCKSTEP_UPDATE_WASM=1 go test . -run TestdataWasm

func TestTestdataWasmIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the test modules; skipped in -short mode")
	}
	update := os.Getenv("LOCKSTEP_UPDATE_WASM") != ""
	wats, _ := filepath.Glob("testdata/*/*.wat")
	if len(wats) == 0 {
		t.Fatal("no .wat sources found")
	}
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Logf("wat2wasm not found: install wabt (apt-get install wabt) to check the %d WAT modules", len(wats))
	}
	for _, src := range wats {
		if wat2wasm == "" {
			break
		}
		out := filepath.Join(t.TempDir(), "m.wasm")
		// --no-check: some hostile modules are invalid on purpose (refuel.wat).
		if b, err := exec.Command(wat2wasm, "--no-check", src, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", src, err, b)
		}
		compare(t, strings.TrimSuffix(src, ".wat")+".wasm", out, update)
	}
	// A task's Wasm build is its folder (a main package) or its wasm/ subfolder.
	// The outer step of DiLoCo is a task too, embedded in the binary.
	dirs, _ := filepath.Glob("testdata/tasks/*")
	for _, dir := range append(dirs, "p2p/diloco/outer") {
		pkg := dir
		if _, err := os.Stat(filepath.Join(dir, "wasm", "main.go")); err == nil {
			pkg = filepath.Join(dir, "wasm")
		} else if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			continue
		}
		committed := filepath.Join(dir, filepath.Base(dir)+".wasm")
		if old, err := os.ReadFile(committed); err == nil && !bytes.Contains(old, []byte(runtime.Version()+"\x00")) && !bytes.Contains(old, []byte(runtime.Version())) {
			t.Logf("%s was built by another Go toolchain than %s; not comparing", committed, runtime.Version())
			continue
		}
		out := filepath.Join(t.TempDir(), "m.wasm")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-buildid=", "-o", out, "./"+pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", dir, err, b)
		}
		compare(t, committed, out, update)
	}
	// A C task's build is the clang command its main.c states.
	cTasks, _ := filepath.Glob("testdata/tasks/*/main.c")
	for _, src := range cTasks {
		checkCTask(t, src, update)
	}
	// No orphans: every committed module has a source.
	all, _ := filepath.Glob("testdata/*/*.wasm")
	tasks, _ := filepath.Glob("testdata/tasks/*/*.wasm")
	for _, w := range append(all, tasks...) {
		base := strings.TrimSuffix(w, ".wasm")
		if _, err := os.Stat(base + ".wat"); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(w), "main.go")); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(w), "main.c")); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(w), "wasm", "main.go")); err == nil {
			continue
		}
		t.Errorf("%s has no source (.wat beside it, main.go or main.c in its folder, or main.go in its wasm/ folder)", w)
	}
}

// clangBuild is how a C task is built: a WASI reactor (the host calls _initialize, never
// _start), without the debug, name and producers sections, which would carry the build
// machine's paths and compiler. Its main.c states the whole command, and the committed
// module is what clangVersion with Debian 12's wasi-libc makes of it; another clang makes
// other bytes.
const (
	clangBuild   = "clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wl,--strip-all"
	clangVersion = "clang version 14."
)

// checkCTask rebuilds the C task src (testdata/tasks/NAME/main.c) twice, to show the build
// is reproducible, and compares it with the committed NAME.wasm.
func checkCTask(t *testing.T, src string, update bool) {
	t.Helper()
	dir := filepath.ToSlash(filepath.Dir(src))
	committed := dir + "/" + filepath.Base(dir) + ".wasm"
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// The command as the header comment states it, its continued lines joined.
	stated := regexp.MustCompile(`\s*\\\n[\s*]*`).ReplaceAllString(string(text), " ")
	command := clangBuild + " -o " + committed + " " + filepath.ToSlash(src)
	if !strings.Contains(stated, command) {
		t.Errorf("%s does not state its build command: %s", src, command)
	}
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Logf("clang not found: install clang, lld, wasi-libc and libclang-rt-dev-wasm32 to check %s", committed)
		return
	}
	if _, err := os.Stat("/usr/lib/wasm32-wasi/libc.a"); err != nil {
		t.Logf("no wasi-libc in the sysroot /usr: install wasi-libc and libclang-rt-dev-wasm32 to check %s", committed)
		return
	}
	if v, _ := exec.Command(clang, "--version").Output(); !strings.Contains(string(v), clangVersion) {
		t.Logf("%s is what %s* builds, and this is %s; not comparing", committed, clangVersion, strings.SplitN(string(v), "\n", 2)[0])
		return
	}
	var outs [2]string
	for i := range outs {
		outs[i] = filepath.Join(t.TempDir(), "m.wasm")
		args := append(strings.Fields(clangBuild)[1:], "-o", outs[i], src)
		if b, err := exec.Command(clang, args...).CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", src, err, b)
		}
	}
	a, _ := os.ReadFile(outs[0])
	b, _ := os.ReadFile(outs[1])
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds of %s differ: the build is not reproducible", src)
	}
	compare(t, committed, outs[0], update)
}

func compare(t *testing.T, committed, fresh string, update bool) {
	t.Helper()
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(committed)
	if update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is stale or missing: rebuild it (LOCKSTEP_UPDATE_WASM=1 go test . -run TestdataWasm)", committed)
	}
}
