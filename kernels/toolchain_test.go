package kernels

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/internal/crossarch"
)

// Tests that need the Go toolchain: the FMA guard and the cross-architecture runs. They
// skip inside a cross-architecture child (which has no toolchain of its own).

func goTool(t *testing.T) string { return crossarch.GoTool(t) }

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
// architectures (under qemu-user-static) and amd64 levels; TestGoldenHashes itself runs
// at GOMAXPROCS 1, 2, 3 and 8.
func TestCrossArchitecture(t *testing.T) {
	crossarch.Run(t, crossarch.Targets, "-test.short")
}
