package lockstep

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/lockstep-ml/lockstep"

// mayImport lists, for each package of this module, the other packages of the module it
// may import (DESIGN.md: a package may not reach "up"). A new package must be added here.
var mayImport = map[string][]string{
	"":                       {},
	"kernels":                {},
	"internal/crossarch":     {},
	"internal/diskspace":     {},
	"internal/lockstepbin":   {},
	"host":                   {"kernels"},
	"runtime":                {"host", "kernels"},
	"guest":                  {"kernels"},
	"guest/native":           {"guest", "host", "kernels"},
	"guest/rl":               {"guest", "kernels"},
	"ledger":                 {"kernels", "host", "runtime", "internal/diskspace"},
	"ledger/runner":          {"kernels", "host", "runtime", "ledger"},
	"ledger/verde":           {"kernels", "host", "runtime", "ledger", "ledger/runner"},
	"ledger/chain":           {"ledger"},
	"p2p":                    {"kernels", "ledger", "ledger/verde"},
	"p2p/codec":              {},
	"p2p/diloco":             {"kernels", "host", "runtime", "ledger", "ledger/runner", "p2p/codec", "p2p/diloco/outer"},
	"p2p/diloco/outer":       {"guest"},
	"p2p/diloco/outer/wasm":  {"p2p/diloco/outer"},
	"p2p/rl":                 {"kernels", "host", "runtime", "ledger", "ledger/runner", "ledger/verde"},
	"p2p/swarm":              {"kernels", "host", "runtime", "ledger", "ledger/runner", "ledger/verde", "p2p", "p2p/codec", "p2p/diloco", "p2p/rl"},
	"cmd/lockstep/nodetest":  {},
	"cmd/lockstep/crosstest": {},
	"cmd/lockstep/demotest":  {},
	"cmd/lockstep":           {"kernels", "host", "runtime", "guest", "ledger", "ledger/runner", "ledger/verde", "ledger/chain", "p2p", "p2p/diloco", "p2p/rl", "p2p/swarm", "internal/diskspace"},
}

type pkg struct {
	rel, dir string
	imports  []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{.Dir}}|{{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		rel := strings.TrimPrefix(strings.TrimPrefix(parts[0], module), "/")
		pkgs = append(pkgs, pkg{rel: rel, dir: parts[1], imports: strings.Fields(parts[2])})
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		allowed, known := mayImport[p.rel]
		if !known {
			t.Errorf("package %q has no import rule: add it to mayImport", p.rel)
			continue
		}
		for _, imp := range p.imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			ok := false
			for _, a := range allowed {
				ok = ok || target == a || strings.HasPrefix(target, a+"/")
			}
			if !ok || strings.HasPrefix(target, "cmd/") {
				t.Errorf("%s imports %s, which it may not (allowed: %v)", p.rel, target, allowed)
			}
		}
	}
}

// Every package has exactly one package comment.
func TestOnePackageComment(t *testing.T) {
	for _, p := range listPackages(t) {
		files, _ := filepath.Glob(filepath.Join(p.dir, "*.go"))
		var docs []string
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil {
				docs = append(docs, filepath.Base(f))
			}
		}
		if len(docs) != 1 {
			t.Errorf("package %q has %d package comments %v, want exactly 1", p.rel, len(docs), docs)
		}
	}
}
