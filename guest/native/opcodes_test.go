package native

import (
	"fmt"
	"testing"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/host"
)

// The SDK's opcode numbers are the host's.
func TestOpcodesMatchHost(t *testing.T) {
	names := guest.OpcodeNames()
	for code, name := range names {
		if got := host.Opcode(code).String(); got != name {
			t.Errorf("guest opcode %d is %s, the host's is %s", code, name, got)
		}
	}
	for code := host.Opcode(1); host.Opcode(code).String() != fmt.Sprintf("op(%d)", code); code++ {
		if _, ok := names[guest.Opcode(code)]; !ok {
			t.Errorf("the SDK lacks opcode %d (%s)", code, code)
		}
	}
}
