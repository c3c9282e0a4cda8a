package demotest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-ml/lockstep/internal/lockstepbin"
)

func buildLockstep(t testing.TB) string { return lockstepbin.Build(t) }

// The demo's fourth act, as a user runs it: four RL members regenerate each other's
// rollouts, and the one that doctors its own loses its dispute at the operator that wrote
// them and is ignored.
func TestDemoRLAct(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo's RL act; skipped in -short mode")
	}
	bin := buildLockstep(t)
	cmd := exec.Command(bin, "demo", "--steps", "1", "--replay", "0", "--dispute", "0", "--swarm", "0", "--rl", "4", "--rl-rounds", "2")
	cmd.Env = append(os.Environ(), "LOCKSTEP_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	_, act4, _ := strings.Cut(string(out), "Act 4")
	// On the chain: node 4 is disputed, and nobody else; a settled dispute slashed it.
	if regexp.MustCompile(`against node [123]'s round`).MatchString(act4) {
		t.Errorf("an honest member was disputed on chain:\n%s", act4)
	}
	if strings.Contains(act4, "accused lost") && !strings.Contains(act4, "node 4's stake is slashed") {
		t.Errorf("node 4 lost on chain but kept its stake:\n%s", act4)
	}
	if strings.Contains(act4, "challenger lost") {
		t.Errorf("a challenger of node 4 lost on chain:\n%s", act4)
	}
	for _, want := range []string{"regenerated the rollouts of node", "ruled against node 4 (a: ", "assign replayed", "node 1 ignores 1 member(s)",
		"dispute 1 on chain", "against node 4's round"} {
		if !strings.Contains(act4, want) {
			t.Errorf("the RL act does not say %q:\n%s", want, act4)
		}
	}
}
