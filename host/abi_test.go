package host

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// guest/ABI.md's operator table is the ABI: every opcode in it names the operator the
// host runs under that number, and every operator the host has is in it.
func TestABIDocumentListsEveryOpcode(t *testing.T) {
	doc, err := os.ReadFile("../guest/ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (\d+) \| ([a-z_0-9]+) \|[^|\n]*\|[^|\n]*\|[^|\n]*\|$`)
	seen := map[Opcode]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		n, _ := strconv.Atoi(m[1])
		op := Opcode(n)
		if got := op.String(); got != m[2] {
			t.Errorf("ABI.md lists opcode %d as %s; the host runs %s", n, m[2], got)
		}
		seen[op] = true
	}
	for op := range ops {
		if !seen[op] {
			t.Errorf("opcode %d (%s) is missing from ABI.md", op, op)
		}
	}
	for name := range Functions() {
		if !regexp.MustCompile("\\| `" + name + "` \\|").Match(doc) {
			t.Errorf("host function %s is missing from ABI.md", name)
		}
	}
}
