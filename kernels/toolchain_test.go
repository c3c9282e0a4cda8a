package kernels

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// Tests that need the Go toolchain: the FMA guard and the cross-architecture runs. They
// skip inside a cross-architecture child (which has no toolchain of its own).

const childEnv = "LOCKSTEP_KERNELS_CHILD"

func goTool(t *testing.T) string {
	t.Helper()
	if os.Getenv(childEnv) != "" {
		t.Skip("inside a cross-architecture child")
	}
	if testing.Short() {
		t.Skip("builds for other architectures; skipped in -short mode")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go toolchain found")
		}
		gobin = p
	}
	return gobin
}

// fusedOp matches fused multiply-add instructions in Go assembly listings and sources:
// VFMADD231SS (amd64), FMADDS/FNMSUBD (arm64, riscv64), FMSUB (ppc64, s390x), FMADDF
// (loong64), and vector forms VFMA, WFMASB, VFMLA.
var fusedOp = regexp.MustCompile(`\b(V?FN?M(ADD|SUB)[A-Z0-9]*|[VW]FN?M[AS](DB|SB)?|VFML[AS])\b`)

var fmaTargets = []struct{ goarch, goamd64 string }{
	{"amd64", "v3"}, {"arm64", ""}, {"ppc64le", ""}, {"s390x", ""}, {"riscv64", ""}, {"loong64", ""},
}

// compileListing builds the package in dir for a target and returns the compiler's
// assembly listing of that package.
func compileListing(t *testing.T, gobin, dir, goarch, goamd64 string) string {
	t.Helper()
	cmd := exec.Command(gobin, "build", "-gcflags=-S", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOARCH="+goarch, "GOOS=linux", "CGO_ENABLED=0", "GOWORK=off")
	if goamd64 != "" {
		cmd.Env = append(cmd.Env, "GOAMD64="+goamd64)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GOARCH=%s build: %v\n%s", goarch, err, out)
	}
	return string(out)
}

func fusedLines(listing string) []string {
	var hits []string
	for _, line := range strings.Split(listing, "\n") {
		// instruction lines look like "\t0x0012 00018 (file.go:12)\tVFMADD231SS\tX2, X1, X0"
		if i := strings.Index(line, ")\t"); i >= 0 && fusedOp.MatchString(line[i:]) {
			hits = append(hits, strings.TrimSpace(line))
		}
	}
	return hits
}

// R0 rule 2: no kernel may contain a fused multiply-add, on any architecture whose
// compiler would fuse. The compiled Go of this package is listed for each such target and
// searched, and so are the hand-written assembly files.
func TestNoFusedMultiplyAdd(t *testing.T) {
	gobin := goTool(t)
	for _, tg := range fmaTargets {
		if hits := fusedLines(compileListing(t, gobin, ".", tg.goarch, tg.goamd64)); len(hits) > 0 {
			t.Errorf("GOARCH=%s GOAMD64=%s: fused multiply-add in compiled kernels (write products as float32(a*b)):\n%s",
				tg.goarch, tg.goamd64, strings.Join(hits, "\n"))
		}
	}
	asm, _ := filepath.Glob("*.s")
	for _, f := range asm {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if fusedOp.MatchString(code) {
				t.Errorf("%s:%d: fused multiply-add instruction: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// The guard must be able to fail: an unrounded a*b + c compiles to a fused instruction
// on every target above, and the detector must see it.
func TestFusedMultiplyAddDetector(t *testing.T) {
	gobin := goTool(t)
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module canary\n\ngo 1.21\n",
		"c.go":   "package canary\n\nfunc F(a, b, c float32) float32 { return a*b + c }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range fmaTargets {
		if hits := fusedLines(compileListing(t, gobin, dir, tg.goarch, tg.goamd64)); len(hits) == 0 {
			t.Errorf("GOARCH=%s GOAMD64=%s: the detector missed the fused a*b+c", tg.goarch, tg.goamd64)
		}
	}
}

// The whole kernels test suite, golden hashes included, passes unchanged on other
// architectures (under qemu-user-static) and other amd64 levels, at GOMAXPROCS 1 and 2
// natively. Each target's test binary is built here and run in this directory.
func TestCrossArchitecture(t *testing.T) {
	gobin := goTool(t)
	targets := []struct {
		name, goarch string
		env          []string
		emulator     string
	}{
		{"amd64-v1", "amd64", []string{"GOAMD64=v1"}, ""},
		{"amd64-v3", "amd64", []string{"GOAMD64=v3"}, ""},
		{"arm64", "arm64", nil, "qemu-aarch64-static"},
		{"riscv64", "riscv64", nil, "qemu-riscv64-static"},
		{"ppc64le", "ppc64le", nil, "qemu-ppc64le-static"},
		{"s390x", "s390x", nil, "qemu-s390x-static"},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			if tg.emulator == "" && runtime.GOARCH != tg.goarch {
				t.Skipf("needs a %s host", tg.goarch)
			}
			var emu string
			if tg.emulator != "" {
				p, err := exec.LookPath(tg.emulator)
				if err != nil {
					t.Skipf("%s not found: install qemu-user-static (apt-get install qemu-user-static) to run the kernels tests on %s", tg.emulator, tg.goarch)
				}
				emu = p
			}
			bin := filepath.Join(t.TempDir(), "kernels.test")
			build := exec.Command(gobin, "test", "-c", "-o", bin, ".")
			build.Env = append(append(os.Environ(), "GOOS=linux", "GOARCH="+tg.goarch, "CGO_ENABLED=0"), tg.env...)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			args := []string{"-test.short", "-test.count=1"}
			if emu == "" {
				args = append(args, "-test.cpu=1,2")
			}
			var run *exec.Cmd
			if emu != "" {
				run = exec.Command(emu, append([]string{bin}, args...)...)
			} else {
				run = exec.Command(bin, args...)
			}
			run.Env = append(os.Environ(), childEnv+"=1")
			out, err := run.CombinedOutput()
			if strings.Contains(string(out), "microarchitecture support") {
				t.Skipf("this CPU cannot run %s binaries: %s", tg.name, strings.TrimSpace(string(out)))
			}
			if err != nil || !strings.Contains(string(out), "PASS") {
				t.Fatalf("%s: %v\n%s", tg.name, err, out)
			}
			t.Logf("%s: %s", tg.name, lastLine(string(out)))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
